"""`manage.py seed_demo`, which `make run` calls on a fresh machine: it must load the whole demo
seminar with the limits a deployment has, not only with the tests' raised ones."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotate.models import Annotation, Reply
from core import ratelimit
from core import settings as project_settings
from core.management.commands.seed_demo import DEMO_ANNOTATIONS, DEMO_PEOPLE, DEMO_SEMINAR
from core.models import Seminar

pytestmark = pytest.mark.django_db


def replies_in(items: list[dict[str, Any]]) -> int:
    return sum(1 + replies_in(item.get("replies", [])) for item in items)


def replies_by(items: list[dict[str, Any]], counts: Counter[str]) -> Counter[str]:
    for item in items:
        counts[item["author"]] += 1
        replies_by(item.get("replies", []), counts)
    return counts


def demo_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(DEMO_ANNOTATIONS.read_text(encoding="utf-8"))
    return items


@pytest.fixture
def real_limits(settings: Any) -> None:
    settings.DEBUG = True
    settings.RATE_LIMITS = project_settings.RATE_LIMITS  # not the tests' 100,000 a minute
    counts: Counter[str] = Counter()
    for item in demo_items():
        replies_by(item.get("replies", []), counts)
    # What broke `make run` once: one demo member writes more replies than a member may.
    assert max(counts.values()) > settings.RATE_LIMITS["reply"][0]


@pytest.mark.usefixtures("real_limits")
def test_seed_demo_loads_the_whole_demo_under_the_real_rate_limits() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    seminar = Seminar.objects.get(slug=DEMO_SEMINAR)
    assert seminar.memberships.count() == len(DEMO_PEOPLE)
    items = demo_items()
    assert Annotation.objects.filter(seminar=seminar).count() == len(items)
    threaded = sum(replies_in(item.get("replies", [])) for item in items)
    assert Reply.objects.filter(annotation__seminar=seminar).count() > threaded
    assert f"/s/{DEMO_SEMINAR}/" in out.getvalue()

    # Again: the same seminar, nothing doubled.
    call_command("seed_demo", stdout=io.StringIO())
    assert Annotation.objects.filter(seminar=seminar).count() == len(items)


@pytest.mark.usefixtures("real_limits")
def test_the_demo_does_not_spend_its_members_allowance() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    rosa = Seminar.objects.get(slug=DEMO_SEMINAR).memberships.get(user__username="rosa").user
    ratelimit.refuse_if_over(rosa.pk, "reply")  # raises TooManyRequests if it counted
    ratelimit.check(rosa.pk, "annotate")


def test_limits_hold_again_after_the_block(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "reply": (1, 60)}
    with ratelimit.suspended():
        for _ in range(5):
            ratelimit.check(7, "reply")
    ratelimit.check(7, "reply")
    with pytest.raises(ratelimit.TooManyRequests):
        ratelimit.check(7, "reply")


def test_seed_demo_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Seminar.objects.filter(slug=DEMO_SEMINAR).exists()
