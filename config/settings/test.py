"""Test settings: real PostgreSQL and Redis, fast password hashing, no demo shortcut."""

from .base import *
from .base import CACHES, env

SECRET_KEY = env("SECRET_KEY", "kyodo-test-key-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES["default"]["KEY_PREFIX"] = env("KYODO_CACHE_PREFIX", "kyodo-test")
ALLOWED_HOSTS = [".localhost", "localhost", "testserver", "127.0.0.1"]
KYODO_DEMO_MODE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
