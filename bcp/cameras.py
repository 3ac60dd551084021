"""River cameras (河川等監視カメラ, docs/domain/disaster-hq.md §5): device tokens, ingestion of still images and
water levels, threshold crossings that raise an alert on the HQ board and notify the staff on duty.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bcp.disaster import _audit_both
from bcp.hq_models import (
    LEVEL_ORDER,
    CameraAlert,
    CameraReading,
    DutyAssignment,
    HqEntry,
    LevelState,
    RiverCamera,
    StaffNotification,
)
from bcp.models import Disaster
from bcp.uploads import image_kind
from common.errors import ApplicationError, PermissionDenied
from common.health import DEPENDENCY_ERRORS, note_degraded
from tenants.access import active_roles
from tenants.models import Municipality, Person, Role

AUDIT_LABELS = {
    "bcp.camera_token_rotated": "河川カメラ: 機器トークンの更新",
    "bcp.camera_reading": "河川カメラ: 観測値の受信",
    "bcp.camera_alert": "河川カメラ: 水位警報",
    "bcp.camera_alert_ack": "河川カメラ: 水位警報の確認",
    "bcp.camera_publish": "河川カメラ: 公開設定の変更",
}

TOKEN_PREFIX = "kcam_"  # noqa: S105  (a marker that tells a device token apart, not a secret)
ROTATION_GRACE = timedelta(minutes=30)
RATE_LIMIT = 12  # readings per device and minute; a camera sends one every few minutes
MAX_LEVEL_CM = 10_000


class DeviceAuthFailed(PermissionDenied):
    code = "device_token_invalid"
    message = "機器トークンが正しくありません。"
    status_code = 401


class DeviceWrongTown(PermissionDenied):
    code = "device_wrong_town"
    message = "この機器トークンは、この自治体のカメラのものではありません。"


class DeviceRateLimited(ApplicationError):
    code = "device_rate_limited"
    message = "送信が多すぎます。しばらくしてから送ってください。"
    status_code = 429


class ReadingInvalid(ApplicationError):
    code = "reading_invalid"
    message = "水位(cm)または画像のどちらかを、正しい値で送ってください。"


class CameraManageRefused(PermissionDenied):
    code = "camera_manage_refused"
    message = "カメラの設定は、その町または協議会の情報システム担当が行います。"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def state_for(camera: RiverCamera, level_cm: int | None) -> str:
    if level_cm is None:
        return camera.state
    if level_cm >= camera.danger_cm:
        return LevelState.DANGER
    if level_cm >= camera.warning_cm:
        return LevelState.WARNING
    if level_cm >= camera.caution_cm:
        return LevelState.CAUTION
    return LevelState.NORMAL


def _require_manager(*, actor: Person, host: Municipality, camera: RiverCamera) -> None:
    if host.kind != Municipality.Kind.COUNCIL and host.pk != camera.municipality_id:
        raise CameraManageRefused()
    if Role.IT_ADMIN not in active_roles(actor, host):
        raise CameraManageRefused()


def rotate_token(*, actor: Person, host: Municipality, camera: RiverCamera) -> str:
    """A new device token, shown once; only its digest is kept. The old one works for ROTATION_GRACE more."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = RiverCamera.objects.select_for_update().select_related("municipality").get(pk=camera.pk)
        _require_manager(actor=actor, host=host, camera=locked)
        now = timezone.now()
        locked.previous_token_digest = locked.token_digest
        locked.previous_token_valid_until = now + ROTATION_GRACE if locked.token_digest else None
        locked.token_digest, locked.token_rotated_at = digest(token), now
        locked.save(
            update_fields=["previous_token_digest", "previous_token_valid_until", "token_digest", "token_rotated_at"]
        )
        _audit_both(actor=actor, action="bcp.camera_token_rotated", town=locked.municipality, obj=locked, details={})
    return token


def set_publication(*, actor: Person, host: Municipality, camera: RiverCamera, publish: bool) -> RiverCamera:
    with transaction.atomic():
        locked = RiverCamera.objects.select_for_update().select_related("municipality").get(pk=camera.pk)
        _require_manager(actor=actor, host=host, camera=locked)
        locked.publish_latest = publish
        locked.save(update_fields=["publish_latest"])
        _audit_both(
            actor=actor, action="bcp.camera_publish", town=locked.municipality, obj=locked, details={"publish": publish}
        )
    return locked


def authenticate_device(*, token: str, host: Municipality) -> RiverCamera:
    if not token.startswith(TOKEN_PREFIX):
        raise DeviceAuthFailed()
    found = digest(token)
    now = timezone.now()
    camera = (
        RiverCamera.objects.select_related("municipality")
        .filter(is_active=True)
        .filter(Q(token_digest=found) | Q(previous_token_digest=found, previous_token_valid_until__gt=now))
        .first()
    )
    if camera is None:
        raise DeviceAuthFailed()
    if camera.municipality_id != host.pk:
        raise DeviceWrongTown(details={"camera": camera.code})
    return camera


def _rate_limited(camera: RiverCamera, now: datetime) -> bool:
    key = f"bcp.camera_rate:{camera.pk}:{now:%Y%m%d%H%M}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key) > RATE_LIMIT
    except DEPENDENCY_ERRORS as exc:
        note_degraded("cache.camera_rate_limit_skipped", exc)  # fail open: a flood alert beats a lost reading
        return False


