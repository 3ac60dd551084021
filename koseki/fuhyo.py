"""戸籍の附票 (住基法 第16条〜第20条): the address history of the persons in each koseki.

The 附票 is kept by the 本籍地 (第16条), one per koseki, with 氏名, 住所 and 住所を定めた年月日 (第17条). It is
never typed in by the koseki clerk: the 住所地 sends every change it records in the resident register
(住基法 第19条第1項, 標準仕様書 §7.2.4 — 「住民記録システムから附票システムへ住所を通知する」):

* 本籍 and 住所 in the same town: ``resident_records.services`` calls ``record_address_change`` inside its own
  transaction after a 転入, 転居 or 転出確定, and the line is written in the same schema;
* 本籍 in the other town on the platform: the same call writes the line in the 本籍地's schema through
  ``schema_context`` — the one explicit cross-town path of this module, audited in both towns (the 住所地
  records that it sent the notice, the 本籍地 that it recorded the line);
* 本籍 outside the platform: nothing here (the notice goes to that town by its own channel).

No signals: the resident register calls this module explicitly, so the link is visible where it happens.
A notice that finds no person in the 本籍地's registers writes nothing and is logged (info) — the clerk of
the 住所地 is not stopped by a mismatch in another register (the 本籍地 resolves it by 職権).

Each line records the resident it belongs to — the sending town's code and the resident's 宛名番号 — so that a
支援措置 of the 住所地 reaches the line by a real key (``person_key_for_member``; docs/domain/support_measures.md).
A later notice about the same resident finds the member by that link before any match by name.

Each line names the 異動 that caused it (``source_reference``, ``"<schema>:<ChangeEvent id>"``). When the
住所地 cancels that 異動 (異動の取消し), ``resident_records.services.cancel_event`` calls
``strike_lines_of_event``: 住基法 第19条第1項 has the 住所地 notify the 本籍地 of a 消除 or 記載の修正 just as of
a 記載, so the lines are struck (消除) with the reason in whichever town holds them — never deleted, as the
附票 keeps its history — and the 附票の写し no longer certifies them.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from django.db.models import F
from django.utils import timezone
from django_tenants.utils import schema_context

from common import audit
from common.errors import ValidationFailed
from common.tenancy import current_schema
from common.text import normalize_search_text
from koseki.models import FuhyoEntry, Koseki, KosekiStatus, Member
from resident_records import disclosure, fuhyo_notices
from resident_records.models import Resident, ResidentType, SupportScope
from tenants.models import Municipality, Person

logger = logging.getLogger(__name__)

AUDIT_LABELS = {
    "koseki.fuhyo_update": "戸籍: 附票の記載(住所地からの通知)",
    "koseki.fuhyo_notice": "戸籍: 附票記載事項の通知(他町の本籍地へ)",
    "koseki.fuhyo_strike": "戸籍: 附票の記載の消除(住所地の異動の取消し)",
    "koseki.fuhyo_strike_notice": "戸籍: 附票の記載の消除の通知(他町の本籍地へ)",
}

# What the 住所地 tells the 本籍地 (source_event of the line).
# The labels and the 異動 reference are the resident register's contract (resident_records.fuhyo_notices).
EVENT_MOVE_IN = fuhyo_notices.EVENT_MOVE_IN
EVENT_CHANGE_OF_ADDRESS = fuhyo_notices.EVENT_CHANGE_OF_ADDRESS
EVENT_MOVE_OUT = fuhyo_notices.EVENT_MOVE_OUT
EVENT_IMPORT = fuhyo_notices.EVENT_IMPORT
event_reference = fuhyo_notices.event_reference

PURPOSE_UPDATE = "戸籍の附票の記載(住基法第19条の通知による)"
PURPOSE_NOTICE = "戸籍の附票記載事項通知(住基法第19条第1項)"
PURPOSE_STRIKE = "戸籍の附票の記載の消除(住所地における異動の取消しによる)"
PURPOSE_STRIKE_NOTICE = "戸籍の附票の記載の消除の通知(住所地における異動の取消し)"


def _normalized(text: str) -> str:
    """Comparison key for 本籍 and names: NFKC, no spaces (「1番地」 and 「１番地」 are the same place)."""
    return normalize_search_text(text)


def active_towns() -> list[Municipality]:
    return disclosure.platform_towns()


def town_for_honseki(honseki: str, *, towns: Sequence[Municipality] | None = None) -> Municipality | None:
    """The active town on the platform whose name the 本籍 text names, or None (本籍 elsewhere): the same reading
    as for an address (``disclosure.town_named_in``)."""
    return disclosure.town_named_in(honseki, towns=towns)


def fuhyo_lines(*, koseki: Koseki) -> list[FuhyoEntry]:
    """The 附票 of one koseki: each member's lines in 記載順, oldest address first (history kept).

    Struck lines (消除) are included, as the register page shows them struck with the reason.
    """
    return list(
        FuhyoEntry.objects.filter(koseki=koseki)
        .select_related("member")
        .order_by("member__position", "address_set_on", "id")
    )


def certified_lines(*, koseki: Koseki) -> list[FuhyoEntry]:
    """The lines a 附票の写し certifies: those in force, without the struck ones (消除された記載は証明しない)."""
    return [line for line in fuhyo_lines(koseki=koseki) if not line.is_struck]


def _find_member(
    *,
    resident_code: str,
    family_name: str,
    given_name: str,
    birth_date: date,
    honseki: str,
    head_name: str,
    source_town_code: str = "",
    atena_number: str = "",
) -> Member | None:
    """The person in this town's registers (current koseki, not 除籍) the notice is about.

    住民票コード first (recorded on the member when the registers were linked); then the member whose earlier
    line came from the same resident (宛名番号 of the sending town); else 氏名 and 生年月日 within the koseki of
    the notified 本籍 (and 筆頭者, when given). An ambiguous match is no match.
    """
    current = Member.objects.select_related("koseki").filter(is_removed=False, koseki__status=KosekiStatus.CURRENT)
    if resident_code:
        found = list(current.filter(resident_code=resident_code).order_by("-koseki__compiled_on", "-pk")[:2])
        if len(found) == 1:
            return found[0]
    if atena_number and source_town_code:
        linked = current.filter(
            fuhyo_entries__source_town_code=source_town_code, fuhyo_entries__resident_atena_number=atena_number
        ).distinct()
        found = list(linked.order_by("-koseki__compiled_on", "-pk")[:2])
        if len(found) == 1:
            return found[0]
    name = _normalized(f"{family_name}{given_name}")
    place, head = _normalized(honseki), _normalized(head_name)
    candidates = [
        m
        for m in current.filter(birth_date=birth_date, given_name__in=_spellings(given_name))
        if _normalized(f"{m.family_name}{m.given_name}") == name
        and _normalized(m.koseki.honseki) == place
        and (not head or _normalized(f"{m.koseki.family_name}{m.koseki.head_given_name}") == head)
    ]
    return candidates[0] if len(candidates) == 1 else None


def _spellings(given_name: str) -> list[str]:
    """The stored forms a given name may have (the resident register keeps single spaces, NFKC or not)."""
    plain = " ".join((given_name or "").split())
    return sorted({plain, plain.replace(" ", ""), unicodedata.normalize("NFKC", plain)})


def _already_recorded(member: Member, address: str, address_set_on: date, event: str) -> bool:
    """A move both towns report (転入 at the new town, 転出確定 at the old one) is one line, not two.

    The 転入 notice of the new 住所地 carries the address as that town registered it, so a 転出 notice for
    the same day adds nothing; a repeated notice of the same address and date is ignored too.
    """
    # A struck line (its 異動 was cancelled) no longer says anything: the corrected 異動 writes its own line.
    same_day = FuhyoEntry.objects.filter(member=member, address_set_on=address_set_on, is_struck=False)
    if event == EVENT_MOVE_OUT and same_day.exists():
        return True
    return any(_normalized(line.address) == _normalized(address) for line in same_day)


def _write_line(
    *,
    actor: Person | None,
    resident_code: str,
    family_name: str,
    given_name: str,
    birth_date: date,
    honseki: str,
    head_name: str,
    address: str,
    address_set_on: date,
    event: str,
    source: Municipality | None,
    source_reference: str,
    atena_number: str = "",
) -> FuhyoEntry | None:
    """In the 本籍地's schema: find the person and add the line, linked to its resident (audited there)."""
    source_town_code = (source.code or "") if source is not None else ""
    member = _find_member(
        resident_code=resident_code, family_name=family_name, given_name=given_name, birth_date=birth_date,
        honseki=honseki, head_name=head_name, source_town_code=source_town_code, atena_number=atena_number,
    )  # fmt: skip
    if member is None:
        logger.info(
            "附票: no person found in %s for a %s notice (本籍 not matched); nothing recorded", current_schema(), event
        )
        return None
    if _already_recorded(member, address, address_set_on, event):
        return None
    if resident_code and not member.resident_code:
        # Link the registers once matched by name, so later notices match by 住民票コード.
        linked = Member.objects.filter(pk=member.pk, resident_code="")
        linked.update(resident_code=resident_code, version=F("version") + 1)
    line = FuhyoEntry.objects.create(
        koseki=member.koseki,
        member=member,
        address=address,
        address_set_on=address_set_on,
        source_town_code=source_town_code,
        source_event=event,
        source_reference=source_reference,
        resident_atena_number=atena_number if source_town_code else "",
    )
    audit.record(
        actor=actor,
        action="koseki.fuhyo_update",
        obj=("koseki.Koseki", member.koseki.pk, member.koseki.number),
        purpose=PURPOSE_UPDATE,
        personal_data=True,
        details={
            "fuhyo_entry": line.pk,
            "member_position": member.position,
            "event": event,
            "address_set_on": address_set_on.isoformat(),
            "source_town_code": line.source_town_code,
            "source_reference": source_reference,
        },
    )
    return line


