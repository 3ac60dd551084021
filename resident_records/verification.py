"""The resident register's answer on the public verification page (``common.verification``): a
住民票の写し, 記載事項証明書 or 除票の写し of this town, found by its code's digest
(``CertificateIssuance.verification_code_sha256``).

Registered in resident_records.apps; koseki registers its 交付履歴 the same way (koseki.verification).
"""

from __future__ import annotations

from common import verification
from common.tenancy import current_schema
from resident_records.models import CertificateIssuance
from tenants.models import Municipality


def resident_certificate(digest: str) -> verification.Verification | None:
    """A certificate of this town's resident register, voided or not."""
    issuance = CertificateIssuance.objects.filter(verification_code_sha256=digest).first()
    if issuance is None:
        return None
    return verification.answer(
        obj=issuance,
        number=issuance.number,
        kind=issuance.get_kind_display(),
        issued_at=issuance.issued_at,
        town=Municipality.objects.get(schema_name=current_schema()).name,
        voided_at=issuance.voided_at,
    )
