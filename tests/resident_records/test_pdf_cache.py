"""The PDF building blocks keep what does not change between documents: fonts registered once per process, the
static table styles built once, and a certificate's QR code encoded once, not once per page."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from reportlab.pdfbase import pdfmetrics

from common import pdf

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


def _layout(people: int) -> pdf.CertificateLayout:
    return pdf.CertificateLayout(
        title="住民票の写し",
        town="中土佐町",
        mayor="中土佐町長　山田　一",
        number="令和8年第000001号",
        issued_on="令和8年11月27日",
        header=(pdf.Item("住所", "高知県高岡郡中土佐町久礼 1234", wide=True),),
        entries=[
            pdf.Entry(name=f"山田 {n}", name_kana=f"ヤマダ {n}", items=[pdf.Item("生年月日", "昭和55年5月1日")])
            for n in range(people)
        ],
        attestation="この写しは、住民票の原本と相違ないことを証明する。",
        verification_code="ABCD-EFGH-JKLM",
        verification_url="https://nakatosa.example/verify/",
    )


def _text(document: bytes) -> str:
    result = subprocess.run(["pdftotext", "-raw", "-", "-"], input=document, capture_output=True, check=True)
    return result.stdout.decode("utf-8")


def test_fonts_are_registered_once_per_process() -> None:
    registered = pdfmetrics.getRegisteredFontNames()
    pdf.register_fonts()
    assert pdfmetrics.getRegisteredFontNames() == registered
    assert {pdf.MINCHO, pdf.GOTHIC} <= set(registered)


def test_a_multi_page_certificate_encodes_its_qr_code_once() -> None:
    pdf.qr_cells.cache_clear()
    document, pages = pdf.render(_layout(40))
    assert pages > 1
    info = pdf.qr_cells.cache_info()
    assert info.misses == 1
    assert info.hits == pages - 1
    assert _text(document).count("ABCD-EFGH-JKLM") == pages


def test_rendering_twice_prints_the_same_text() -> None:
    first, _ = pdf.render(_layout(40))
    second, _ = pdf.render(_layout(40))
    assert _text(first) == _text(second)
