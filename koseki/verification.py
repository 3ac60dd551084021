"""The public verification page (resident_records.verification) also answers for this town's 戸籍証明書.

Registered in koseki.apps: the resident register sits below koseki (docs/ARCHITECTURE.md, "Layers") and knows
only that other registers may answer for a verification code's digest.
"""

from __future__ import annotations

from django.utils import timezone

from common import audit, context
from common.tenancy import current_schema
from common.wareki import to_wareki
from koseki.models import CertificateIssuance
from resident_records.verification import Verification
from tenants.models import Municipality


def koseki_certificate(digest: str) -> Verification | None:
    """A 戸籍証明書 of this town (the koseki 交付履歴 has no voiding: a spoilt paper is reissued)."""
    issuance = CertificateIssuance.objects.filter(verification_code_sha256=digest).first()
    if issuance is None:
        return None
    town = Municipality.objects.get(schema_name=current_schema())
    audit.record(
        actor=None,
        action="certificate.verify",
        obj=("koseki.CertificateIssuance", issuance.pk, f"交付 {issuance.number}"),
        details={"result": "genuine", "register": "koseki", "client": context.current().client_ip},
    )
    return Verification(
        number=issuance.number,
        kind=issuance.get_kind_display(),
        issued_on=to_wareki(timezone.localdate(issuance.issued_at)),
        town=town.name,
        voided=False,
    )
