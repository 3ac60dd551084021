"""Developer and demo settings: DEBUG on, demo two-factor shortcut on."""

from .base import *
from .base import env

DEBUG = True
SECRET_KEY = env("SECRET_KEY", "kyodo-local-insecure-key-do-not-use-in-production-0123456789")
KYODO_DEMO_MODE = True

# A fixed development key (url-safe base64 of 32 bytes); production.py requires a real one.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", "a3lvZG8tZGV2LW15bnVtYmVyLWtleS0zMmJ5dGVzISE=")
