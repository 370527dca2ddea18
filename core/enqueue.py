"""Sending Celery tasks from the services, by name.

Tasks are thin: each loads a row by id and calls one service (annotate/tasks.py,
core/tasks.py), so the task modules import the services. The services send tasks back the
other way through here, by the task's name, so that no service imports a task module and the
two never form an import cycle (tests/test_architecture.py). Every app's tasks are registered
when Django starts (the apps' ready()), in web processes and workers alike.
"""

from __future__ import annotations

from typing import Any

from celery import Task, current_app
from django.db import transaction


def task(name: str) -> Task:
    """The registered task `name` (e.g. "annotate.tasks.build_export")."""
    found: Task = current_app.tasks[name]
    return found


def after_commit(name: str, *args: Any, robust: bool = False) -> None:
    """Send the task `name` with `args` once the current transaction commits (at once outside
    one); `robust`: a broker error is logged by Django, not raised into the request."""
    transaction.on_commit(lambda: task(name).delay(*args), robust=robust)
