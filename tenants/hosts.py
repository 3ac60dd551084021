"""Which town a request's Host names: the lookup every request starts with, cached in the shared cache.

django-tenants reads ``tenants_domain`` joined to ``tenants_municipality`` for every request. The answer changes
only when a domain or a town is saved or deleted (provisioning, a status change such as suspension, withdrawal),
so it is kept in the shared cache (Redis) under the host name, and every such save or delete drops the entries of
the hosts concerned once its transaction has committed — in every process at once, since they share the cache.
The entries are dropped at once and again after the commit; an answer read inside a transaction is never stored
(it may be rolled back). A short expiry bounds the one race left (a request that read the old row just before the
commit and stores it just after the drop). Without Redis, the lookup reads the database, as django-tenants does
(fail open, counted by common.health).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_tenants.utils import get_public_schema_name, schema_context

from common.health import DEPENDENCY_ERRORS, note_degraded
from tenants.models import Domain, Municipality

CACHE_SECONDS = 60
_UNKNOWN = "unknown"  # cached for a host with no town too, so that probing unknown hosts costs no query


def _key(host: str) -> str:
    # The database's name keeps databases sharing one Redis (test databases, a restored copy) apart.
    return f"town-by-host:{connection.settings_dict['NAME']}:{host}"


def town_for_host(host: str) -> Municipality | None:
    """The town whose domain is ``host``, or None for an unknown host."""
    # The cache's keys carry the current schema (django_tenants.cache.make_key); the lookup and the drops below
    # both run in the public schema, so they name the same entries.
    with schema_context(get_public_schema_name()):
        try:
            cached = cache.get(_key(host))
        except DEPENDENCY_ERRORS as exc:
            note_degraded("cache.host_lookup_skipped", exc)
            return _read(host)
        if isinstance(cached, Municipality):
            return cached
        if cached == _UNKNOWN:
            return None
        town = _read(host)
        if not _cacheable():
            return town
        try:
            cache.set(_key(host), town if town is not None else _UNKNOWN, CACHE_SECONDS)
        except DEPENDENCY_ERRORS as exc:
            note_degraded("cache.host_lookup_skipped", exc)
        return town


def _cacheable() -> bool:
    """An answer read inside a transaction may be rolled back (or be that transaction's own change): not stored."""
    return not connection.in_atomic_block


def _read(host: str) -> Municipality | None:
    """The town, marked with whether ``host`` is its public website (``kyodo_public_site``, tenants.host_routing);
    the mark travels with the cached instance."""
    domain = Domain.objects.select_related("tenant").filter(domain=host).first()
    if domain is None:
        return None
    town: Municipality = domain.tenant
    town.kyodo_public_site = domain.is_public_site
    return town


def forget_hosts(hosts: Iterable[str]) -> None:
    """Drop the cached answers for these hosts, now and again once the current transaction has committed (a
    request in between may have stored the old answer)."""
    keys = [_key(host) for host in set(hosts)]
    if not keys:
        return

    def drop() -> None:
        with schema_context(get_public_schema_name()):
            try:
                cache.delete_many(keys)
            except DEPENDENCY_ERRORS as exc:
                # The entries expire within CACHE_SECONDS; a Redis that is away holds no stale answer to serve.
                note_degraded("cache.host_forget_skipped", exc)

    drop()
    if connection.in_atomic_block:
        transaction.on_commit(drop)


@receiver(pre_save, sender=Domain, dispatch_uid="kyodo_host_cache_domain_renamed")
def _domain_renamed(sender: Any, instance: Domain, **kwargs: Any) -> None:
    if instance.pk is not None:
        old = Domain.objects.filter(pk=instance.pk).values_list("domain", flat=True).first()
        if old is not None and old != instance.domain:
            forget_hosts([old])


@receiver(post_save, sender=Domain, dispatch_uid="kyodo_host_cache_domain_saved")
@receiver(post_delete, sender=Domain, dispatch_uid="kyodo_host_cache_domain_deleted")
def _domain_changed(sender: Any, instance: Domain, **kwargs: Any) -> None:
    forget_hosts([instance.domain])


@receiver(post_save, sender=Municipality, dispatch_uid="kyodo_host_cache_town_saved")
@receiver(post_delete, sender=Municipality, dispatch_uid="kyodo_host_cache_town_deleted")
def _town_changed(sender: Any, instance: Municipality, **kwargs: Any) -> None:
    # On delete the domains are gone already (cascade), each dropping its own entry.
    forget_hosts(Domain.objects.filter(tenant_id=instance.pk).values_list("domain", flat=True))
