"""Where the backups are kept: a directory (a mounted disk at the inland site) or an S3-compatible object store.

Every backend takes keys relative to the site (``<schema>/<YYYYMMDDTHHMMSSZ>/dump.pgc.zst.age``); the site's
``prefix`` is applied here, so a Backup's ``artifact_key`` is the same at every site. Writes never leave a
half-written file under its final name: the filesystem writes to a temporary name, fsyncs and renames; S3
uploads the whole object (atomically visible) and the caller writes the manifest last. Any failure to reach a
site is raised as :class:`SiteUnreachable`, so the caller can retry later with backoff.

Every write goes through :class:`IdentifiedStorage` (what :func:`storage_for` returns): the site must prove it is
the site — its marker names this site and this council, and a site that requires it is a mount point — before
each write, and again after it (docs/domain/bcp-reliability.md §1). A missing or foreign marker is
:class:`SiteNotIdentified` / :class:`SiteMarkerForeign`, a failed copy with an alert, never a success.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from bcp.errors import (
    InvalidSite,
    ObjectMissing,
    SiteMarkerForeign,
    SiteNotIdentified,
    SiteNotMounted,
    SiteUnreachable,
    StorageError,
)
from bcp.keys import credentials_for
from bcp.models import BackupSite, StorageKind
from tenants.models import Municipality

Progress = Callable[[int], None]  # bytes transferred so far
CHUNK = 1024 * 1024


class Storage(Protocol):
    site_name: str

    def put_file(self, local: Path, key: str, *, progress: Progress | None = None) -> int: ...
    def get_file(self, key: str, local: Path) -> None: ...
    def put_bytes(self, data: bytes, key: str) -> int: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def delete(self, key: str) -> None: ...


def _clean_key(key: str) -> str:
    path = PurePosixPath(key.strip("/"))
    # A key is always a path inside the site: no "..", no absolute paths.
    if not key.strip("/") or any(part in ("..", ".") for part in path.parts):
        raise StorageError(f"不正なキーです: {key}", details={"key": key})
    return str(path)


def _join(prefix: str, key: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/{key}" if prefix else key


class FilesystemStorage:
    """A directory, typically a disk mounted at the site. The root must already exist: a missing root is an
    unmounted disk, and writing into the empty mount point would fill the system disk instead."""

    def __init__(self, *, site_name: str, root: Path, prefix: str = "") -> None:
        self.site_name = site_name
        self.root = root
        self.base = root / prefix.strip("/") if prefix.strip("/") else root

    def _path(self, key: str) -> Path:
        return self.base / _clean_key(key)

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise SiteUnreachable(
                f"バックアップサイト「{self.site_name}」の保存先 {self.root} がありません (未接続の可能性があります)。",
                details={"site": self.site_name},
            )

    def _unreachable(self, exc: OSError, action: str) -> StorageError:
        details = {"site": self.site_name, "errno": exc.errno, "error": str(exc)}
        if exc.errno == errno.ENOSPC:
            return StorageError(f"バックアップサイト「{self.site_name}」の空き容量が不足しています。", details=details)
        return SiteUnreachable(f"バックアップサイト「{self.site_name}」に{action}できません: {exc}", details=details)

    def put_file(self, local: Path, key: str, *, progress: Progress | None = None) -> int:
        self._check_root()
        target = self._path(key)
        temp = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:8]}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            done = 0
            with open(local, "rb") as src, open(temp, "wb") as dst:
                while block := src.read(CHUNK):
                    dst.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done)
                dst.flush()
                os.fsync(dst.fileno())
            # rename() is atomic within one filesystem: readers see the old state or the whole file.
            os.replace(temp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            _discard(temp)
            raise self._unreachable(exc, "書き込み") from exc
        return done

    def put_bytes(self, data: bytes, key: str) -> int:
        self._check_root()
        target = self._path(key)
        temp = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:8]}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as dst:
                dst.write(data)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(temp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            _discard(temp)
            raise self._unreachable(exc, "書き込み") from exc
        return len(data)

    def get_file(self, key: str, local: Path) -> None:
        self._check_root()
        source = self._path(key)
        if not source.is_file():
            raise ObjectMissing(details={"site": self.site_name, "key": key})
        try:
            shutil.copyfile(source, local)
        except OSError as exc:
            raise self._unreachable(exc, "読み込み") from exc

    def get_bytes(self, key: str) -> bytes:
        self._check_root()
        source = self._path(key)
        if not source.is_file():
            raise ObjectMissing(details={"site": self.site_name, "key": key})
        try:
            return source.read_bytes()
        except OSError as exc:
            raise self._unreachable(exc, "読み込み") from exc

    def exists(self, key: str) -> bool:
        self._check_root()
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        self._check_root()
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError as exc:
            raise ObjectMissing(details={"site": self.site_name, "key": key}) from exc

    def list(self, prefix: str = "") -> list[str]:
        self._check_root()
        start = self.base / _clean_key(prefix) if prefix.strip("/") else self.base
        if not start.is_dir():
            return []
        keys = []
        for path in start.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                keys.append(path.relative_to(self.base).as_posix())
        return sorted(keys)

    def delete(self, key: str) -> None:
        self._check_root()
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
            # Empty <schema>/<stamp>/ directories are removed with their last file.
            parent = path.parent
            while parent != self.base and parent.is_relative_to(self.base) and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        except OSError as exc:
            raise self._unreachable(exc, "削除") from exc


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    # The rename itself is durable only once the directory entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, a council's object store). Objects appear atomically when their
    upload completes (multipart uploads too), so an interrupted upload leaves no object under the key."""

    def __init__(
        self,
        *,
        site_name: str,
        bucket: str,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "",
        credentials_ref: str = "",
    ) -> None:
        self.site_name = site_name
        self.bucket = bucket
        self.prefix = prefix
        credentials = credentials_for(credentials_ref)
        kwargs: dict[str, Any] = {
            # Short timeouts and few retries: an unreachable site is retried by our own backoff schedule,
            # not by blocking a worker for minutes.
            "config": Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 2, "mode": "standard"}),
        }
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        if region:
            kwargs["region_name"] = region
        if credentials is not None:
            kwargs["aws_access_key_id"] = credentials.access_key_id
            kwargs["aws_secret_access_key"] = credentials.secret_access_key
            if credentials.session_token:
                kwargs["aws_session_token"] = credentials.session_token
        self.client = boto3.session.Session().client("s3", **kwargs)

    def _key(self, key: str) -> str:
        return _join(self.prefix, _clean_key(key))

    def _error(self, exc: Exception, action: str, key: str = "") -> StorageError:
        details = {"site": self.site_name, "key": key, "error": str(exc)[:500]}
        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            details["code"] = code
            if code in ("404", "NoSuchKey", "NotFound"):
                return ObjectMissing(details=details)
            if code in ("NoSuchBucket", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                return SiteUnreachable(
                    f"バックアップサイト「{self.site_name}」に{action}できません ({code})。", details=details
                )
            return StorageError(
                f"バックアップサイト「{self.site_name}」への{action}に失敗しました ({code})。", details=details
            )
        return SiteUnreachable(f"バックアップサイト「{self.site_name}」に接続できません: {exc}", details=details)

    def put_file(self, local: Path, key: str, *, progress: Progress | None = None) -> int:
        done = 0

        def callback(amount: int) -> None:
            nonlocal done
            done += amount
            if progress is not None:
                progress(done)

        try:
            self.client.upload_file(
                str(local),
                self.bucket,
                self._key(key),
                Callback=callback,
                Config=TransferConfig(multipart_threshold=64 * CHUNK, multipart_chunksize=64 * CHUNK),
            )
        except (BotoCoreError, ClientError, OSError) as exc:
            raise self._error(exc, "書き込み", key) from exc
        except Exception as exc:  # boto3's S3UploadFailedError wraps the ClientError
            raise self._error(exc.__cause__ or exc, "書き込み", key) from exc  # type: ignore[arg-type]
        return local.stat().st_size

    def put_bytes(self, data: bytes, key: str) -> int:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "書き込み", key) from exc
        return len(data)

    def get_file(self, key: str, local: Path) -> None:
        try:
            self.client.download_file(self.bucket, self._key(key), str(local))
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "読み込み", key) from exc

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return bytes(response["Body"].read())
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "読み込み", key) from exc

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self._key(key))["ContentLength"])
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "読み込み", key) from exc

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True

    def list(self, prefix: str = "") -> list[str]:
        base = _join(self.prefix, "").rstrip("/")
        full = _join(self.prefix, _clean_key(prefix)) if prefix.strip("/") else base
        strip = len(base) + 1 if base else 0
        keys: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full + "/" if full else ""):
                keys += [item["Key"][strip:] for item in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "読み込み", prefix) from exc
        return sorted(keys)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._error(exc, "削除", key) from exc


