"""How the code is laid out, checked: who-sees-what lives in annotate/access.py only, and the
modules of core/ and annotate/ import each other without a cycle.

Both walk the source with `ast` (no import of the code under test), so a new filter written
outside the policy, or a new import that closes a loop, fails here with its file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("annotate", "core")
POLICY = Path("annotate/access.py")

# What a visibility rule filters on: a moderator's hiding, privacy, deletion.
RULE_FIELDS = ("hidden", "visibility", "deleted_at", "withdrawn_at")
QUERY_CALLS = {"filter", "exclude", "get", "Q", "get_or_create", "update_or_create", "Exists"}


def _sources() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            yield relative, ast.parse(path.read_text(encoding="utf-8"), str(relative))


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def _filters_on_a_rule(node: ast.Call) -> list[str]:
    """The lookups of a queryset call (filter, exclude, Q…) on the fields rules are made of:
    `hidden=`, `visibility=`, `deleted_at__isnull=`, `annotation__hidden=`…"""
    if _call_name(node) not in QUERY_CALLS:
        return []
    found = []
    for keyword in node.keywords:
        if keyword.arg is None:
            continue
        parts = keyword.arg.split("__")
        if any(part in RULE_FIELDS for part in parts):
            found.append(keyword.arg)
    return found


def _compares_visibility(node: ast.Compare) -> bool:
    """`x.visibility == Annotation.Visibility.PRIVATE` and the like: a rule written inline."""
    sides = [node.left, *node.comparators]
    attribute = any(isinstance(s, ast.Attribute) and s.attr == "visibility" for s in sides)
    constant = any(
        isinstance(s, ast.Attribute)
        and s.attr in ("PRIVATE", "SEMINAR")
        and isinstance(s.value, ast.Attribute)
        and s.value.attr == "Visibility"
        for s in sides
    )
    return attribute and constant


def test_only_the_access_policy_filters_by_visibility_hiding_or_deletion() -> None:
    """Outside annotate/access.py (and the models' field definitions, and migrations), no
    module filters annotations, replies or claims by visibility, hidden state or deletion on
    its own: a new rule goes into access.py, in both its forms (see README, Architecture)."""
    found = []
    for path, tree in _sources():
        if path == POLICY:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for lookup in _filters_on_a_rule(node):
                    found.append(f"{path}:{node.lineno} filters on {lookup}=")
            elif isinstance(node, ast.Compare) and _compares_visibility(node):
                found.append(f"{path}:{node.lineno} compares a visibility")
    assert not found, "visibility rules outside annotate/access.py:\n" + "\n".join(found)


def test_the_walk_finds_what_it_looks_for() -> None:
    """The checks above on code that breaks the rule (so they cannot pass by finding nothing)."""
    tree = ast.parse(
        "found = Annotation.objects.filter(seminar=s, hidden=False)\n"
        "Q(annotation__deleted_at__isnull=True)\n"
        "private = note.visibility == Annotation.Visibility.PRIVATE\n"
    )
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    lookups = [lookup for call in calls for lookup in _filters_on_a_rule(call)]
    assert lookups == ["hidden", "annotation__deleted_at__isnull"]
    compares = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
    assert [_compares_visibility(c) for c in compares] == [True]


def _module_of(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(module: str, tree: ast.Module, is_package: bool) -> set[str]:
    """Every module of core/ and annotate/ this one imports, at the top or inside a function
    (a function-local import only hides a cycle; it does not break it)."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from annotate import access` imports the module annotate.access.
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        if isinstance(node, ast.ImportFrom) and _type_checking_only(tree, node):
            continue
        found.update(name for name in names if name.split(".")[0] in PACKAGES)
    return found


def _type_checking_only(tree: ast.Module, target: ast.stmt) -> bool:
    """An import under `if TYPE_CHECKING:` (for annotations only: never runs)."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
            and any(target is child for child in ast.walk(node))
        ):
            return True
    return False


def import_graph() -> dict[str, set[str]]:
    modules = {_module_of(path): (path, tree) for path, tree in _sources()}
    graph: dict[str, set[str]] = {}
    for module, (path, tree) in modules.items():
        imported = _imports(module, tree, path.name == "__init__.py")
        # A package's __init__ runs before its modules: importing a.b imports a too; count
        # only the modules themselves, to name the edge that closes a loop.
        graph[module] = {name for name in imported if name in modules and name != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_among_core_and_annotate() -> None:
    graph = import_graph()
    loops = cycles(graph)
    described = [
        " ↔ ".join(loop)
        + ": "
        + "; ".join(f"{a} → {b}" for a in loop for b in sorted(graph[a]) if b in loop)
        for loop in loops
    ]
    assert not loops, "import cycles:\n" + "\n".join(described)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
