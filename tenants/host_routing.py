"""Which town a host names, and which URL tree it gets (django-tenants' TenantMainMiddleware, extended).

Two changes to django-tenants' behaviour:
- the host is taken as it is: django-tenants strips a leading ``www.``, which would make a town's public website
  (www.…) the same host as its staff system;
- a ``Domain`` marked ``is_public_site`` gets ``settings.KYODO_PUBLIC_SITE_URLCONF``: the town's public website
  and nothing else (docs/domain/website.md §1). The flag comes with the same lookup that finds the town, which is
  answered from the shared cache (``tenants.hosts``: dropped on every town or domain change).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import set_urlconf
from django_tenants.middleware.main import TenantMainMiddleware

from tenants import hosts
from tenants.models import Municipality


def is_public_site(request: HttpRequest) -> bool:
    return bool(getattr(getattr(request, "tenant", None), "kyodo_public_site", False))


class KyodoTenantMiddleware(TenantMainMiddleware):
    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        return request.get_host().split(":")[0].lower()

    def get_tenant(self, domain_model: Any, hostname: str) -> Municipality:
        town = hosts.town_for_host(hostname)
        if town is None:
            raise domain_model.DoesNotExist(hostname)
        return town

    @staticmethod
    def setup_url_routing(request: HttpRequest, force_public: bool = False) -> None:
        TenantMainMiddleware.setup_url_routing(request, force_public=force_public)
        if is_public_site(request):
            # Django reads request.urlconf to resolve this request.
            request.urlconf = settings.KYODO_PUBLIC_SITE_URLCONF  # type: ignore[attr-defined]
            set_urlconf(settings.KYODO_PUBLIC_SITE_URLCONF)
