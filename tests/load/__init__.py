"""Load tests: `make load` (tests/load/run.py drives Locust against gunicorn and Celery)."""