# --- Site identity ----------------------------------------------------------------------------------------------

# At the root of the site (under its prefix). A leading dot: FilesystemStorage.list() skips it, and restores look
# only at <schema>/<stamp>/ keys, so the marker is never mistaken for a backup.
MARKER_KEY = ".kyodo-backup-site.json"
MARKER_FORMAT = "kyodo-backup-site/1"


def council_identity() -> str:
    """Which council this platform is: the council's schema and, when it has one, its 団体コード."""
    council = (
        Municipality.objects.filter(kind=Municipality.Kind.COUNCIL)
        .order_by("pk")
        .values_list("schema_name", "code")
        .first()
    )
    if council is None:
        return ""
    schema_name, code = council
    return f"{schema_name}:{code}" if code else schema_name


def site_marker(site: BackupSite) -> dict[str, Any]:
    """What the marker of ``site`` says: the site's id and name and the council's identity."""
    return {"format": MARKER_FORMAT, "site_id": site.pk, "site_name": site.name, "council": council_identity()}


def marker_bytes(marker: dict[str, Any]) -> bytes:
    return json.dumps(marker, ensure_ascii=False, sort_keys=True).encode("utf-8")


def check_mount_point(site: BackupSite) -> None:
    """A filesystem site that requires it must be a mount point: its own disk, not a directory of the system disk."""
    if site.storage_kind == StorageKind.FILESYSTEM and site.require_mount_point and not os.path.ismount(site.location):
        raise SiteNotMounted(
            f"バックアップサイト「{site.name}」の保存先 {site.location} がマウントされていません"
            "(ディスクが未接続の可能性があります)。書き込みを中止しました。",
            details={"site": site.name, "location": site.location},
        )


