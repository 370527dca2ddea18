"""Load the demo seminar: an owner, a moderator and three members (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

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


class Command(BaseCommand):
    help = "Create (or refresh) the demo seminar and its people. Refuses to run with DEBUG off."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it sets known passwords.")
        with transaction.atomic():
            seminar, _ = Seminar.objects.get_or_create(
                slug=DEMO_SEMINAR,
                defaults={
                    "name": "Cold War Crises: Hungary 1956",
                    "description": "Reading Békés on the superpowers and the Hungarian "
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
        self.stdout.write(self.style.SUCCESS(f"Demo seminar: /s/{DEMO_SEMINAR}/"))
        self.stdout.write("Demo accounts (password for all: " + DEMO_PASSWORD + "):")
        for username, display_name, role in DEMO_PEOPLE:
            self.stdout.write(f"  {username:8} {display_name:16} {role}")
