"""What a town's public website shows that other apps own (docs/domain/website.md §3).

The website app sits beside bcp and may not import it; bcp registers here what the public site must show — the
disaster notices in force and the camera images a town chose to publish — and the website reads it through
``notices_in_force`` and ``public_images``. Sources receive the town (a ``tenants.Municipality``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PublicNotice:
    key: str
    title: str
    body: str
    since: datetime


@dataclass(frozen=True)
class PublicImage:
    key: str  # stable, URL-safe
    label: str  # the alternative text as well
    storage_name: str
    content_type: str
    taken_at: datetime


NoticeSource = Callable[[Any], list[PublicNotice]]
ImageSource = Callable[[Any], list[PublicImage]]

_NOTICE_SOURCES: list[NoticeSource] = []
_IMAGE_SOURCES: list[ImageSource] = []


def register_notice_source(source: NoticeSource) -> None:
    if source not in _NOTICE_SOURCES:
        _NOTICE_SOURCES.append(source)


def register_image_source(source: ImageSource) -> None:
    if source not in _IMAGE_SOURCES:
        _IMAGE_SOURCES.append(source)


def notices_in_force(town: Any) -> list[PublicNotice]:
    return [notice for source in _NOTICE_SOURCES for notice in source(town)]


def public_images(town: Any) -> list[PublicImage]:
    return [image for source in _IMAGE_SOURCES for image in source(town)]
