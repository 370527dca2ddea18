"""The Celery app; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

app = Celery("glossa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule(sender: Celery, **_: object) -> None:
    # Beside CELERY_BEAT_SCHEDULE: exports waiting to be sent after a lost message or a broker
    # outage are sent within a minute (annotate.services.exports.exports_sweep).
    sender.add_periodic_task(
        60.0, sender.signature("annotate.tasks.sweep_exports"), name="sweep-exports"
    )