def record_address_change(
    *,
    actor: Person | None,
    resident_code: str,
    family_name: str,
    given_name: str,
    birth_date: date,
    honseki: str,
    address: str,
    address_set_on: date,
    event: str,
    source_schema: str,
    source_reference: str = "",
    head_name: str = "",
    towns: Sequence[Municipality] | None = None,
    atena_number: str = "",
) -> FuhyoEntry | None:
    """Record a resident's new address in the 附票 of the koseki of their 本籍 (住基法 第19条第1項).

        Runs inside the caller's transaction (the resident register's 異動): if the 異動 rolls back, so does the
        line, in either town. ``source_reference`` names the 異動 (``event_reference``), so that cancelling it
        strikes the line (``strike_lines_of_event``); ``atena_number`` is the resident's 宛名番号 in the sending town,
    recorded on the line as its link to the resident. ``head_name`` is the 筆頭者 from the 住民票 (narrows a match
        by name); ``towns`` lets a caller notifying several residents read the town list once. Returns the line,
        or None when the 本籍 is not on the platform, the person is not found, or the line is already there.
    """
    address = " ".join((address or "").split())
    if not (honseki or "").strip() or not address:
        return None
    towns = active_towns() if towns is None else towns
    home = town_for_honseki(honseki, towns=towns)
    if home is None:
        return None
    source = next((t for t in towns if t.schema_name == source_schema), None)

    def write() -> FuhyoEntry | None:
        return _write_line(
            actor=actor, resident_code=resident_code, family_name=family_name, given_name=given_name,
            birth_date=birth_date, honseki=honseki, head_name=head_name, address=address,
            address_set_on=address_set_on, event=event, source=source, source_reference=source_reference,
            atena_number=atena_number,
        )  # fmt: skip

    if home.schema_name == source_schema:
        return write()
    # The other town on the platform holds the koseki: the one cross-town write of this module.
    with schema_context(home.schema_name):
        line = write()
    if line is not None:
        _audit_sent(actor=actor, action="koseki.fuhyo_notice", purpose=PURPOSE_NOTICE, line=line, town=home)
    return line


