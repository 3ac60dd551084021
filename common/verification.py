"""Verification codes of printed certificates, and the public look-up: "is this paper one we issued?".

Every certificate a town prints (住民票の写し, 戸籍証明書, 附票の写し, 広域交付 included) carries a code that
anyone holding the paper (a bank, an employer, a landlord) types on the town's public page. The answer is the
発行番号, the kind, the issue date, the town and whether it was voided — never a name, an address or anything
else of the persons on it: the page is public, so it must be useless to anyone without the paper. Only the
SHA-256 of each code is stored.

The code's shape and the look-up live here once; each register that prints certificates registers a source
(in its AppConfig.ready) that answers for a code's digest from its own 交付履歴 and audits the look-up.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from common import audit, context
from common.tenancy import current_schema
from common.wareki import to_wareki

CODE_LENGTH = 16  # base32 characters: 80 random bits
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


def new_verification_code() -> str:
    """16 base32 characters (A–Z, 2–7: no 0/1/8/9 to misread), 80 bits from the OS's CSPRNG."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:CODE_LENGTH]


def format_code(code: str) -> str:
    """The code as printed: groups of four joined by hyphens (ABCD-EFGH-…)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


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


# The registers whose certificates carry a verification code, asked in registration order (the resident register
# first: apps register in INSTALLED_APPS order). Each takes the code's digest and answers with the certificate
# (auditing the look-up, e.g. through ``answer``) or None.
VerificationSource = Callable[[str], "Verification | None"]
_sources: list[VerificationSource] = []


def register_source(source: VerificationSource) -> None:
    if source not in _sources:
        _sources.append(source)


def sources() -> tuple[VerificationSource, ...]:
    return tuple(_sources)


def verify_certificate(*, code: str) -> Verification | None:
    """Look the code up in every registered register; audited (without personal data) whatever the answer."""
    normalized = normalize_code(code)
    if normalized is not None:
        digest = code_digest(normalized)
        for source in _sources:
            found = source(digest)
            if found is not None:
                return found
    audit.record(actor=None, action="certificate.verify", details={"result": "not_found"})
    return None


def answer(
    *,
    obj: object,
    number: str,
    kind: str,
    issued_at: datetime,
    town: str,
    voided_at: datetime | None = None,
    details: dict[str, str] | None = None,
) -> Verification:
    """A source's answer for an issuance it found: the public facts of the paper, with the look-up's audit row
    (``details`` adds what the source wants recorded, e.g. its register)."""
    result = Verification(
        number=number,
        kind=kind,
        issued_on=to_wareki(timezone.localdate(issued_at)),
        town=town,
        voided=voided_at is not None,
        voided_on=to_wareki(timezone.localdate(voided_at)) if voided_at else "",
    )
    audit.record(
        actor=None,
        action="certificate.verify",
        obj=obj,
        details={
            "result": "void" if result.voided else "genuine",
            **(details or {}),
            "client": context.current().client_ip,
        },
    )
    return result
