"""What a 戸籍証明書 or 附票の写し prints (戸籍法 第10条, docs/domain/koseki.md, 証明書): dates in 和暦 with
full-width digits, struck (消除) entries left out, headings spread as printed, the 認証文 of the kind on the last
page. One builder serves the issued certificate, its 見本 and 広域交付 (koseki.certificates, koseki.wide_area).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from common import town_settings
from common.wareki import to_wareki
from koseki import pdf
from koseki.models import (
    CertificateKind,
    Entry,
    FuhyoEntry,
    FuriganaStatus,
    Member,
)
from koseki.selectors import Register
from resident_records.certificates import verification_url
from tenants.models import Municipality

# --- what is printed ------------------------------------------------------------------------------------

# The furigana printed on a certificate is the recorded one (届出 or 職権記載); a planned one mailed to the
# 筆頭者 (通知済) is not yet part of the register (令和5年法律第48号).
RECORDED_FURIGANA = frozenset({FuriganaStatus.FILED, FuriganaStatus.EX_OFFICIO})

_FULLWIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def fullwidth(text: str) -> str:
    """Digits as the 戸籍証明書 prints them (全角): 「久礼100番地」 → 「久礼１００番地」."""
    return text.translate(_FULLWIDTH_DIGITS)


def _date(day: date | None) -> str:
    return to_wareki(day, fullwidth=True) if day is not None else ""


def _spaced(label: str) -> str:
    # Two-character headings are spread over the width of four, as printed: 出　　生, 婚　　姻.
    return f"{label[0]}\u3000\u3000{label[1]}" if len(label) == 2 else label


def attestation(kind: str, *, closed: bool) -> str:
    """The 認証文 (戸籍法施行規則 付録第22号様式, 住基法 第20条)."""
    book = "除籍" if closed else "戸籍"
    if kind == CertificateKind.INDIVIDUAL:
        return f"これは、{book}中の一部の者について記録されている事項の全部を証明した書面である。"
    if kind == CertificateKind.FUHYO:
        return f"この写しは、{'除籍の附票' if closed else '戸籍の附票'}の原本と相違ないことを証明する。"
    return f"これは、{book}に記録されている事項の全部を証明した書面である。"


def _title(kind: str, *, closed: bool) -> str:
    if kind == CertificateKind.FUHYO:
        return "除籍の附票の写し" if closed else "戸籍の附票の写し"
    return "個人事項証明" if kind == CertificateKind.INDIVIDUAL else "全部事項証明"


def _section(entry: Entry) -> pdf.Section:
    lines = [f"【{label}】{fullwidth(str(value))}" for label, value in entry.fields]
    if not lines:
        # An entry migrated without its items still shows what happened and when.
        lines = [f"【{entry.get_kind_display()}日】{_date(entry.event_date)}"]
    return pdf.Section(label=_spaced(entry.get_kind_display()), lines=lines)


def _sections(entries: Sequence[Entry]) -> list[pdf.Section]:
    # Struck (消除) entries stay in the register and on the history page, never on a certificate.
    return [_section(entry) for entry in entries if not entry.is_struck]


def _member_lines(member: Member) -> list[str]:
    lines = [f"【名】{member.given_name}"]
    if member.given_name_kana and member.furigana_status in RECORDED_FURIGANA:
        lines.append(f"【名の振り仮名】{member.given_name_kana}")
    born = f"【生年月日】{_date(member.birth_date)}"
    lines.append(f"{born}\u3000【配偶者区分】{member.spouse_role}" if member.spouse_role else born)
    lines += [f"【父】{member.father_name}", f"【母】{member.mother_name}", f"【続柄】{member.relationship}"]
    if member.adoptive_father_name or member.adoptive_mother_name:
        if member.adoptive_father_name:
            lines.append(f"【養父】{member.adoptive_father_name}")
        if member.adoptive_mother_name:
            lines.append(f"【養母】{member.adoptive_mother_name}")
        lines.append(f"【続柄】{member.adoptive_relationship or '養子'}")
    return lines


def _fuhyo_person(member: Member, lines: Sequence[FuhyoEntry]) -> pdf.Person:
    sections = [
        pdf.Section(
            label="住　　所",
            lines=[f"【住所】{fullwidth(line.address)}", f"【住所を定めた年月日】{_date(line.address_set_on)}"],
        )
        for line in lines
    ]
    return pdf.Person(
        lines=[
            f"【氏名】{member.full_name}",
            f"【生年月日】{_date(member.birth_date)}",
            f"【男女の別】{member.get_sex_display()}",
        ],
        sections=sections,
        removed=member.is_removed,
    )


def certificate_layout(
    *,
    register: Register,
    kind: str,
    members: Sequence[Member],
    fuhyo_lines: Sequence[FuhyoEntry] = (),
    town: Municipality,
    today: date,
    number: str,
    code: str,
    sample: bool = False,
) -> pdf.KosekiLayout:
    """What is printed: one builder for the issued certificate, its 見本 and 広域交付 (whose register was read in
    the 本籍地's schema; ``town`` is the issuing town, whose 町長 certifies — 戸籍法 第120条の2)."""
    koseki = register.koseki
    closed = koseki.is_closed
    chosen = {member.pk for member in members}
    views = [view for view in register.members if view.member.pk in chosen]
    header = [("本　　籍", fullwidth(koseki.honseki)), ("氏　　名", koseki.head_name)]
    if kind == CertificateKind.FUHYO:
        by_member: dict[int, list[FuhyoEntry]] = {}
        for line in fuhyo_lines:
            if not line.is_struck:  # a struck line (消除) is history, never certified
                by_member.setdefault(line.member_id, []).append(line)
        persons = [_fuhyo_person(view.member, by_member.get(view.member.pk, [])) for view in views]
        register_sections: list[pdf.Section] = []
        person_heading, sections_heading = "附票に記録されている者", "住所の履歴"
        header = [("本　　籍", fullwidth(koseki.honseki)), ("筆頭者氏名", koseki.head_name)]
    else:
        if koseki.family_name_kana and any(v.member.furigana_status in RECORDED_FURIGANA for v in register.members):
            header.append(("氏の振り仮名", koseki.family_name_kana))
        persons = [
            pdf.Person(
                lines=_member_lines(view.member), sections=_sections(view.entries), removed=view.member.is_removed
            )
            for view in views
        ]
        register_sections = _sections(register.koseki_entries)
        person_heading, sections_heading = "戸籍に記録されている者", "身分事項"
    return pdf.KosekiLayout(
        title=_title(kind, closed=closed),
        town=town.name,
        mayor=town_settings.mayor_title(town.name, on=today),
        number=number,
        issued_on=_date(today),
        header=header,
        register_sections=register_sections,
        persons=persons,
        attestation=attestation(kind, closed=closed),
        verification_code=code,
        verification_url="" if sample else verification_url(),
        closed=closed,
        sample=sample,
        person_heading=person_heading,
        sections_heading=sections_heading,
    )
