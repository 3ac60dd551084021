"""Images uploaded to the HQ (damage photos) and by river cameras: size and type limits, checked on the bytes.

The declared content type and the file name are never trusted: the first bytes must be a JPEG or PNG signature
(docs/domain/disaster-hq.md §4). The file goes to Django's storage; the database holds only its name.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

from common.errors import ApplicationError

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # a 1920×1080 JPEG of a river is ~0.5 MB; a phone photo ~3 MB

SIGNATURES = {
    b"\xff\xd8\xff": ("jpeg", ".jpg"),
    b"\x89PNG\r\n\x1a\n": ("png", ".png"),
}


class ImageTooLarge(ApplicationError):
    code = "image_too_large"
    message = f"画像が大きすぎます({MAX_IMAGE_BYTES // (1024 * 1024)}MBまで)。"


class ImageTypeRefused(ApplicationError):
    code = "image_type_refused"
    message = "画像はJPEGまたはPNGの形式で送ってください。"


def image_kind(upload: UploadedFile) -> tuple[str, str]:
    """(kind, extension) of a JPEG or PNG upload within the size limit; raises otherwise."""
    if upload.size is None or upload.size > MAX_IMAGE_BYTES:
        raise ImageTooLarge(details={"size": upload.size, "max": MAX_IMAGE_BYTES})
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, found in SIGNATURES.items():
        if head.startswith(signature):
            return found
    raise ImageTypeRefused(details={"content_type": upload.content_type})
