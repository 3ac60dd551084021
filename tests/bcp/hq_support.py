"""Shared pieces of the HQ and camera tests: tiny real images and the template set."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bcp.hq_models import ChecklistKind, HqChecklistTemplate


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (20, 80, 160)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (20, 80, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def templates() -> list[HqChecklistTemplate]:
    return [
        HqChecklistTemplate.objects.create(
            kind=ChecklistKind.INITIAL, position=1, title="本部員の参集", owner="総務課", due_minutes=30
        ),
        HqChecklistTemplate.objects.create(
            kind=ChecklistKind.SHELTER, position=1, title="避難所の開錠", owner="教育委員会", due_minutes=60
        ),
        HqChecklistTemplate.objects.create(
            kind=ChecklistKind.SAFETY, position=1, title="職員の安否確認", owner="総務課", due_minutes=120
        ),
    ]
