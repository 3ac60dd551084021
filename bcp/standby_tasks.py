"""Celery tasks (filled in by its module owner)."""
