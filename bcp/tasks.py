"""Celery tasks of the BCP module. The drill, standby and disaster tasks live in their own modules and are
imported here so that Celery's autodiscovery (which imports ``<app>.tasks``) registers them."""

from bcp import disaster_tasks as disaster_tasks
from bcp import drill_tasks as drill_tasks
from bcp import standby_tasks as standby_tasks