def _audit_sent(*, actor: Person | None, action: str, purpose: str, line: FuhyoEntry, town: Municipality) -> None:
    """The sending town's half of a cross-town 附票 write: what went to which town (the line's own audit row
    is written there)."""
    audit.record(
        actor=actor,
        action=action,
        obj=("koseki.FuhyoEntry", line.pk, f"{town.name} 附票"),
        purpose=purpose,
        personal_data=True,
        details={
            "to_town_code": town.code or "",
            "to_schema": town.schema_name,
            "event": line.source_event,
            "address_set_on": line.address_set_on.isoformat(),
            "source_reference": line.source_reference,
        },
    )


def full_address(resident: Resident) -> str:
    """住所 as the 附票 records it: the address with its 方書."""
    return " ".join(f"{resident.address} {resident.address_detail}".split())


def record_resident_moves(
    *,
    actor: Person | None,
    residents: Iterable[Resident],
    event: str,
    source_reference: str,
    moved_out: bool = False,
) -> list[FuhyoEntry]:
    """``record_address_change`` for each Japanese resident of one 異動 (the resident register's one call).

    For a 転出 (``moved_out``) the new address is the 転出先 and the date the day of the move; otherwise the
    resident's current 住所 and 住所を定めた年月日. ``source_reference`` is the 異動's ``event_reference``
    (required: a line that cannot be traced to its 異動 could not be struck when the 異動 is cancelled).
    Foreign residents have no 本籍 (住基法 第30条の45).
    """
    source_schema = current_schema()
    towns: list[Municipality] | None = None
    lines = []
    for resident in residents:
        if resident.resident_type != ResidentType.JAPANESE or not resident.domicile.strip():
            continue
        if moved_out:
            address, set_on = resident.moving_out_address, resident.removed_on or resident.moving_out_on
        else:
            address, set_on = full_address(resident), resident.address_set_on
        if set_on is None:
            continue
        towns = active_towns() if towns is None else towns
        line = record_address_change(
            actor=actor, resident_code=resident.resident_code, family_name=resident.family_name,
            given_name=resident.given_name, birth_date=resident.birth_date, honseki=resident.domicile,
            head_name=resident.domicile_head, address=address, address_set_on=set_on, event=event,
            source_schema=source_schema, source_reference=source_reference, towns=towns,
            atena_number=resident.atena_number,
        )  # fmt: skip
        if line is not None:
            lines.append(line)
    return lines


