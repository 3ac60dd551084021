"""The public verification page (``common.verification``) also answers for this town's 戸籍証明書.

Registered in koseki.apps, like the resident register's own source (resident_records.verification).
"""

from __future__ import annotations

from common import verification
from common.tenancy import current_schema
from koseki.models import CertificateIssuance
from tenants.models import Municipality


def koseki_certificate(digest: str) -> verification.Verification | None:
    """A 戸籍証明書 of this town (the koseki 交付履歴 has no voiding: a spoilt paper is reissued)."""
    issuance = CertificateIssuance.objects.filter(verification_code_sha256=digest).first()
    if issuance is None:
        return None
    return verification.answer(
        obj=("koseki.CertificateIssuance", issuance.pk, f"交付 {issuance.number}"),
        number=issuance.number,
        kind=issuance.get_kind_display(),
        issued_at=issuance.issued_at,
        town=Municipality.objects.get(schema_name=current_schema()).name,
        details={"register": "koseki"},
    )
