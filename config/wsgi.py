import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# This process serves web requests: its database connections get the request time budget (common.timeouts).
os.environ["KYODO_PROCESS"] = "web"

application = get_wsgi_application()
