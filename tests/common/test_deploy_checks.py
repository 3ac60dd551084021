"""`manage.py check --deploy` fails on a configuration unsafe for real data (docs/security.md, docs/security.md)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pyrage
import pytest
from django.core.checks import run_checks
from django.test import override_settings

from common.keys import (
    DEV_BACKUP_KEY,
    DEV_MYNUMBER_KEY,
    PUBLISHED_SECRET_KEYS,
    TEST_SECRET_KEY,
    installation_secret_key,
)

ROOT = Path(__file__).resolve().parents[2]

SAFE = {
    "DEBUG": False,
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": [".kyodo.example.jp"],
    "KYODO_MYNUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "KYODO_BACKUP_KEYS": {"council": str(pyrage.x25519.Identity.generate())},
    "KYODO_DEMO_MODE": False,
}


def _kyodo_errors(**overrides: object) -> set[str]:
    with override_settings(**{**SAFE, **overrides}):
        return {m.id for m in run_checks(include_deployment_checks=True) if m.id and m.id.startswith("kyodo.E")}


def test_a_safe_configuration_passes() -> None:
    assert _kyodo_errors() == set()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": True}, "kyodo.E002"),
        ({"SECRET_KEY": "kyodo-local-insecure-key-do-not-use-in-production-0123456789"}, "kyodo.E003"),
        ({"SECRET_KEY": TEST_SECRET_KEY}, "kyodo.E003"),
        ({"SECRET_KEY": secrets.token_urlsafe(20)}, "kyodo.E004"),
        ({"SECRET_KEY": "ab" * 40}, "kyodo.E004"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "kyodo.E004"),
        ({"ALLOWED_HOSTS": ["*"]}, "kyodo.E005"),
        ({"ALLOWED_HOSTS": [".kyodo.example.jp", "localhost"]}, "kyodo.E005"),
        ({"ALLOWED_HOSTS": [".localhost"]}, "kyodo.E005"),
        ({"KYODO_MYNUMBER_KEY": DEV_MYNUMBER_KEY}, "kyodo.E006"),
        ({"KYODO_MYNUMBER_KEY": ""}, "kyodo.E007"),
        ({"KYODO_MYNUMBER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(16)).decode()}, "kyodo.E007"),
        ({"KYODO_MYNUMBER_KEY": "!" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}, "kyodo.E007"),
        ({"KYODO_BACKUP_KEYS": {"council": DEV_BACKUP_KEY}}, "kyodo.E103"),
        ({"KYODO_BACKUP_KEYS": {"council": DEV_BACKUP_KEY.lower()}}, "kyodo.E103"),
        ({"KYODO_BACKUP_KEYS": {"council": "AGE-SECRET-KEY-1SHORT"}}, "kyodo.E102"),
    ],
    ids=lambda value: "" if isinstance(value, str) else ",".join(value),
)
def test_an_unsafe_setting_fails_the_deploy_check(overrides: dict[str, object], expected: str) -> None:
    assert _kyodo_errors(**overrides) == {expected}


def test_every_published_secret_key_is_refused() -> None:
    for key in PUBLISHED_SECRET_KEYS:
        assert _kyodo_errors(SECRET_KEY=key) == {"kyodo.E003"}


def _local_settings(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_")) and k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", KYODO_SECRET_KEY_FILE=str(tmp_path / "secret_key"))
    env.update(extra)
    script = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_local_settings_use_this_installations_own_key(tmp_path: Path) -> None:
    first = _local_settings(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key not in PUBLISHED_SECRET_KEYS
    assert len(key) >= 50
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == key
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    # Every later process of the installation signs with the same key; SECRET_KEY from the environment wins.
    assert _local_settings(tmp_path).stdout.strip() == key
    given = secrets.token_urlsafe(50)
    assert _local_settings(tmp_path, SECRET_KEY=given).stdout.strip() == given


def test_each_installation_gets_its_own_key(tmp_path: Path) -> None:
    one = installation_secret_key(tmp_path / "a" / "secret_key")
    other = installation_secret_key(tmp_path / "b" / "secret_key")
    assert one != other
    assert installation_secret_key(tmp_path / "a" / "secret_key") == one


def test_kyodo_up_passes_the_installation_key_to_its_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    monkeypatch.setenv("KYODO_SECRET_KEY_FILE", str(tmp_path / "secret_key"))
    import kyodo_up

    env: dict[str, str] = {}
    kyodo_up.use_installation_secret_key(env)
    assert env["SECRET_KEY"] == (tmp_path / "secret_key").read_text().strip()
    assert env["SECRET_KEY"] not in PUBLISHED_SECRET_KEYS
    given = {"SECRET_KEY": secrets.token_urlsafe(50)}
    kyodo_up.use_installation_secret_key(given)
    assert given["SECRET_KEY"] != env["SECRET_KEY"]


def test_production_deploy_check_fails_with_the_development_keys() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        KYODO_MYNUMBER_KEY=DEV_MYNUMBER_KEY,
        KYODO_ALLOWED_HOSTS="*",
        KYODO_BACKUP_KEYS=json.dumps({"dev": DEV_BACKUP_KEY}),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    for check_id in ("kyodo.E005", "kyodo.E006", "kyodo.E103"):
        assert check_id in result.stderr, result.stderr
