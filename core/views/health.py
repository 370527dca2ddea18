"""/healthz: is the database, Redis and at least one Celery worker answering?"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.celery import app as celery_app


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    client.ping()
    return "ok"


def check_worker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=1)
        replies = celery_app.control.ping(timeout=1.0, limit=1, connection=conn)
    if not replies:
        raise RuntimeError("no Celery worker answered a ping")
    return "ok"  # the probe is public: it says nothing of how many workers there are


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "redis": check_redis,
    "worker": check_worker,
}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.monotonic()
    report: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports every failure, whatever it is
            healthy = False
            # The probe is public: details (hosts, ports) only for developers and staff.
            detailed = settings.DEBUG or getattr(request.user, "is_staff", False)
            report[name] = f"down: {type(error).__name__}: {error}"[:300] if detailed else "down"
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": report,
            "seconds": round(time.monotonic() - started, 3),
        },
        status=200 if healthy else 503,
    )