def _strike_here(*, actor: Person | None, reference: str, reason: str, cancelled_in: str) -> list[FuhyoEntry]:
    """In one town's schema: strike the lines the 異動 caused that are still in force (audited there).

    Locked first, so two cancellations racing cannot strike a line twice; a line already struck is left as it
    is (its first reason stands), which makes a repeated call a no-op.
    """
    found = list(
        FuhyoEntry.objects.select_for_update(of=("self",))
        .select_related("koseki", "member")
        .filter(source_reference=reference, is_struck=False)
        .order_by("pk")
    )
    now = timezone.now()
    for line in found:
        line.is_struck = True
        line.struck_at = now
        # The register page and the audit trail say which 異動 of which town was cancelled, and why.
        line.struck_reason = f"{cancelled_in}における{line.source_event or '異動'}の取消し({reason})"[:200]
        line.save(update_fields=["is_struck", "struck_at", "struck_reason"])
        audit.record(
            actor=actor,
            action="koseki.fuhyo_strike",
            obj=("koseki.Koseki", line.koseki.pk, line.koseki.number),
            purpose=PURPOSE_STRIKE,
            personal_data=True,
            details={
                "fuhyo_entry": line.pk,
                "member_position": line.member.position,
                "event": line.source_event,
                "address_set_on": line.address_set_on.isoformat(),
                "source_reference": reference,
                "reason": line.struck_reason,
            },
        )
    return found


