"""Test settings: real PostgreSQL and Redis, fast password hashing, no demo shortcut."""

import os

from .base import *
from .base import CACHES, DATABASES, env

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
