"""Redis away: pages still render and members still write (the cache and the rate limits step
aside); an export asked for meanwhile fails visibly and can be retried; and once Redis is
back, exports queued before it went resume by themselves.

The quick test points the cache at a closed port; the long one (make faults) restarts a
private redis-server under a real web server and a real worker.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.test import Client, override_settings
from rest_framework.test import APIClient

from annotate.models import Annotation, Document, ExportJob, Notification
from annotate.services import annotations as notes
from annotate.services.exports import NOT_QUEUED
from core.models import User
from core.runtime import with_database
from core.services.accounts import api_token_create
from tests.annotate.test_export_faults import busy
from tests.conftest import start_worker, stop_worker
from tests.faults.conftest import PrivateRedis, WebServer, production_env, report

LD = "application/ld+json"
CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def pages(document: Document) -> list[str]:
    """What a member opens in a session: every page that reads the cache, and the API."""
    slug = document.seminar.slug
    return [
        "/",
        f"/s/{slug}/",
        document.get_absolute_url(),
        f"/s/{slug}/claims/",
        "/exports/",
        "/notifications/",
        f"/api/v1/seminars/{slug}/annotations/",
        "/api/v1/exports/",
    ]


def w3c(base: str, document: Document, exact: str, body: str) -> dict[str, Any]:
    return {
        "type": "Annotation",
        "motivation": "commenting",
        "body": {"type": "TextualBody", "value": body},
        "target": {
            "source": f"{base}/api/v1/documents/{document.pk}/",
            "selector": {"type": "TextQuoteSelector", "exact": exact},
        },
    }


@pytest.mark.django_db
def test_pages_render_and_members_write_with_the_cache_away(
    document: Document, roles: dict[str, User], settings: Any
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "annotate": (1, 60)}  # would 429 at once
    member = roles["member"]
    browser = Client()
    browser.force_login(member)
    api = APIClient()
    api.force_authenticate(member)
    cache = {"default": {**settings.CACHES["default"], "LOCATION": CLOSED}}
    with override_settings(CACHES=cache):
        for path in pages(document):
            response = browser.get(path)
            assert response.status_code == 200, (path, response.status_code)
        for i in range(3):  # the limit (1 a minute) cannot be counted: it steps aside
            created = api.post(
                f"/api/v1/seminars/{document.seminar.slug}/annotations/",
                json.dumps(w3c("http://testserver", document, "tacit agreement", f"Note {i}")),
                content_type=LD,
            )
            assert created.status_code == 201, created.content
        reader = browser.get(document.get_absolute_url())
        assert reader.status_code == 200 and b"tacit agreement" in reader.content
    assert Annotation.objects.filter(author=member).count() == 3


def wait_for(condition: Any, seconds: float, what: str) -> float:
    """Poll until `condition()`; the time it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            pytest.fail(what)
        time.sleep(0.1)
    return time.monotonic() - started


def status(pk: int) -> str:
    return ExportJob.objects.values_list("status", flat=True).get(pk=pk)


