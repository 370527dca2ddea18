"""manage.py import_text PATH --seminar SLUG [--title …] [--format …] [--first-page N]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotate.services import documents
from core.errors import ServiceError
from core.models import Membership, Role, Seminar, User


class Command(BaseCommand):
    help = "Import a text file into a seminar as a new document (as the seminar's first owner)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--seminar", required=True, help="the seminar's slug")
        parser.add_argument("--title", help="defaults to the file name")
        parser.add_argument("--author", default="")
        parser.add_argument("--citation", default="")
        parser.add_argument("--language", default="en")
        parser.add_argument("--format", default="auto", choices=documents.FORMATS)
        parser.add_argument("--first-page", type=int, default=None)
        parser.add_argument("--as-user", help="importing editor's username (default: an owner)")

    def handle(self, *args: Any, **options: Any) -> None:
        seminar = Seminar.objects.filter(slug=options["seminar"]).first()
        if seminar is None:
            raise CommandError(f"No seminar with the slug {options['seminar']!r}.")
        editor = self._editor(seminar, options["as_user"])
        path: Path = options["path"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        try:
            document = documents.document_import(
                seminar=seminar,
                user=editor,
                title=options["title"] or path.stem.replace("-", " ").replace("_", " ").title(),
                author=options["author"],
                citation=options["citation"],
                language=options["language"],
                format=options["format"],
                first_page=options["first_page"],
                source_text=documents.source_from_upload(data),
                source_name=path.name,
            )
        except ServiceError as error:
            raise CommandError(error.message) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        revision = document.current
        assert revision is not None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported “{document.title}” (document {document.pk}): "
                f"{revision.paragraph_count} paragraphs, {len(revision.pages)} pages, "
                f"{len(revision.footnote_refs)} footnote references, "
                f"{len(revision.suspects)} suspect words."
            )
        )

    def _editor(self, seminar: Seminar, username: str | None) -> User:
        memberships = Membership.objects.filter(seminar=seminar).select_related("user")
        if username:
            membership = memberships.filter(user__username=username).first()
            if membership is None:
                raise CommandError(f"{username} is not a member of {seminar.slug}.")
            return membership.user
        owner = memberships.filter(role=Role.OWNER).order_by("joined_at").first()
        if owner is None:
            raise CommandError(f"{seminar.slug} has no owner to import as; use --as-user.")
        return owner.user
