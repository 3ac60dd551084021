"""個人番号 (My Number): validation, encryption at rest, a blind index for look-up, masking.

番号法 restricts who may see the number. It is stored only encrypted (AES-256-GCM, key from settings, never
beside the data) plus an HMAC-SHA256 "blind index" so that an exact-number search needs no decryption.
Only roles allowed by the module may reveal it, with a purpose, and every reveal — on the register page or
printed on a 住民票の写し — is audited as ``resident.reveal_my_number`` through ``reveal``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.jp import in_ as individual_number

from common import audit
from resident_records.errors import InvalidMyNumber

if TYPE_CHECKING:
    from resident_records.models import Resident
    from tenants.models import Person

_NONCE_BYTES = 12
_VERSION = b"k1"


@lru_cache(maxsize=4)
def _keys(raw: str) -> tuple[bytes, bytes]:
    try:
        master = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError as exc:
        raise ImproperlyConfigured("KYODO_MYNUMBER_KEY must be url-safe base64 of 32 bytes") from exc
    if len(master) != 32:  # also catches an unset key
        raise ImproperlyConfigured("KYODO_MYNUMBER_KEY must be url-safe base64 of 32 bytes")
    # Separate keys for encryption and for the blind index, derived from the one configured secret.
    enc = hmac.new(master, b"kyodo-mynumber-encryption", hashlib.sha256).digest()
    idx = hmac.new(master, b"kyodo-mynumber-index", hashlib.sha256).digest()
    return enc, idx


def _configured_keys() -> tuple[bytes, bytes]:
    return _keys(settings.KYODO_MYNUMBER_KEY)


def normalize(raw: str) -> str:
    """Full-width digits, spaces and hyphens are accepted as a clerk would type them."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch.isdigit())


def validate(raw: str) -> str:
    """Return the 12-digit number or raise InvalidMyNumber (check digit per 番号法施行令, python-stdnum)."""
    number = normalize(raw)
    try:
        return str(individual_number.validate(number))
    except StdnumValidationError as exc:
        raise InvalidMyNumber(details={"reason": type(exc).__name__}) from exc


def valid_plain(number: str) -> bool:
    """``validate`` for a number already written as exactly 12 ASCII digits (the bulk import's plain rows):
    normalising such a string changes nothing, so only python-stdnum's check digit is left to test."""
    return individual_number.calc_check_digit(number[:11]) == number[11]


class BatchSealer:
    """Encryption and blind index for many numbers: the keys and the cipher set up once, one random read per
    batch for the nonces. The single-number functions below are this with a batch of one, so there is one
    format."""

    def __init__(self) -> None:
        enc_key, self._index_key = _configured_keys()
        self._cipher = AESGCM(enc_key)

    def encrypt_many(self, numbers: list[str]) -> list[str]:
        nonces = os.urandom(_NONCE_BYTES * len(numbers))
        sealed = []
        for i, number in enumerate(numbers):
            nonce = nonces[i * _NONCE_BYTES : (i + 1) * _NONCE_BYTES]
            sealed.append((_VERSION + nonce + self._cipher.encrypt(nonce, number.encode(), _VERSION)).hex())
        return sealed

    def blind_index_many(self, numbers: list[str]) -> list[str]:
        key = self._index_key
        return [hmac.digest(key, number.encode(), "sha256").hex() for number in numbers]


def encrypt(number: str) -> str:
    return BatchSealer().encrypt_many([number])[0]


def decrypt(token: str) -> str:
    enc_key, _ = _configured_keys()
    blob = bytes.fromhex(token)
    version, nonce, sealed = blob[:2], blob[2 : 2 + _NONCE_BYTES], blob[2 + _NONCE_BYTES :]
    return AESGCM(enc_key).decrypt(nonce, sealed, version).decode()


def blind_index(number: str) -> str:
    return BatchSealer().blind_index_many([number])[0]


def mask(number: str | None) -> str:
    return "" if not number else "●●●●●●●●" + number[-4:]


def reveal(*, actor: Person | None, resident: Resident, purpose: str, details: dict[str, Any] | None = None) -> str:
    """The person's 個人番号 in clear ("" when none is registered), with its audit row (番号法 第19条・第20条):
    every display or print of the whole number is a reveal with a purpose."""
    number = decrypt(resident.my_number_encrypted) if resident.my_number_encrypted else ""
    audit.record(
        actor=actor,
        action="resident.reveal_my_number",
        obj=resident,
        purpose=purpose[:200],
        personal_data=True,
        details=details,
    )
    return number
