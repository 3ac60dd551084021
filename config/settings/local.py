"""Developer and demo settings: DEBUG on, demo two-factor shortcut on."""

import json

from common.keys import DEV_BACKUP_KEY, DEV_MYNUMBER_KEY, installation_secret_key

from .base import *
from .base import env, env_json

DEBUG = True
# Never a key published in the repository: the demo runs on a real database whose sessions and tickets it signs.
# SECRET_KEY from the environment, else this installation's own key, generated once into .kyodo/secret_key
# (docs/security.md).
SECRET_KEY = env("SECRET_KEY", "") or installation_secret_key()
KYODO_DEMO_MODE = True

# A fixed development key (url-safe base64 of 32 bytes); production.py requires a real one.
KYODO_MYNUMBER_KEY = env("KYODO_MYNUMBER_KEY", DEV_MYNUMBER_KEY)

# production.py leaves KYODO_BACKUP_KEYS to the environment.
KYODO_BACKUP_KEYS = env_json("KYODO_BACKUP_KEYS", json.dumps({"dev": DEV_BACKUP_KEY}))
