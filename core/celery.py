"""The Celery app; configuration comes from Django settings (CELERY_*)."""

import os
import threading
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("glossa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Set in a worker's processes (the solo pool's main process, or each prefork child), so that
# code can tell whether it runs in a worker: there, sending a follow-on job may wait out a
# broker outage; in a web request it must not.
IN_WORKER = threading.Event()


@signals.worker_init.connect
@signals.worker_process_init.connect
def _mark_worker(**_: Any) -> None:
    IN_WORKER.set()
