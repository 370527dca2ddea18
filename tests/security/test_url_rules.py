"""Every URL pattern has a rule in the permission table: a new view without one fails CI."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from django.urls import URLPattern, URLResolver, get_resolver

from tests.security.permissions import RULES, TABLE
from tests.security.world import ROLES

# Django's admin has permissions of its own (is_staff); static and media files are not views.
EXCLUDED_NAMESPACES = {"admin"}
EXCLUDED_PREFIXES = ("static/", "media/")


def patterns(
    found: Sequence[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """(route, pattern) for every pattern, include()d ones too, outside the exclusions."""
    for entry in found:
        route = prefix + str(entry.pattern)
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            if entry.namespace in EXCLUDED_NAMESPACES:
                continue
            yield from patterns(entry.url_patterns, route)
        else:
            yield route, entry


def test_every_url_pattern_has_a_rule() -> None:
    routes = list(patterns(get_resolver().url_patterns))
    assert len(routes) > 90  # the walk found the include()d patterns
    unnamed = [route for route, pattern in routes if not pattern.name]
    assert not unnamed, f"name these URL patterns (the permission table goes by name): {unnamed}"
    missing = sorted(
        f"{pattern.name} ({route})" for route, pattern in routes if pattern.name not in TABLE
    )
    assert not missing, (
        "add a rule to tests/security/permissions.py for every new URL pattern, saying who "
        f"may see and do what there: {missing}"
    )


def test_every_rule_names_a_url_pattern() -> None:
    names = {pattern.name for _, pattern in patterns(get_resolver().url_patterns)}
    stale = sorted(set(TABLE) - names)
    assert not stale, f"rules for URL patterns that no longer exist: {stale}"


def test_every_rule_is_complete() -> None:
    """Each rule makes at least one request, and names at least one state."""
    for rule in RULES:
        assert rule.calls and rule.states, rule.name
    assert len(ROLES) == 9