def verify_site_marker(site: BackupSite, store: Storage) -> None:
    """Raise unless the site's marker is there and names this site of this council."""
    check_mount_point(site)
    expected = site_marker(site)
    try:
        found = json.loads(store.get_bytes(MARKER_KEY).decode("utf-8"))
    except ObjectMissing as exc:
        raise SiteNotIdentified(
            f"バックアップサイト「{site.name}」に識別マーカーがありません。ディスクが未接続か、サイトの初期設定"
            "(管理画面の「識別マーカーを設置」)が済んでいません。書き込みを中止しました。",
            details={"site": site.name, "marker": MARKER_KEY},
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise SiteMarkerForeign(
            f"バックアップサイト「{site.name}」の識別マーカーを読み取れません。書き込みを中止しました。",
            details={"site": site.name, "marker": MARKER_KEY},
        ) from exc
    if not isinstance(found, dict) or any(found.get(name) != expected[name] for name in ("site_id", "council")):
        raise SiteMarkerForeign(
            f"バックアップサイト「{site.name}」の保存先にあるのは別のサイトまたは別の協議会の識別マーカーです"
            "(保存先の設定またはディスクの取り違え)。書き込みを中止しました。",
            details={"site": site.name, "expected": expected, "found": found},
        )


class IdentifiedStorage:
    """A site's storage whose writes happen only at the site: the marker is checked before every write and read
    back after it (a disk unmounted during an upload is caught by the check after). Reads pass through."""

    def __init__(self, site: BackupSite, inner: Storage) -> None:
        self.site = site
        self.inner = inner
        self.site_name = inner.site_name

    def _verify(self) -> None:
        verify_site_marker(self.site, self.inner)

    def put_file(self, local: Path, key: str, *, progress: Progress | None = None) -> int:
        self._verify()
        done = self.inner.put_file(local, key, progress=progress)
        self._verify()
        return done

    def put_bytes(self, data: bytes, key: str) -> int:
        self._verify()
        done = self.inner.put_bytes(data, key)
        self._verify()
        return done

    def delete(self, key: str) -> None:
        # A foreign marker could be another site's (or another council's) backups: never prune those.
        self._verify()
        self.inner.delete(key)

    def get_file(self, key: str, local: Path) -> None:
        self.inner.get_file(key, local)

    def get_bytes(self, key: str) -> bytes:
        return self.inner.get_bytes(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def size(self, key: str) -> int:
        return self.inner.size(key)

    def list(self, prefix: str = "") -> list[str]:
        return [key for key in self.inner.list(prefix) if key != MARKER_KEY]


def storage_for(site: BackupSite) -> Storage:
    """The site's storage, every write checked against the site's marker (see :class:`IdentifiedStorage`)."""
    return IdentifiedStorage(site, unchecked_storage_for(site))


def unchecked_storage_for(site: BackupSite) -> Storage:
    """The bare storage, for setting the site up (bcp.sites.set_up_site writes the marker through it)."""
    if site.storage_kind == StorageKind.FILESYSTEM:
        root = Path(site.location)
        if not root.is_absolute():
            raise InvalidSite("保存先は絶対パスで指定してください。", details={"site": site.name})
        return FilesystemStorage(site_name=site.name, root=root, prefix=site.prefix)
    if site.storage_kind == StorageKind.S3:
        return S3Storage(
            site_name=site.name,
            bucket=site.location,
            prefix=site.prefix,
            endpoint_url=site.s3_endpoint_url,
            region=site.s3_region,
            credentials_ref=site.credentials_ref,
        )
    raise InvalidSite(f"不明な保存先の種類です: {site.storage_kind}", details={"site": site.name})
