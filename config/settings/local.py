"""Developer and demo settings: DEBUG on, demo two-factor shortcut on."""

from .base import *
from .base import env

DEBUG = True
SECRET_KEY = env("SECRET_KEY", "kyodo-local-insecure-key-do-not-use-in-production-0123456789")
KYODO_DEMO_MODE = True
