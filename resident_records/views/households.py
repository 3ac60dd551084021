"""世帯分離 and 世帯合併 (住基法 第25条)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from common.dates import local_today
from common.errors import ApplicationError
from common.wareki import to_wareki
from resident_records import selectors, services
from resident_records.forms import MergeForm, SplitForm
from resident_records.models import ChangeEvent, Household
from resident_records.services import Versioned
from resident_records.views.common import EventPage, _household, clerk_only, event_view, personal_data_page


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯分離の処理")
def split_household_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯分離 (住基法 第25条): chosen members form a new household at the same address."""
    household = _household(number)
    residents, _ = selectors.current_residents(household)
    form = SplitForm(
        request.POST or None,
        initial={"target_id": household.pk, "version": household.version, "notified_on": to_wareki(local_today())},
        choices=[(r.pk, f"{r.full_name}({r.relationship}、宛名番号 {r.atena_number})") for r in residents],
        names=[(r.pk, r.full_name) for r in residents],
        versions={r.pk: r.version for r in residents},
    )

    def call() -> ChangeEvent:
        data = form.cleaned_data
        return services.split_household(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, data["version"]),
            members=form.chosen(),
            new_head=data["new_head"],
            relationships=form.leaving_relationships(),
            event_date=data["event_date"],
            notified_on=data["notified_on"],
            remaining_head=data["remaining_head"],
            remaining_relationships=form.remaining_relationships(),
        )

    page = EventPage(
        household,
        purpose,
        title="世帯分離",
        lead="選んだ住民が同じ住所で新しい世帯をつくります(住民基本台帳法 第25条)。新しい世帯には世帯番号が"
        "付番されます。元の世帯には1人以上が残る必要があります。",
        submit="世帯分離を処理する",
    )
    # The page returns to the new household's 世帯主.
    return event_view(
        request, form, label="世帯分離", call=call, page=page, resident_id=lambda: form.cleaned_data["new_head"]
    )


def _household_to_absorb(request: HttpRequest, household: Household) -> Household | None:
    """The household named by the 世帯番号 entered, if the service lets it be absorbed into ``household``."""
    absorbed_number = " ".join(request.POST.get("absorbed_number", "").split())
    if request.method != "POST" or not absorbed_number:
        return None
    try:
        return services.household_to_merge(into=household, number=absorbed_number)
    except ApplicationError:
        return None  # step 2 files it and shows the service's refusal on the 世帯番号 field


def _merge_form(
    request: HttpRequest, household: Household, absorbed: Household | None, *, showing_joining: bool
) -> MergeForm:
    joining, _ = selectors.current_residents(absorbed) if absorbed is not None else ([], None)
    names = [(r.pk, r.full_name) for r in joining]
    if absorbed is not None and showing_joining:
        # The 世帯番号 was just entered: its members are shown for their 続柄 (an unbound form: nothing is filed).
        return MergeForm(
            initial={**request.POST.dict(), "absorbed_id": absorbed.pk, "absorbed_version": absorbed.version},
            joining=names,
        )
    initial = {"target_id": household.pk, "version": household.version, "notified_on": to_wareki(local_today())}
    return MergeForm(request.POST or None, initial=initial, joining=names)


@require_http_methods(["GET", "POST"])
@clerk_only
@personal_data_page(intrinsic="世帯合併の処理")
def merge_households_view(request: HttpRequest, number: str, *, purpose: str) -> HttpResponse:
    """世帯合併 (住基法 第25条): every member of the household with the given 世帯番号 joins this one.

    Two steps: the 世帯番号 entered shows the joining members (for their 続柄), then the merge is filed. Which
    household may be absorbed is the service's rule (services.household_to_merge).
    """
    household = _household(number)
    absorbed = _household_to_absorb(request, household)
    showing_joining = (
        request.method == "POST" and absorbed is not None and request.POST.get("absorbed_id") != str(absorbed.pk)
    )
    form = _merge_form(request, household, absorbed, showing_joining=showing_joining)

    def call() -> ChangeEvent:
        data = form.cleaned_data
        target = services.household_to_merge(into=household, number=data["absorbed_number"])
        return services.merge_households(
            actor=request.user,  # type: ignore[arg-type]
            household=Versioned(household.pk, data["version"]),
            absorbed=Versioned(target.pk, data["absorbed_version"] or 0),
            relationships=form.relationships(),
            event_date=data["event_date"],
            notified_on=data["notified_on"],
        )

    page = EventPage(
        household,
        purpose,
        title="世帯合併",
        lead="同じ住所の別の世帯の全員がこの世帯に加わり、その世帯は消滅します(住民基本台帳法 第25条)。"
        "世帯番号を入力して「世帯合併を処理する」を押すと、加わる方の一覧が表示されます。続柄を入力して、"
        "もう一度押してください。",
        submit="世帯合併を処理する",
    )

    def show() -> HttpResponse:
        response = page.render(request, form)
        if absorbed is not None and showing_joining:
            # The joining members shown are an audited read of their household too.
            selectors.view_household(
                actor=request.user,  # type: ignore[arg-type]
                household=absorbed,
                purpose=purpose,
                details={"merge_into": household.number},
            )
        return response

    return event_view(request, form, label="世帯合併", call=call, page=show)
