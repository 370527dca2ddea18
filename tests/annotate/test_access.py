"""annotate/access.py: each rule's two forms (one object, a queryset) agree, for every viewer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from annotate import access
from annotate.models import ImportJob
from core.models import Seminar, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_an_import_job_is_seen_by_its_requester_while_they_may_do_what_it_does(
    seminar: Seminar, roles: dict[str, User]
) -> None:
    other = make_user(username="bystander")
    jobs = {
        (who, kind): ImportJob.objects.create(
            seminar=seminar, requested_by=roles[who], kind=kind, source_text="x"
        )
        for who in ("owner", "moderator", "member", "observer")
        for kind in ImportJob.Kind.values
    }
    seen = {
        (who, kind) for (who, kind), job in jobs.items() if access.import_visible(roles[who], job)
    }
    # Editors see their text imports; anyone who takes part, their W3C imports.
    assert seen == {
        ("owner", "preview"),
        ("owner", "publish"),
        ("owner", "annotations"),
        ("moderator", "preview"),
        ("moderator", "publish"),
        ("moderator", "annotations"),
        ("member", "annotations"),
    }
    viewers: list[User | AnonymousUser] = [*roles.values(), other, AnonymousUser()]
    for viewer in viewers:
        one = {job.pk for job in jobs.values() if access.import_visible(viewer, job)}
        assert set(access.imports_visible(viewer).values_list("pk", flat=True)) == one
