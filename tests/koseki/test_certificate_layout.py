"""The printed 戸籍証明書 (koseki.pdf) without a database: the 認証文 never stands alone on its page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from koseki import pdf

needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def pages_of(document: bytes) -> list[str]:
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return [page for page in result.stdout.decode("utf-8").split("\f") if page.strip()]


def layout(sections: int) -> pdf.KosekiLayout:
    person = pdf.Person(
        lines=["【名】太郎", "【生年月日】昭和５５年５月１日", "【父】山田一", "【母】山田二", "【続柄】長男"],
        sections=[
            pdf.Section(label=f"訂正{n}", lines=[f"【訂正日】令和８年１月{n}日", "【記録】行"]) for n in range(sections)
        ],
    )
    return pdf.KosekiLayout(
        title="全部事項証明",
        town="中土佐町",
        mayor="中土佐町長　池田　洋光",
        number="2026-000001",
        issued_on="令和８年１１月２７日",
        header=[("本　　籍", "高知県高岡郡中土佐町久礼１番地"), ("氏　　名", "山田　太郎")],
        register_sections=[pdf.Section(label="戸籍編製", lines=["【編製日】平成１７年４月１日"])],
        persons=[person],
        attestation="これは、戸籍に記録されている事項の全部を証明した書面である。",
        verification_code="ABCD-EFGH-JKLM-NPQR",
        verification_url="https://example.jp/verify/",
    )


@needs_pdftotext
def test_the_attestation_page_always_carries_register_content() -> None:
    # Registers of every length around the page break: wherever it falls, the last page prints the last lines
    # of the register with 以下余白 before the 認証文 and the mayor's name.
    seen_two_pages = False
    for sections in range(20, 48):
        pages = pages_of(pdf.render(layout(sections))[0])
        last = pages[-1].replace(" ", "")
        seen_two_pages = seen_two_pages or len(pages) >= 2
        assert "これは、戸籍に記録されている事項の全部を証明した書面である。" in last, sections
        assert "以下余白" in last, sections
        assert "【訂正日】" in last or "【記録】" in last, (sections, last)
        assert "中土佐町長池田洋光" in last.replace("\u3000", ""), sections
    assert seen_two_pages
