"""Test settings: real PostgreSQL and Redis, fast password hashing, no demo shortcut."""

import json
import os

from .base import *
from .base import CACHES, DATABASES, env, env_json

SECRET_KEY = env("SECRET_KEY", "kyodo-test-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = env("KYODO_CACHE_PREFIX", "kyodo-test")
ALLOWED_HOSTS = [".localhost", "localhost", "testserver", "127.0.0.1"]
KYODO_DEMO_MODE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Each test run gets its own database (pytest-xdist adds a _gwN suffix per worker), so concurrent runs on
# one machine never drop each other's database.
DATABASES["default"]["TEST"] = {"NAME": env("KYODO_TEST_DB_NAME", f"test_kyodo_{os.getpid()}")}

# A fixed development key (url-safe base64 of 32 bytes); production.py requires a real one.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", "a3lvZG8tZGV2LW15bnVtYmVyLWtleS0zMmJ5dGVzISE=")

# BCP backup key for tests and the demo only — NOT FOR PRODUCTION (anyone can read it here). It is fixed, not
# generated at import, so every process (pytest, Celery workers) encrypts and decrypts with the same key.
# production.py leaves KYODO_BACKUP_KEYS to the environment.
_DEV_BACKUP_KEY = "AGE-SECRET-KEY-17W0LY88WDG3US3RC54DZC2QNQUE4KM8Y7UVH2SCST2GF8VEX4VDQ4M2AHR"  # not for production
KYODO_BACKUP_KEYS = env_json("KYODO_BACKUP_KEYS", json.dumps({"dev": _DEV_BACKUP_KEY}))
# Credentials of the local S3 server the BCP tests start (moto): not a real account.
KYODO_BACKUP_CREDENTIALS = env_json(
    "KYODO_BACKUP_CREDENTIALS", json.dumps({"moto": {"access_key_id": "testing", "secret_access_key": "testing"}})
)
