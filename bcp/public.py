"""What bcp gives the towns' public websites (common.public_site; docs/domain/website.md §3): the notice of a
declared disaster while it is in force, and the latest image of each camera marked for publication."""

from __future__ import annotations

from typing import Any

from bcp.disaster import active_disaster
from bcp.hq_models import CameraReading, RiverCamera
from common.public_site import PublicImage, PublicNotice


def disaster_notices(town: Any) -> list[PublicNotice]:
    disaster = active_disaster(town)
    if disaster is None:
        return []
    body = disaster.description or "町からの情報に注意し、身の安全を確保してください。"
    return [PublicNotice(key=f"disaster-{disaster.pk}", title=disaster.title, body=body, since=disaster.declared_at)]


def published_camera_images(town: Any) -> list[PublicImage]:
    cameras = RiverCamera.objects.filter(municipality=town, publish_latest=True, is_active=True).order_by(
        "river", "name"
    )
    images = []
    for camera in cameras:
        latest = CameraReading.objects.filter(camera=camera).exclude(image="").order_by("-observed_at", "-pk").first()
        if latest is not None:
            images.append(
                PublicImage(
                    key=camera.code,
                    label=f"{camera.river} {camera.name}({camera.location})の最新画像",
                    storage_name=latest.image.name,
                    content_type=f"image/{latest.image_type}",
                    taken_at=latest.observed_at,
                )
            )
    return images
