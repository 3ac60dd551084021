"""Developer and demo settings: DEBUG on, demo two-factor shortcut on."""

import json

from .base import *
from .base import env, env_json

DEBUG = True
SECRET_KEY = env("SECRET_KEY", "kyodo-local-insecure-key-do-not-use-in-production-0123456789")
KYODO_DEMO_MODE = True

# A fixed development key (url-safe base64 of 32 bytes); production.py requires a real one.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", "a3lvZG8tZGV2LW15bnVtYmVyLWtleS0zMmJ5dGVzISE=")

# BCP backup key for tests and the demo only — NOT FOR PRODUCTION (anyone can read it here). It is fixed, not
# generated at import, so every process (pytest, Celery workers) encrypts and decrypts with the same key.
# production.py leaves KYODO_BACKUP_KEYS to the environment.
_DEV_BACKUP_KEY = "AGE-SECRET-KEY-17W0LY88WDG3US3RC54DZC2QNQUE4KM8Y7UVH2SCST2GF8VEX4VDQ4M2AHR"  # not for production
KYODO_BACKUP_KEYS = env_json("KYODO_BACKUP_KEYS", json.dumps({"dev": _DEV_BACKUP_KEY}))
