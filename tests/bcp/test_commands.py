"""backup_municipality and drill_municipality: the IT administrator's commands around the same services the
Celery tasks call."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bcp.models import Backup, BackupSite, BackupStatus, CopyStatus, DrillStatus, RestoreDrill
from common.dates import local_today

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_backup_now_then_drill_it(fs_site: BackupSite) -> None:
    output = run("backup_municipality", "--schema", "nakatosa")
    backup = Backup.objects.get(schema_name="nakatosa", scheduled_for=local_today())
    assert backup.status == BackupStatus.COMPLETE
    assert backup.sha256
    assert [copy.status for copy in backup.copies.all()] == [CopyStatus.COMPLETE]
    assert "nakatosa: 完了" in output
    assert f"{fs_site.name}: 完了" in output

    # Idempotent like the nightly run: today's complete backup is not dumped again.
    run("backup_municipality", "--schema", "nakatosa")
    again = Backup.objects.get(pk=backup.pk)
    assert (again.sha256, again.attempts, again.finished_at) == (backup.sha256, backup.attempts, backup.finished_at)

    output = run("drill_municipality", "--schema", "nakatosa", "--site", fs_site.name)
    drill = RestoreDrill.objects.get(schema_name="nakatosa", site=fs_site)
    assert drill.status == DrillStatus.PASSED
    assert drill.backup_id == backup.pk
    assert drill.tables_checked > 0
    assert "nakatosa: 合格" in output


def test_refusals_write_nothing(fs_site: BackupSite) -> None:
    with pytest.raises(CommandError, match="バックアップ対象ではない"):
        run("backup_municipality", "--schema", "no_such_town")
    with pytest.raises(CommandError, match="有効なバックアップサイトがありません"):
        run("backup_municipality", "--schema", "nakatosa", "--site", "nowhere")
    with pytest.raises(CommandError, match="バックアップサイト「nowhere」がありません"):
        run("drill_municipality", "--schema", "nakatosa", "--site", "nowhere")
    assert not Backup.objects.exists()
    assert not RestoreDrill.objects.exists()


def test_a_drill_without_a_backup_fails_with_a_non_zero_exit(fs_site: BackupSite) -> None:
    with pytest.raises(CommandError, match="不合格の復元訓練があります"):
        run("drill_municipality", "--schema", "shimanto", "--site", fs_site.name)
    assert RestoreDrill.objects.get(schema_name="shimanto").status == DrillStatus.FAILED


def test_demo_sites_then_a_backup_of_every_town(tmp_path: Path) -> None:
    output = run("seed_bcp_demo", "--root", str(tmp_path), "--backup")
    sites = list(BackupSite.objects.order_by("name"))
    assert [(s.name, s.role, s.location) for s in sites] == [
        ("inland", "inland", str((tmp_path / "inland").resolve())),
        ("remote", "remote", str((tmp_path / "remote").resolve())),
    ]
    backups = Backup.objects.filter(scheduled_for=local_today())
    assert sorted(b.schema_name for b in backups) == ["council", "nakatosa", "public", "shimanto"]
    assert {b.status for b in backups} == {BackupStatus.COMPLETE}
    assert {c.status for b in backups for c in b.copies.all()} == {CopyStatus.COMPLETE}
    assert (tmp_path / "inland" / "nakatosa").is_dir()
    assert "4 件のバックアップが完了しました" in output
    # Idempotent: a council that has sites keeps them as they are.
    assert "登録済み" in run("seed_bcp_demo", "--root", str(tmp_path / "other"))
    assert BackupSite.objects.count() == 2


def test_a_demo_made_before_site_markers_gets_its_sites_set_up(tmp_path: Path) -> None:
    """docs/domain/bcp-reliability.md §1: a demo's sites made before markers existed would fail every copy; the demo
    sets them up."""
    from bcp.storage import MARKER_KEY

    root = tmp_path / "demo"
    (root / "inland").mkdir(parents=True)
    legacy = BackupSite.objects.create(
        name="inland", role="inland", storage_kind="filesystem", location=str((root / "inland").resolve()),
        encryption_key_ref="dev",
    )  # fmt: skip
    assert "登録済み" in run("seed_bcp_demo", "--root", str(root))
    legacy.refresh_from_db()
    assert legacy.marker_written_at is not None
    assert (root / "inland" / MARKER_KEY).is_file()
