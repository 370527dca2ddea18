"""Load the demo seminar: an owner, a moderator and three members (DEBUG only)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from annotate.models import Annotation
from annotate.services.annotations import annotation_create, reply_create
from annotate.services.documents import document_import, source_from_upload
from annotate.services.moderation import (
    claim_dispute,
    claim_set_status,
    dispute_rule,
    thread_set_locked,
)
from core import ratelimit
from core.models import Membership, Role, Seminar, User

DEMO_PASSWORD = "glossa-demo"  # noqa: S105 - printed to the developer; refused outside DEBUG
DEMO_SEMINAR = "cold-war-crises"
DEMO_PEOPLE = [
    ("ada", "Ada Lindqvist", Role.OWNER),
    ("miklos", "Miklós Varga", Role.MODERATOR),
    ("rosa", "Rosa Ferreira", Role.MEMBER),
    ("tom", "Tom Okafor", Role.MEMBER),
    ("june", "June Park", Role.MEMBER),
]


SAMPLE = Path(__file__).resolve().parents[3] / "annotate" / "samples"
SAMPLE_FILE = SAMPLE / "hungarian-revolution-1956-superpowers.ocr.txt"
DEMO_ANNOTATIONS = SAMPLE / "demo_annotations.json"


class Command(BaseCommand):
    help = "Create (or refresh) the demo seminar and its people. Refuses to run with DEBUG off."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it sets known passwords.")
        # The demo's threads are written faster than any member may: no rate limits here.
        with transaction.atomic(), ratelimit.suspended():
            seminar, _ = Seminar.objects.get_or_create(
                slug=DEMO_SEMINAR,
                defaults={
                    "name": "Cold War Crises: Hungary 1956",
                    "description": "Reading an article on the superpowers and the Hungarian "
                    "revolution of 1956, one paragraph at a time.",
                },
            )
            for username, display_name, role in DEMO_PEOPLE:
                user, _ = User.objects.get_or_create(
                    username=username,
                    defaults={"display_name": display_name, "email": f"{username}@example.org"},
                )
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                Membership.objects.get_or_create(
                    seminar=seminar, user=user, defaults={"role": role}
                )
            if not seminar.documents.exists():
                self._import_sample(seminar)
                self._annotate_sample(seminar)
                self._moderate_sample(seminar)
        self.stdout.write(self.style.SUCCESS(f"Demo seminar: /s/{DEMO_SEMINAR}/"))
        self.stdout.write("Demo accounts (password for all: " + DEMO_PASSWORD + "):")
        for username, display_name, role in DEMO_PEOPLE:
            self.stdout.write(f"  {username:8} {display_name:16} {role}")

    def _import_sample(self, seminar: Seminar) -> None:
        owner = seminar.memberships.get(user__username="ada").user
        document_import(
            seminar=seminar,
            user=owner,
            title="The Hungarian Revolution of 1956 and the Superpowers",
            citation="Demo text: an OCR'd journal article, imported as printed (with its "
            "misreadings listed for correction).",
            source_text=source_from_upload(SAMPLE_FILE.read_bytes()),
            source_name=SAMPLE_FILE.name,
            format="ocr",
        )

    def _annotate_sample(self, seminar: Seminar) -> None:
        """The demo members' annotations and threads (annotate/samples/demo_annotations.json)."""
        document = seminar.documents.get()
        revision = document.current
        assert revision is not None
        people = {m.user.username: m.user for m in seminar.memberships.select_related("user")}
        for item in json.loads(DEMO_ANNOTATIONS.read_text(encoding="utf-8")):
            start = -1
            for _ in range(item.get("occurrence", 1)):
                start = revision.text.find(item["quote"], start + 1)
            if start < 0:
                raise CommandError(f"Demo quote not in the text: {item['quote']!r}")
            annotation = annotation_create(
                document=document,
                user=people[item["author"]],
                start=start,
                end=start + len(item["quote"]),
                kind=item["kind"],
                body=item.get("body", ""),
                tags=item.get("tags", []),
                visibility=item.get("visibility", "seminar"),
            )
            self._replies(annotation, item.get("replies", []), people, parent=None)

    def _replies(
        self, annotation: Any, replies: list[dict[str, Any]], people: dict[str, Any], parent: Any
    ) -> None:
        for item in replies:
            reply = reply_create(
                annotation=annotation, user=people[item["author"]], body=item["body"], parent=parent
            )
            self._replies(annotation, item.get("replies", []), people, parent=reply)

    def _moderate_sample(self, seminar: Seminar) -> None:
        """Stances on claims, an open dispute, a ruled one and a few log entries."""
        people = {m.user.username: m.user for m in seminar.memberships.select_related("user")}
        claims = {c.exact[:40]: c for c in Annotation.objects.filter(seminar=seminar, kind="claim")}

        def claim(prefix: str) -> Annotation:
            return next(c for quote, c in claims.items() if quote.startswith(prefix[:40]))

        dulles = claim("We do not look upon these nations as potential military alli")
        reply_create(
            annotation=dulles,
            user=people["miklos"],
            stance="supports",
            body="The Presidium’s own discussion on 30–31 October reads the speech "
            "exactly this way.",
        )
        reply_create(
            annotation=dulles,
            user=people["tom"],
            stance="asks",
            body="Do we know Moscow read it in time? The text dates it to 27 October.",
        )
        mistaken = claim("23 October 1956 was the only occasion when the Soviet leader")
        reply_create(
            annotation=mistaken,
            user=people["rosa"],
            stance="disputes",
            body="“Only occasion” depends on how we count 1968 and 1981.",
        )
        open_dispute = claim_dispute(
            claim=mistaken,
            user=people["rosa"],
            grounds="unsupported",
            statement="The article asserts the uniqueness of 23 October but never compares it "
            "with the other crises it lists.",
            evidence=[
                {
                    "kind": "source",
                    "citation": "The article’s own list of crises, 1953–1981",
                    "page": "",
                }
            ],
        )
        del open_dispute
        un = claim("it was most important for the United States to conceal this")
        ruled = claim_dispute(
            claim=un,
            user=people["june"],
            grounds="missing_context",
            statement="The UN initiative also answered Suez-era pressure inside the alliance; "
            "“prestige management” leaves that out.",
        )
        dispute_rule(
            dispute=ruled,
            moderator=people["miklos"],
            decision="dismiss",
            text="The claim is about the article’s reading, which the passage supports; "
            "the missing context belongs in a reply, not a dispute.",
        )
        claim_set_status(
            claim=claim("The detente process that started after 1953 was"),
            actor=people["ada"],
            status="under_review",
            reason="Two members asked for the sources behind this; reviewing.",
        )
        thread_set_locked(
            annotation=claim("Paradoxically the Hungarian revolution of 1956"),
            moderator=people["miklos"],
            locked=True,
            reason="The thread has run its course; see the claim page.",
        )
