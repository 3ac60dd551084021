"""Test settings: real PostgreSQL and Redis, fast password hashing, no demo shortcut."""

import json
import os

from common.keys import DEV_BACKUP_KEY, DEV_MYNUMBER_KEY, TEST_SECRET_KEY

from .base import *
from .base import CACHES, DATABASES, env, env_json

SECRET_KEY = env("SECRET_KEY", TEST_SECRET_KEY)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = env("KYODO_CACHE_PREFIX", "kyodo-test")
ALLOWED_HOSTS = [".localhost", "localhost", "testserver", "127.0.0.1"]
KYODO_DEMO_MODE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Groupware files of a test run, apart from a developer's own var/groupware.
    "groupware": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": f"/tmp/kyodo-test-groupware-{os.getpid()}"},  # noqa: S108  (per-run, test only)
    },
}

# Each test run gets its own database (pytest-xdist adds a _gwN suffix per worker), so concurrent runs on
# one machine never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": env("KYODO_TEST_DB_NAME", f"test_kyodo_{os.getpid()}")}

# A fixed development key (url-safe base64 of 32 bytes); production.py requires a real one.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", DEV_MYNUMBER_KEY)

# The published BCP backup key (common/keys.py); production.py leaves KYODO_BACKUP_KEYS to the environment.
KYODO_BACKUP_KEYS = env_json("KYODO_BACKUP_KEYS", json.dumps({"dev": DEV_BACKUP_KEY}))
# Credentials of the local S3 server the BCP tests start (moto): not a real account.
KYODO_BACKUP_CREDENTIALS = env_json(
    "KYODO_BACKUP_CREDENTIALS", json.dumps({"moto": {"access_key_id": "testing", "secret_access_key": "testing"}})
)