@pytest.mark.faults
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_redis_restarted_pages_keep_serving_and_exports_resume(
    private_redis: PrivateRedis,
    short_tmp: Path,
    worker_media_dir: Path,
    document: Document,
    roles: dict[str, User],
) -> None:
    from django.db import connection

    member, moderator = roles["member"], roles["moderator"]
    busy(document, member)  # so that the PDF edition takes a few seconds
    hidden = notes.annotation_create(
        document=document, user=member, start=0, end=8, body="Off-topic, surely."
    )
    cookie = Client()
    cookie.force_login(member)
    browser = requests.Session()
    browser.cookies.set("sessionid", cookie.cookies["sessionid"].value)
    api = {
        user.username: {"Authorization": f"Token {api_token_create(user=user).key}"}
        for user in (member, moderator)
    }
    media = {"MEDIA_ROOT": str(worker_media_dir)}
    database = with_database(settings.DATABASE_URL, connection.settings_dict["NAME"])
    env = {
        **production_env(database, private_redis.url),
        "DEBUG": "1",  # static files straight from static/ (no collectstatic here)
        "SECRET_KEY": settings.SECRET_KEY,  # so the session made here is valid there
        **media,
    }
    web = WebServer(env, short_tmp / "gunicorn.log")
    worker = start_worker(
        hostname="redis-restart",
        REDIS_URL=private_redis.url,
        CELERY_VISIBILITY_TIMEOUT="5",
        **media,
    )

    def get(path: str) -> int:
        """A page's status; a redirect (to the login page) would be a failure, so not followed."""
        return browser.get(web.url(path), allow_redirects=False, timeout=30).status_code

    def export(fmt: str) -> int:
        response = requests.post(
            web.url("/api/v1/exports/"),
            json={"kind": "edition", "document": document.pk, "format": fmt},
            headers=api["mark"],
            timeout=30,
        )
        assert response.status_code == 202, response.text
        return int(response.json()["id"])

    try:
        for path in pages(document):
            assert get(path) == 200, path
        # One export building, one queued behind it (the worker takes one at a time)...
        slow = export("pdf")
        wait_for(lambda: status(slow) == "running", 60, "the PDF export never started")
        queued = export("markdown")
        # ...when Redis goes away.
        private_redis.stop()
        down = time.monotonic()
        served: Counter[int] = Counter()
        slowest = 0.0
        while time.monotonic() - down < 8:
            for path in pages(document):
                started = time.monotonic()
                served[get(path)] += 1
                slowest = max(slowest, time.monotonic() - started)
        written = requests.post(
            web.url(f"/api/v1/seminars/{document.seminar.slug}/annotations/"),
            data=json.dumps(w3c(web.base, document, "tacit agreement", "Written while away.")),
            headers={**api["mark"], "Content-Type": LD},
            timeout=30,
        )
        moderated = requests.post(
            web.url(f"/api/v1/annotations/{hidden.pk}/hide/"),
            json={"reason": "Off-topic."},
            headers=api["mona"],
            timeout=30,
        )
        health = requests.get(web.url("/healthz"), timeout=30).status_code
        asked = time.monotonic()
        refused = export("html")  # the request is answered; the job fails, saying why
        asked = time.monotonic() - asked
        refused_job = ExportJob.objects.get(pk=refused)
        still_queued = status(queued)

        private_redis.start()
        back = time.monotonic()
        wait_for(
            lambda: status(slow) == status(queued) == "succeeded", 120, "exports did not resume"
        )
        resumed = time.monotonic() - back
        after = Counter(get(path) for path in pages(document))
        # The refused export is retried from the exports page, as its requester would.
        get("/exports/")  # for the CSRF cookie
        retried = browser.post(
            web.url(f"/exports/{refused}/retry/"),
            headers={"X-CSRFToken": str(browser.cookies["csrftoken"])},
            allow_redirects=False,
            timeout=30,
        )
        wait_for(lambda: status(refused) == "succeeded", 60, "the retried export did not finish")
    finally:
        stop_worker(worker)
        web.stop()

    report(
        f"redis stopped for {back - down:.1f} s: {sum(served.values())} pages served "
        f"({dict(served)}), slowest {slowest:.2f} s; write {written.status_code}, moderation "
        f"{moderated.status_code}, /healthz {health}; an export asked meanwhile answered in "
        f"{asked:.2f} s and failed ({refused_job.error!r}); the queued export resumed "
        f"{resumed:.1f} s after Redis was back; pages after: {dict(after)}"
    )
    assert set(served) == {200}, served
    assert slowest < 3
    assert written.status_code == 201, written.text
    assert moderated.status_code == 200, moderated.text
    assert health == 503
    assert asked < 5
    assert refused_job.status == "failed" and refused_job.error == NOT_QUEUED
    assert still_queued == "queued"
    assert set(after) == {200}
    assert retried.status_code == 302
    for pk, told in ((slow, 1), (queued, 1), (refused, 2)):  # the refused one: failed, ready
        job = ExportJob.objects.get(pk=pk)
        files = list((worker_media_dir / job.folder).iterdir())
        assert [f.name for f in files] == [job.file_name]
        assert Notification.objects.filter(export=job).count() == told
    assert Annotation.objects.get(pk=hidden.pk).hidden
