"""Which role may use which module, and which memberships are in force.

A module is a namespace of URLs (browser pages under ``/<module>/``, API routes under
``/api/v1/<module>/``) plus the roles allowed into it. Access is decided in one place —
``module_allowed`` — and enforced for every page by tenants.middleware and for every API view by
tenants.api_auth.ModuleAccess, so a new route is covered as soon as it sits in a module namespace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import ResolverMatch
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tenants.models import Membership, Municipality, Person, Role


@dataclass(frozen=True)
class Module:
    key: str
    label: str | Promise
    description: str | Promise
    url_name: str | None
    roles: frozenset[str]
    icon: str = "grid"


# The registry. Apps built later add their entry here, with the roles the council's policy allows.
# A teacher or vendor never reaches resident, koseki or payroll data.
MODULES: dict[str, Module] = {
    module.key: module
    for module in [
        Module(
            "audit",
            _("監査ログ"),
            _("操作の記録を検索・出力します(監査担当)。"),
            "audit:events",
            frozenset({Role.AUDITOR, Role.IT_ADMIN}),
            icon="shield",
        ),
        Module(
            "resident_records",
            _("住民記録"),
            _("住民基本台帳の照会・異動・証明書(事務職員)。"),
            "resident_records:search",
            frozenset({Role.CLERK, Role.AUDITOR, Role.SUPPORT_MEASURE_OFFICER}),
            icon="resident",
        ),
        Module(
            "koseki",
            _("戸籍"),
            _("戸籍の照会・届出・証明書・附票・広域交付(事務職員)。"),
            "koseki:search",
            frozenset({Role.CLERK, Role.AUDITOR}),
            icon="book",
        ),
        Module(
            "water_billing",
            _("水道料金"),
            _("給水装置・検針・調定・口座振替・滞納整理・公営企業会計(水道料金担当・検針員)。"),
            "water_billing:readings",
            frozenset({Role.WATER_CLERK, Role.METER_READER, Role.AUDITOR}),
            icon="grid",
        ),
        Module(
            "finance",
            _("財務会計"),
            _("予算の執行・支出負担行為・支出命令・支払・収入・予算執行状況(財政・会計・各課の予算執行担当、監査)。"),
            "finance:execution",
            frozenset(
                {
                    Role.FINANCE_OFFICER,
                    Role.ACCOUNTANT,
                    Role.BUDGET_CLERK,
                    Role.SCHOOL_OFFICE,
                    Role.AUDITOR,
                    Role.COUNCIL_STAFF,
                    # A teacher reaches only their school's page (finance.views.staff_page refuses the rest).
                    Role.TEACHER,
                }
            ),
            icon="grid",
        ),
        Module(
            "bcp",
            _("業務継続(BCP)"),
            _("バックアップ・復元訓練・待機系・災害モード・インシデント管理(情報システム担当)。"),
            "bcp:dashboard",
            frozenset({Role.IT_ADMIN, Role.AUDITOR}),
            icon="continuity",
        ),
        Module(
            "payroll",
            _("人事給与"),
            _("職員・発令・給料表・給与計算・振込データ(給与担当・人事担当)、監査(監査担当)。"),
            "payroll:runs",
            frozenset({Role.PAYROLL_OFFICER, Role.PERSONNEL_OFFICER, Role.AUDITOR}),
            icon="grid",
        ),
        Module(
            "payslips",
            _("給与明細"),
            _("自分の給与明細を確認します(町の職員全員)。"),
            "payslips:mine",
            # Self-service: every role a member of the town's staff holds; each sees only their own pay.
            frozenset(
                {
                    Role.CLERK,
                    Role.TEACHER,
                    Role.IT_ADMIN,
                    Role.AUDITOR,
                    Role.SUPPORT_MEASURE_OFFICER,
                    Role.FINANCE_OFFICER,
                    Role.ACCOUNTANT,
                    Role.BUDGET_CLERK,
                    Role.SCHOOL_OFFICE,
                    Role.PAYROLL_OFFICER,
                    Role.PERSONNEL_OFFICER,
                    Role.WATER_CLERK,
                    Role.METER_READER,
                }
            ),
            icon="grid",
        ),
        Module(
            "hq",
            _("災害対策本部"),
            _("災害対策本部のチェックリスト・経過・避難所・被害報告・河川監視カメラ(事務職員・情報システム担当)。"),
            "hq:index",
            frozenset({Role.CLERK, Role.IT_ADMIN, Role.AUDITOR}),
            icon="continuity",
        ),
        Module(
            "website",
            _("ホームページ管理"),
            _("町の公式ホームページの記事の作成・承認・公開(事務職員・情報システム担当)。"),
            "website:list",
            frozenset({Role.CLERK, Role.IT_ADMIN}),
            icon="book",
        ),
        Module(
            "admin",
            _("システム管理"),
            _("自治体データと職員IDの管理(情報システム担当)。"),
            "admin:index",
            frozenset({Role.IT_ADMIN}),
            icon="gear",
        ),
        Module(
            "groupware",
            _("グループウェア"),
            _("スケジュール・施設予約・通知(全職員・教員)。"),
            "groupware:home",
            # Every town role but the maintenance vendor: the staff's daily workspace (docs/domain/groupware.md).
            frozenset(Role.values) - {Role.VENDOR},
            icon="calendar",
        ),
        Module(
            "chat",
            _("ビジネスチャット"),
            _("町・組織・協議会全体・プロジェクトのチャンネルとダイレクトメッセージ(職員・招待された保守事業者)。"),
            "chat:index",
            # Staff of the towns and the council, and maintenance vendors, who reach only the channels they were
            # invited to (groupware.chat.selectors.reach_of). Teachers work on the schools' own network
            # (校務系) and are not in the council's chat (docs/domain/chat.md §2).
            frozenset(Role.values) - {Role.TEACHER},
            icon="chat",
        ),
        Module(
            "chat_export",
            _("チャットのエクスポート"),
            _("チャットのコンプライアンス用エクスポート(監査担当)。"),
            None,  # an API only
            frozenset({Role.AUDITOR}),
        ),
        Module(
            "directory",
            _("組織ディレクトリ(SCIM)"),
            _("職員と組織を他のシステムへ SCIM 2.0 で提供します(情報システム担当の APIトークン)。"),
            None,  # an API only: no tile on the home page
            frozenset({Role.IT_ADMIN}),
        ),
    ]
}

# Routes that belong to no module: the shell every member uses (home, own account, town switch).
SHELL_NAMESPACES = frozenset({"accounts", "shell", "otp_webauthn"})


def module_for(match: ResolverMatch | None) -> Module | None:
    if match is None:
        return None
    for namespace in match.namespaces:
        if namespace in MODULES:
            return MODULES[namespace]
    return None


def module_allowed(module: Module | None, roles: Iterable[str]) -> bool:
    return module is None or bool(module.roles.intersection(roles))


def is_verified(user: object) -> bool:
    """True when the session passed two-factor verification (django-otp's OTPMiddleware sets this)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def person_of(request: HttpRequest) -> Person:
    """The authenticated person of a request that the access middleware or DRF has already checked."""
    user = request.user
    if not isinstance(user, Person):
        raise TypeError("request has no authenticated person")
    return user


def memberships_in_force(person: Person) -> QuerySet[Membership]:
    """Memberships in force now: dated memberships in force today, minus emergency memberships (bcp disaster
    mode) whose grant has run out — to the minute, not the day — or was revoked."""
    return Membership.objects.active().filter(person=person).filter(_not_run_out())


def memberships_in_force_of(person_ids: Iterable[int]) -> QuerySet[Membership]:
    """``memberships_in_force`` of several people at once (one statement)."""
    return Membership.objects.active().filter(person_id__in=sorted(set(person_ids))).filter(_not_run_out())


def _not_run_out() -> Q:
    live = Q(emergency_grant__revoked_at__isnull=True, emergency_grant__expires_at__gt=timezone.now())
    return Q(is_emergency=False) | live


def _roles_in_force(person: Person, municipality: Municipality) -> tuple[frozenset[str], bool]:
    """The roles, and whether any of them comes from an emergency membership (disaster mode)."""
    if not person.is_authenticated or not person.is_active or not municipality.is_active:
        return frozenset(), False
    rows = list(memberships_in_force(person).filter(municipality=municipality).values_list("role", "is_emergency"))
    return frozenset(role for role, _ in rows), any(emergency for _, emergency in rows)


def active_roles(person: Person, municipality: Municipality) -> frozenset[str]:
    return _roles_in_force(person, municipality)[0]


def request_roles(request: HttpRequest) -> frozenset[str]:
    """The roles of the requesting person in the requested town, computed once per request (with the flag
    ``request._kyodo_emergency``: some role comes from an emergency membership, see bcp.disaster)."""
    cached: frozenset[str] | None = getattr(request, "_kyodo_roles", None)
    if cached is None:
        user = getattr(request, "user", None)
        tenant = getattr(request, "tenant", None)
        cached, emergency = (
            _roles_in_force(user, tenant) if user is not None and tenant is not None else (frozenset(), False)
        )
        request._kyodo_roles = cached  # type: ignore[attr-defined]
        request._kyodo_emergency = emergency  # type: ignore[attr-defined]
    return cached


def modules_for_roles(roles: Iterable[str]) -> list[Module]:
    roles = set(roles)
    return [module for module in MODULES.values() if module.roles.intersection(roles)]


def request_towns(request: HttpRequest) -> list[Municipality]:
    """The towns of the requesting person (the town switcher of every page), read once per request, in one query."""
    cached: list[Municipality] | None = getattr(request, "_kyodo_towns", None)
    if cached is None:
        ids = memberships_in_force(person_of(request)).values_list("municipality_id", flat=True)
        cached = list(Municipality.objects.filter(pk__in=ids).order_by("kind", "code"))
        request._kyodo_towns = cached  # type: ignore[attr-defined]
    return cached


def towns_of(person: Person) -> list[Municipality]:
    """Every active town where the person has a membership in force today (for the town switcher)."""
    ids = memberships_in_force(person).values_list("municipality_id", flat=True)
    return list(Municipality.objects.filter(pk__in=ids).prefetch_related("domains").order_by("kind", "code"))
