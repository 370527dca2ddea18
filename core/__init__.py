"""The Glossa project: settings, accounts, seminars and who may do what."""

from core.celery import app as celery_app

__all__ = ["celery_app"]
