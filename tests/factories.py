"""Test data, made through the same services and managers the product uses."""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from core.models import Membership, Role, Seminar, User
from core.services.seminars import seminar_create

PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"reader{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    display_name = factory.LazyAttribute(lambda u: u.username.title())

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        kwargs.setdefault("password", PASSWORD)
        return model_class.objects.create_user(*args, **kwargs)


def make_user(**kwargs: Any) -> User:
    return UserFactory.create(**kwargs)


def make_seminar(owner: User | None = None, name: str = "Close Reading") -> Seminar:
    """A seminar owned by `owner` (a new user if None), made by the real service."""
    return seminar_create(user=owner or make_user(), name=name)


def member(seminar: Seminar, role: Role = Role.MEMBER, **kwargs: Any) -> User:
    user = make_user(**kwargs)
    Membership.objects.create(seminar=seminar, user=user, role=role)
    return user
