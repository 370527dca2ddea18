"""What a viewer may see of the domain, each rule twice side by side: for one object, and as a
queryset (each docstring names its twin), plus `access_<noun>` fetches that answer 404 for
what the viewer may not see. What a role may *do* is core/policy.py's."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from annotate.models import ImportJob
from core import policy
from core.models import Membership, Role, User
from core.policy import Action


def _import_action(kind: str) -> Action:
    """A W3C import needs the right to take part; a text import, to edit the seminar's texts."""
    return Action.PARTICIPATE if kind == ImportJob.Kind.ANNOTATIONS else Action.EDIT_TEXTS


def import_visible(viewer: User | AnonymousUser, job: ImportJob) -> bool:
    """Its requester sees an import job while they may still do what it does in its seminar.
    Twin: imports_visible."""
    if not viewer.is_authenticated or job.requested_by_id != viewer.pk:
        return False
    membership = policy.membership_of(viewer, job.seminar)
    return policy.role_allows(membership.role if membership else None, _import_action(job.kind))


def imports_visible(viewer: User | AnonymousUser) -> QuerySet[ImportJob]:
    """The import jobs the viewer sees. Twin: import_visible."""
    if not viewer.is_authenticated:
        return ImportJob.objects.none()

    def member_as(action: Action) -> Exists:
        roles = [role for role in Role.values if policy.role_allows(role, action)]
        mine = Membership.objects.filter(seminar=OuterRef("seminar"), user=viewer, role__in=roles)
        return Exists(mine)

    annotations = Q(kind=ImportJob.Kind.ANNOTATIONS)
    return ImportJob.objects.filter(requested_by=viewer).filter(
        (annotations & member_as(Action.PARTICIPATE))
        | (~annotations & member_as(Action.EDIT_TEXTS))
    )


def access_import(viewer: User | AnonymousUser, pk: int) -> ImportJob:
    """The import job `pk` if the viewer sees it (import_visible); else 404."""
    job = ImportJob.objects.select_related("seminar", "document").filter(pk=pk).first()
    if job is None or not import_visible(viewer, job):
        raise Http404("No such import.")
    return job
