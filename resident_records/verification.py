"""Public verification of a printed certificate: "is this paper one we issued, and is it still valid?".

Anyone holding the paper (a bank, an employer, a landlord) types the code printed on it. The answer is
the 発行番号, the kind, the issue date, the town and whether it was voided — never a name, an address or
anything else of the persons on it: the page is public, so it must be useless to anyone without the
paper. Only the SHA-256 of each code is stored (``CertificateIssuance.verification_code_sha256``).

The town's 戸籍証明書 and 附票の写し (``koseki.certificates``, 広域交付 included) print the same kind of code
and are checked here too, among the koseki issuances of the same town.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from common import audit, context
from common.tenancy import current_schema
from common.wareki import to_wareki
from resident_records.certificates import CODE_LENGTH, code_digest
from resident_records.models import CertificateIssuance
from tenants.models import Municipality

_CODE = re.compile(rf"[A-Z2-7]{{{CODE_LENGTH}}}")
DEFAULT_RATE = 20  # look-ups per client and minute, per town


@dataclass(frozen=True)
class Verification:
    number: str
    kind: str
    issued_on: str
    town: str
    voided: bool
    voided_on: str = ""


def normalize_code(raw: str) -> str | None:
    """The code as printed (ABCD-EFGH-…), typed in any width or case, with or without separators."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    text = re.sub(r"[\s\-‐－ー−]", "", text)
    return text if _CODE.fullmatch(text) else None


def rate_key(client: str | None) -> str:
    return f"kyodo:verify:{current_schema()}:{client or 'unknown'}:{int(timezone.now().timestamp() // 60)}"


def rate_limited(client: str | None) -> bool:
    """A fixed one-minute window per town and client in the shared cache; True when over the limit."""
    limit = int(getattr(settings, "KYODO_VERIFY_RATE_PER_MINUTE", DEFAULT_RATE))
    key = rate_key(client)
    if cache.add(key, 1, timeout=90):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=90)
        count = 1
    return count > limit


# Other registers whose certificates carry the same verification code (koseki registers its 交付履歴 in its
# AppConfig.ready: the resident register sits below it, docs/ARCHITECTURE.md "Layers"). Each takes the code's
# digest and answers with the certificate (auditing the look-up) or None.
VerificationSource = Callable[[str], "Verification | None"]
_other_sources: list[VerificationSource] = []


def register_source(source: VerificationSource) -> None:
    if source not in _other_sources:
        _other_sources.append(source)


def verify_certificate(*, code: str) -> Verification | None:
    """Look the code up; audited (without personal data) whatever the answer."""
    normalized = normalize_code(code)
    digest = code_digest(normalized) if normalized else None
    if digest is not None:
        issuance = CertificateIssuance.objects.filter(verification_code_sha256=digest).first()
        if issuance is not None:
            return _resident_certificate(issuance)
        for source in _other_sources:
            found = source(digest)
            if found is not None:
                return found
    audit.record(actor=None, action="certificate.verify", details={"result": "not_found"})
    return None


def _resident_certificate(issuance: CertificateIssuance) -> Verification:
    town = Municipality.objects.get(schema_name=current_schema())
    result = Verification(
        number=issuance.number,
        kind=issuance.get_kind_display(),
        issued_on=to_wareki(timezone.localdate(issuance.issued_at)),
        town=town.name,
        voided=issuance.voided_at is not None,
        voided_on=to_wareki(timezone.localdate(issuance.voided_at)) if issuance.voided_at else "",
    )
    audit.record(
        actor=None,
        action="certificate.verify",
        obj=issuance,
        details={"result": "void" if result.voided else "genuine", "client": context.current().client_ip},
    )
    return result