def strike_lines_of_event(
    *,
    actor: Person | None,
    reference: str,
    reason: str,
    towns: Sequence[Municipality] | None = None,
) -> list[FuhyoEntry]:
    """Strike (消除) the 附票 lines written for a 異動 of this town that is being cancelled (住基法 第19条第1項).

    Called explicitly by ``resident_records.services.cancel_event`` inside its transaction, so the lines are
    struck if and only if the cancellation commits. ``reference`` is the cancelled 異動's ``event_reference``;
    it must name an event of this town (a town corrects only what it notified). The lines are looked up here
    (本籍 in this town) and in the other towns on the platform through ``schema_context`` — the same one
    cross-town path as ``record_address_change``, audited in both towns (``koseki.fuhyo_strike`` where the line
    is, ``koseki.fuhyo_strike_notice`` here). A 異動 that wrote no line strikes nothing and writes no audit row.

    Returns the struck lines; those of another town were read in its schema (their related objects are loaded,
    but nothing further should be queried through them here).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed("消除の理由を入力してください。", code="reason_required")
    here = current_schema()
    if not reference.startswith(f"{here}:"):
        # A programming error, not a clerk's input: striking another town's notices would bypass its own 取消し.
        raise ValueError(f"the 異動 {reference!r} is not an event of this town ({here})")
    towns = active_towns() if towns is None else towns
    this_town = next((t for t in towns if t.schema_name == here), None)
    cancelled_in = this_town.name if this_town is not None else "住所地"
    struck = _strike_here(actor=actor, reference=reference, reason=reason, cancelled_in=cancelled_in)
    for town in towns:
        if town.schema_name == here:
            continue
        # The 本籍地 on the platform: the one cross-town write of this module, as for the notice itself.
        with schema_context(town.schema_name):
            there = _strike_here(actor=actor, reference=reference, reason=reason, cancelled_in=cancelled_in)
        for line in there:
            _audit_sent(
                actor=actor, action="koseki.fuhyo_strike_notice", purpose=PURPOSE_STRIKE_NOTICE, line=line, town=town
            )
        struck.extend(there)
    return struck


# --- 支援措置 and the 附票 ------------------------------------------------------------------------------------


def person_keys_for_members(
    members: Sequence[Member], *, towns: Sequence[Municipality] | None = None
) -> list[disclosure.PersonKey]:
    """How the resident registers of the platform know persons of this town's koseki (``disclosure.PersonKey``), in
    their order, in one query however many: the 住民票コード, 氏名 and 生年月日, and the residents that sent the
    person's 附票 lines (in every koseki the person passed through). The towns consulted are those the lines came
    from or name — every platform town when the person has a 住民票コード, as they may have moved where no notice
    reached this 附票 yet."""
    if not members:
        return []
    towns = disclosure.platform_towns() if towns is None else towns
    by_code = {town.code: town.schema_name for town in towns if town.code}
    lines: dict[object, list[tuple[str, str, str]]] = {}
    for person_key, code, atena, address in FuhyoEntry.objects.filter(
        member__person_key__in={m.person_key for m in members}
    ).values_list("member__person_key", "source_town_code", "resident_atena_number", "address"):
        lines.setdefault(person_key, []).append((code, atena, address))
    keys = []
    for member in members:
        own = lines.get(member.person_key, [])
        codes = {member.resident_code} if member.resident_code else set()
        named = disclosure.towns_named_in([address for _, _, address in own], towns=towns)
        sources = {by_code[code] for code, _, _ in own if code in by_code}
        keys.append(
            disclosure.PersonKey(
                resident_codes=frozenset(codes),
                names=frozenset({(disclosure.name_key(member.family_name, member.given_name), member.birth_date)}),
                atena_numbers=frozenset((code, atena) for code, atena, _ in own if code and atena),
                towns=frozenset(t.schema_name for t in towns) if codes else named | sources,
            )
        )
    return keys


def person_key_for_member(member: Member, *, towns: Sequence[Municipality] | None = None) -> disclosure.PersonKey:
    """``person_keys_for_members`` for one member."""
    return person_keys_for_members([member], towns=towns)[0]


def support_scope(koseki: Koseki) -> str:
    """The 支援措置 scope a 附票 (or 除附票, of a closed koseki) falls under."""
    return SupportScope.REMOVED_ATTACHED_RECORD if koseki.is_closed else SupportScope.ATTACHED_RECORD


@dataclass(frozen=True)
class FuhyoDisplay:
    """The 附票 as the 本籍地's register page shows it: protected persons' addresses masked."""

    lines: list[FuhyoEntry]
    protected_member_ids: frozenset[int]

    @property
    def warning(self) -> bool:
        return bool(self.protected_member_ids)


def fuhyo_for_display(*, actor: Person | None, koseki: Koseki, purpose: str) -> FuhyoDisplay:
    """The register page's 附票: each person's lines, with the addresses of a person a 支援措置 covers (in any town
    of the platform, ``disclosure``) masked — the page warns instead. Lines not linked to a resident are masked
    too when someone of the register is protected (they may be that person's, matched by name long ago)."""
    lines = fuhyo_lines(koseki=koseki)
    scope = support_scope(koseki)
    towns = disclosure.platform_towns()
    protected: set[int] = set()
    for member_id in sorted({line.member_id for line in lines}):
        member = next(line.member for line in lines if line.member_id == member_id)
        block = disclosure.address_block(
            actor=actor,
            person=person_key_for_member(member, towns=towns),
            scope=scope,
            purpose=purpose,
            subject=("koseki.Koseki", koseki.pk, f"戸籍 {koseki.number}"),
        )
        if block is not None:
            protected.add(member_id)
    for line in lines:
        if line.member_id in protected or (protected and not line.resident_atena_number):
            line.address = MASKED_ADDRESS
    return FuhyoDisplay(lines=lines, protected_member_ids=frozenset(protected))


MASKED_ADDRESS = "(支援措置のため表示しません)"


def _keys_of_members(subjects: Sequence[object]) -> list[disclosure.PersonKey | None]:
    # The banner's local check (resident_records.templatetags.support_tags) needs no town list: this town only.
    members = [s for s in subjects if isinstance(s, Member)]
    keys = iter(person_keys_for_members(members, towns=[]))
    return [next(keys) if isinstance(s, Member) else None for s in subjects]


disclosure.register_key_maker(_keys_of_members)