@dataclass(frozen=True)
class Ingested:
    reading: CameraReading
    alert: CameraAlert | None


# long: authenticate, limit, validate, then write the reading, its state and any alert in one transaction
def ingest_reading(
    *,
    token: str,
    host: Municipality,
    level_cm: int | None,
    image: UploadedFile | None,
    observed_at: datetime | None = None,
) -> Ingested:
    """One reading as a device sends it. Every refusal happens before anything is written."""
    camera = authenticate_device(token=token, host=host)
    now = timezone.now()
    if level_cm is None and image is None:
        raise ReadingInvalid()
    if level_cm is not None and not -MAX_LEVEL_CM <= level_cm <= MAX_LEVEL_CM:
        raise ReadingInvalid(details={"level_cm": level_cm})
    kind, extension = image_kind(image) if image is not None else ("", "")
    if _rate_limited(camera, now):
        raise DeviceRateLimited(details={"limit_per_minute": RATE_LIMIT})
    stored: list[str] = []
    try:
        with transaction.atomic():
            locked = RiverCamera.objects.select_for_update().select_related("municipality").get(pk=camera.pk)
            state = state_for(locked, level_cm)
            reading = CameraReading(
                camera=locked, observed_at=observed_at or now, level_cm=level_cm, state=state, image_type=kind
            )
            if image is not None:
                reading.image.save(f"{locked.code}{extension}", image, save=False)
                stored.append(reading.image.name)
            reading.save()
            alert = _cross(camera=locked, reading=reading) if level_cm is not None else None
            _audit_both(
                actor=None,
                action="bcp.camera_reading",
                town=locked.municipality,
                obj=reading,
                details={"camera": locked.code, "level_cm": level_cm, "state": state, "image": bool(image)},
                role="device",
            )
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise
    return Ingested(reading=reading, alert=alert)


def _cross(*, camera: RiverCamera, reading: CameraReading) -> CameraAlert | None:
    """Record the new state; a rise into 注意/警戒/危険 raises an alert (a fall only updates the state)."""
    before, after = camera.state, reading.state
    camera.state = after
    camera.save(update_fields=["state"])
    if LEVEL_ORDER.index(LevelState(after)) <= LEVEL_ORDER.index(LevelState(before)):
        return None
    assert reading.level_cm is not None  # _cross is only called for a reading with a level
    alert = CameraAlert.objects.create(camera=camera, reading=reading, state=after, level_cm=reading.level_cm)
    message = f"{camera.river} {camera.name}: 水位 {reading.level_cm}cm({reading.get_state_display()}水位を超過)"
    disaster = Disaster.objects.filter(municipality=camera.municipality, ended_at__isnull=True).first()
    if disaster is not None:
        HqEntry.objects.create(disaster=disaster, kind="camera", text=message, actor_name="河川カメラ")
    _notify_on_duty(camera=camera, message=message, at=reading.received_at)
    _audit_both(
        actor=None,
        action="bcp.camera_alert",
        town=camera.municipality,
        obj=alert,
        details={"camera": camera.code, "state": after, "level_cm": reading.level_cm},
        role="device",
    )
    return alert


def on_duty(municipality: Municipality, at: datetime) -> list[Person]:
    duties = DutyAssignment.objects.filter(municipality=municipality, starts_at__lte=at, ends_at__gt=at)
    return list(Person.objects.filter(pk__in=duties.values("person_id"), is_active=True).order_by("pk"))


def _notify_on_duty(*, camera: RiverCamera, message: str, at: datetime) -> None:
    people = on_duty(camera.municipality, at)
    StaffNotification.objects.bulk_create(
        StaffNotification(
            person=person,
            municipality=camera.municipality,
            kind="camera_alert",
            message=message[:300],
            link=f"/hq/cameras/{camera.pk}/",
        )
        for person in people
    )
    addresses = [p.email for p in people if p.email]
    if addresses:
        # After commit: a rolled-back reading sends no mail; a mail server that is down loses no reading.
        transaction.on_commit(
            lambda: send_mail(
                f"【水位警報】{camera.river} {camera.name}",
                message,
                settings.DEFAULT_FROM_EMAIL,
                addresses,
                fail_silently=True,
            )
        )


def acknowledge_alert(*, actor: Person, host: Municipality, alert: CameraAlert) -> CameraAlert:
    with transaction.atomic():
        locked = CameraAlert.objects.select_for_update().select_related("camera__municipality").get(pk=alert.pk)
        town = locked.camera.municipality
        if host.kind != Municipality.Kind.COUNCIL and host.pk != town.pk:
            raise CameraManageRefused()
        if not {Role.CLERK, Role.IT_ADMIN} & active_roles(actor, host):
            raise CameraManageRefused()
        if locked.acknowledged_at is None:
            locked.acknowledged_at = timezone.now()
            locked.acknowledged_by_name = (actor.get_full_name() or actor.username)[:100]
            locked.save(update_fields=["acknowledged_at", "acknowledged_by_name"])
            _audit_both(actor=actor, action="bcp.camera_alert_ack", town=town, obj=locked, details={})
    return locked
