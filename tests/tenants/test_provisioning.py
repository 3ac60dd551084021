"""provision_municipality: creates, migrates and seeds a town; idempotent; refuses bad input with nothing created."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from common import audit
from common.models import AuditEvent
from tenants.codes import local_government_check_digit
from tenants.models import Domain, Municipality


def valid_code(prefix: str) -> str:
    return prefix + str(local_government_check_digit(prefix))


def provision(*args: str) -> str:
    out = io.StringIO()
    call_command("provision_municipality", *args, stdout=out)
    return out.getvalue()


def snapshot() -> tuple[int, int, set[str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        schemas = {row[0] for row in cursor.fetchall()}
    return Municipality.objects.count(), Domain.objects.count(), schemas


def test_provisions_a_town_with_its_own_schema_and_audit_trail(db: Any) -> None:
    code = valid_code("39999")
    output = provision("--code", code, "--name", "試験町", "--kana", "シケンチョウ", "--schema", "shiken",
                       "--domain", "shiken.localhost")  # fmt: skip
    assert "Provisioned" in output
    town = Municipality.objects.get(schema_name="shiken")
    assert (town.code, town.name, town.status, town.kind) == (code, "試験町", "active", "town")
    assert Domain.objects.get(tenant=town).domain == "shiken.localhost"
    assert schema_exists("shiken")
    with schema_context("shiken"):
        assert AuditEvent.objects.filter(action="municipality.seed").count() == 1
    assert audit.verify_chain("shiken").intact
    with schema_context("public"):
        assert AuditEvent.objects.filter(action="municipality.provision", object_id=str(town.pk)).exists()


def test_is_idempotent_for_the_same_arguments(db: Any) -> None:
    args = ["--code", "394017", "--name", "中土佐町", "--schema", "nakatosa", "--domain", "nakatosa.localhost"]
    before = snapshot()
    with schema_context("nakatosa"):
        audit_rows = AuditEvent.objects.count()
    assert "Already provisioned" in provision(*args)
    assert snapshot() == before
    with schema_context("nakatosa"):
        assert AuditEvent.objects.count() == audit_rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--code", "394018", "--name", "誤り町", "--schema", "ayamari", "--domain", "ayamari.localhost"],
         "全国地方公共団体コードが正しくありません"),
        (["--code", "39401", "--name", "誤り町", "--schema", "ayamari", "--domain", "ayamari.localhost"],
         "全国地方公共団体コードが正しくありません"),
        (["--name", "誤り町", "--schema", "ayamari", "--domain", "ayamari.localhost"],
         "全国地方公共団体コードが正しくありません"),
        (["--code", "394017", "--name", "重複町", "--schema", "chofuku", "--domain", "chofuku.localhost"],
         "団体コード 394017 は既に登録されています"),
        (["--code", "__CODE__", "--name", "重複町", "--schema", "chofuku", "--domain", "shimanto.localhost"],
         "ホスト名 shimanto.localhost は既に使用されています"),
        (["--code", "__CODE__", "--name", "別名町", "--schema", "nakatosa", "--domain", "betsu.localhost"],
         "スキーマ名 nakatosa は既に「中土佐町」で使用されています"),
        (["--code", "__CODE__", "--name", "誤り町", "--schema", "Bad-Name", "--domain", "ayamari.localhost"],
         "スキーマ名が正しくありません"),
        (["--code", "__CODE__", "--name", "誤り町", "--schema", "pg_catalog2", "--domain", "ayamari.localhost"],
         "スキーマ名が正しくありません"),
        (["--code", "__CODE__", "--name", "誤り町", "--schema", "public", "--domain", "ayamari.localhost"],
         "スキーマ名が正しくありません"),
        (["--code", "__CODE__", "--name", "誤り町", "--schema", "x", "--domain", "ayamari.localhost"],
         "スキーマ名が正しくありません"),
        (["--code", "__CODE__", "--name", "誤り町", "--schema", "ayamari", "--domain", "bad host!"],
         "ホスト名が正しくありません"),
    ],
)  # fmt: skip
def test_refuses_bad_input_and_creates_nothing(db: Any, args: list[str], message: str) -> None:
    args = [valid_code("39998") if a == "__CODE__" else a for a in args]
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        provision(*args)
    assert snapshot() == before


def test_a_schema_left_in_the_database_by_hand_is_not_adopted(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA stray")
    with pytest.raises(CommandError, match="スキーマ stray が既に存在します"):
        provision("--code", valid_code("39997"), "--name", "迷子町", "--schema", "stray", "--domain", "stray.localhost")
    assert not Municipality.objects.filter(schema_name="stray").exists()


def test_failed_migration_leaves_nothing_behind(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_create_schema(self: Municipality, **kwargs: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{self.schema_name}"')
        raise RuntimeError("migration exploded")

    monkeypatch.setattr(Municipality, "create_schema", broken_create_schema)
    before = snapshot()
    with pytest.raises(CommandError, match="自治体の作成に失敗しました"):
        provision(
            "--code", valid_code("39996"), "--name", "失敗町", "--schema", "shippai", "--domain", "shippai.localhost"
        )
    assert snapshot() == before


def test_unknown_host_is_404_and_new_town_host_routes_to_it(db: Any, client: Any) -> None:
    assert client.get("/healthz", HTTP_HOST="nowhere.localhost").status_code == 404
    provision(
        "--code", valid_code("39995"), "--name", "新町", "--schema", "shinmachi", "--domain", "shinmachi.localhost"
    )
    response = client.get("/healthz", HTTP_HOST="shinmachi.localhost")
    assert response.status_code == 200
    assert response.json()["schema"] == "shinmachi"
