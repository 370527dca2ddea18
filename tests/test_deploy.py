"""The production deployment files (Dockerfile, docker-compose.yml) agree with the code.

No Docker engine is needed: the files are read and checked against core/settings.py (parsed
with `ast`), the modules they name are imported, `manage.py check --deploy` runs in a
subprocess with the production environment, and the security headers are checked through
the Django test client.
"""

from __future__ import annotations

import ast
import fnmatch
import html.parser
import importlib
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from email.message import Message
from typing import Any

import pytest
import yaml
from django.test import Client

from core.runtime import BASE_DIR

COMPOSE = BASE_DIR / "docker-compose.yml"
DOCKERFILE = BASE_DIR / "Dockerfile"
DOCKERIGNORE = BASE_DIR / ".dockerignore"
SETTINGS = BASE_DIR / "core" / "settings.py"
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
FALSY = {"0", "false", "no", "off"}
REQUIRED_FROM_HOST = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):\?[^}]+\}$")


# --- core/settings.py, read as source ---------------------------------------------------------


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _is_environ_get(call: ast.Call) -> bool:
    """os.environ.get(...), os.environ.pop(...) or os.getenv(...)."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in {"get", "pop"} and _is_os_environ(func.value):
        return True
    return func.attr == "getenv" and isinstance(func.value, ast.Name) and func.value.id == "os"


def _settings_tree() -> ast.Module:
    return ast.parse(SETTINGS.read_text(encoding="utf-8"), filename=str(SETTINGS))


def _env_reader_functions(tree: ast.Module) -> set[str]:
    """Helpers like env_bool(name, ...) that pass their first parameter to os.environ.get."""
    readers = set()
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or not function.args.args:
            continue
        first = function.args.args[0].arg
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and _is_environ_get(node)
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == first
            ):
                readers.add(function.name)
    return readers


def _env_names_read_in(node: ast.AST, readers: set[str]) -> set[str]:
    names = set()
    for child in ast.walk(node):
        key: ast.AST | None = None
        if isinstance(child, ast.Call) and child.args:
            is_reader = isinstance(child.func, ast.Name) and child.func.id in readers
            if is_reader or _is_environ_get(child):
                key = child.args[0]
        elif isinstance(child, ast.Subscript) and _is_os_environ(child.value):
            key = child.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def settings_env_reads() -> set[str]:
    """Every environment variable name core/settings.py reads."""
    tree = _settings_tree()
    return _env_names_read_in(tree, _env_reader_functions(tree))


def _raises_improperly_configured(statements: list[ast.stmt]) -> bool:
    return any(
        isinstance(child, ast.Raise)
        and isinstance(child.exc, ast.Call)
        and isinstance(child.exc.func, ast.Name)
        and child.exc.func.id == "ImproperlyConfigured"
        for statement in statements
        for child in ast.walk(statement)
    )


def settings_env_required() -> set[str]:
    """Variables whose absence makes settings raise ImproperlyConfigured.

    The shape is a module-level `if not NAME:` (or `if not A and not B:`) whose body raises
    ImproperlyConfigured, NAME being assigned from an environment read. A flag read with a
    `-> bool` helper (`if not DEBUG`) qualifies when the rule applies; it is not required.
    """
    tree = _settings_tree()
    readers = _env_reader_functions(tree)
    bool_readers = {
        function.name
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        and function.name in readers
        and isinstance(function.returns, ast.Name)
        and function.returns.id == "bool"
    }
    assigned_from: dict[str, set[str]] = {}
    for statement in tree.body:
        if not isinstance(statement, ast.Assign):
            continue
        value = statement.value
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) in bool_readers:
            continue
        names = _env_names_read_in(value, readers)
        for target in statement.targets:
            if isinstance(target, ast.Name) and names:
                assigned_from[target.id] = names
    required: set[str] = set()
    for statement in tree.body:
        if not isinstance(statement, ast.If) or not _raises_improperly_configured(statement.body):
            continue
        test = statement.test
        terms = (
            test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
        )
        for term in terms:
            if (
                isinstance(term, ast.UnaryOp)
                and isinstance(term.op, ast.Not)
                and isinstance(term.operand, ast.Name)
            ):
                required |= assigned_from.get(term.operand.id, set())
    return required


def test_the_settings_parser_sees_what_settings_read() -> None:
    reads = settings_env_reads()
    # Read directly, through env_bool, env_int and env_list.
    assert {"SECRET_KEY", "DATABASE_URL", "DEBUG", "UPLOAD_MAX_BYTES", "ALLOWED_HOSTS"} <= reads
    assert "SECRET_KEY" in settings_env_required()


# --- docker-compose.yml -------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):  # the KEY=value spelling
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def command_words(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def test_compose_has_the_services() -> None:
    services = compose()["services"]
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(services)
    assert services["postgres"]["image"].startswith("postgres:17")
    assert services["redis"]["image"].startswith("redis:7")
    # Only the app services are built from this repository.
    assert {name for name, svc in services.items() if "build" in svc} == set(APP_SERVICES)
    assert services["web"]["build"] == "."


def test_backing_services_have_healthchecks_and_volumes() -> None:
    services = compose()["services"]
    postgres_probe = " ".join(command_words(services["postgres"]["healthcheck"]["test"]))
    assert "pg_isready" in postgres_probe
    redis_probe = " ".join(command_words(services["redis"]["healthcheck"]["test"]))
    assert "redis-cli ping" in redis_probe
    assert any("/var/lib/postgresql/data" in str(v) for v in services["postgres"]["volumes"])


def test_app_services_wait_for_healthy_backing_services() -> None:
    services = compose()["services"]
    for name in APP_SERVICES:
        depends_on = services[name].get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for backing in BACKING_SERVICES:
            assert depends_on.get(backing, {}).get("condition") == "service_healthy", (
                f"{name} must wait for {backing} to be healthy"
            )


def test_long_running_app_services_have_healthchecks() -> None:
    services = compose()["services"]
    web_probe = services["web"]["healthcheck"]["test"]
    assert web_probe[0] == "CMD" and web_probe[1] == "python"
    assert "urllib" in web_probe[-1] and "http://127.0.0.1:8000/healthz" in web_probe[-1]
    ast.parse(web_probe[-1])  # the probe is valid Python
    worker_probe = " ".join(command_words(services["worker"]["healthcheck"]["test"]))
    assert "celery -A core inspect ping" in worker_probe


def test_web_migrates_then_runs_gunicorn() -> None:
    web = " ".join(command_words(compose()["services"]["web"]["command"]))
    migrate = web.find("python manage.py migrate --no-input")
    gunicorn = web.find("gunicorn core.wsgi")
    assert 0 <= migrate < gunicorn, web
    assert "&&" in web[migrate:gunicorn], "gunicorn must not start when migrate fails"


def test_worker_and_beat_run_the_core_celery_app() -> None:
    services = compose()["services"]
    worker = command_words(services["worker"]["command"])
    beat = command_words(services["beat"]["command"])
    assert worker[:4] == ["celery", "-A", "core", "worker"]
    assert beat[:4] == ["celery", "-A", "core", "beat"]
    schedule = beat[beat.index("--schedule") + 1]
    beat_mounts = [str(volume).split(":") for volume in services["beat"]["volumes"]]
    assert any(schedule.startswith(target.rstrip("/") + "/") for _, target in beat_mounts), (
        "the beat schedule file must live on a volume"
    )


def test_exports_yield_the_cpu_to_the_web_server() -> None:
    services = compose()["services"]
    web_weight = int(services["web"].get("cpu_shares", 1024))  # Docker's default weight
    assert int(services["worker"]["cpu_shares"]) < web_weight


def test_media_volume_is_shared_at_media_root() -> None:
    data = compose()
    services = data["services"]
    media_root = service_env(services["web"])["MEDIA_ROOT"]
    for name in ("web", "worker"):
        mounts = {tuple(str(v).split(":")[:2]) for v in services[name]["volumes"]}
        named = {(source, target) for source, target in mounts if source in data["volumes"]}
        assert any(target == media_root for _, target in named), f"{name}: no volume at MEDIA_ROOT"
    sources = [
        {s for s, t in (str(v).split(":")[:2] for v in services[n]["volumes"]) if t == media_root}
        for n in ("web", "worker")
    ]
    assert sources[0] == sources[1], "web and worker must share one media volume"


def test_app_services_share_one_environment() -> None:
    services = compose()["services"]
    envs = [service_env(services[name]) for name in APP_SERVICES]
    assert envs[0], "web has no environment"
    assert all(env == envs[0] for env in envs), "web, worker and beat must get the same env"


def test_compose_passes_only_variables_settings_reads() -> None:
    reads = settings_env_reads()
    services = compose()["services"]
    for name in APP_SERVICES:
        unknown = set(service_env(services[name])) - reads
        assert not unknown, f"{name} passes variables core/settings.py never reads: {unknown}"


def test_compose_passes_what_production_requires() -> None:
    required = settings_env_required()
    for name in APP_SERVICES:
        env = service_env(compose()["services"][name])
        missing = required - set(env)
        assert not missing, f"{name} does not pass required variables {missing}"
        for variable in required:
            match = REQUIRED_FROM_HOST.match(env[variable])
            assert match and match["name"] == variable, (
                f"{name}: {variable} must come from the host environment as "
                f"${{{variable}:?message}}, not {env[variable]!r}"
            )
        assert env["DEBUG"].strip().lower() in FALSY
        # With DEBUG off settings default ALLOWED_HOSTS to nothing: every request would be 400.
        assert env.get("ALLOWED_HOSTS"), f"{name} must pass ALLOWED_HOSTS"
        assert env.get("BEHIND_TLS_PROXY", "").strip().lower() not in FALSY | {""}


# --- Dockerfile and .dockerignore ---------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), grouped by FROM stage."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments may sit inside continued lines too
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        assert stages, "instructions before the first FROM"
        stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def instructions(stage: list[tuple[str, str]], name: str) -> list[str]:
    return [arguments for instruction, arguments in stage if instruction == name]


def test_dockerfile_bases_and_user() -> None:
    stages = dockerfile_stages()
    for stage in stages:
        assert instructions(stage, "FROM")[0].split()[0] == "python:3.13-slim"
    final = stages[-1]
    users = instructions(final, "USER")
    assert users, "the runtime stage must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}
    packages = " ".join(instructions(final, "RUN"))
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in packages


def test_dockerfile_installs_the_project_without_dev_extras() -> None:
    runs = [run for stage in dockerfile_stages() for run in instructions(stage, "RUN")]
    installs = [run for run in runs if re.search(r"pip install\b[^&]*\s\.(\s|$)", run)]
    assert installs, "the project must be installed with `pip install .`"
    assert not any("[dev]" in run or ".[" in run for run in runs), "no extras in the image"


def test_dockerfile_keeps_secrets_out_of_the_image() -> None:
    stages = dockerfile_stages()
    for stage in stages:
        for instruction in ("ENV", "ARG", "LABEL"):
            for arguments in instructions(stage, instruction):
                assert "SECRET_KEY" not in arguments, f"{instruction} {arguments}"
    collect = [run for run in instructions(stages[-1], "RUN") if "collectstatic" in run]
    assert collect, "collectstatic must run at build time"
    words = shlex.split(collect[0])
    assert "DEBUG=0" in words and any(w.startswith("SECRET_KEY=") for w in words), (
        "collectstatic needs DEBUG=0 and a throwaway SECRET_KEY set for that command only"
    )


def test_dockerfile_command_runs_gunicorn_on_core_wsgi() -> None:
    final = dockerfile_stages()[-1]
    cmd = json.loads(instructions(final, "CMD")[-1])
    assert cmd[0] == "gunicorn"
    module = next(word for word in cmd[1:] if not word.startswith("-"))
    module_name, _, attribute = module.partition(":")
    wsgi = importlib.import_module(module_name)
    assert callable(getattr(wsgi, attribute or "application"))
    assert module_name == "core.wsgi"
    options = " ".join(instructions(final, "ENV") + cmd)
    assert "0.0.0.0:8000" in options
    assert "8000" in " ".join(instructions(final, "EXPOSE"))


def test_commands_name_modules_that_exist() -> None:
    from celery import Celery
    from celery.app.utils import find_app

    from core.celery import app

    services = compose()["services"]
    for name in ("worker", "beat"):
        words = command_words(services[name]["command"])
        found = find_app(words[words.index("-A") + 1])
        assert isinstance(found, Celery) and found is app
    web = command_words(services["web"]["command"])
    module = re.search(r"gunicorn ([\w.]+)", " ".join(web))
    assert module is not None
    assert callable(importlib.import_module(module[1]).application)


def test_dockerignore_keeps_local_state_out_and_the_code_in() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for excluded in (".venv", "var", ".git", "__pycache__", ".pytest_cache", ".env"):
        assert any(fnmatch.fnmatch(excluded, p.removeprefix("**/")) for p in patterns), excluded
    for needed in ("core", "annotate", "templates", "static", "manage.py", "pyproject.toml"):
        assert (BASE_DIR / needed).exists()
        assert not any(fnmatch.fnmatch(needed, p) for p in patterns), f"{needed} is ignored"


# --- manage.py check with the production environment -------------------------------------------


def production_env(**overrides: str) -> dict[str, str]:
    """A clean copy of the environment: no Glossa settings but the database and Redis URLs."""
    keep = {"DATABASE_URL", "REDIS_URL"}
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in settings_env_reads() - keep and key != "DJANGO_SETTINGS_MODULE"
    }
    env["DJANGO_SETTINGS_MODULE"] = "core.settings"
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_secret_key_production_refuses_to_start() -> None:
    result = manage("check", env=production_env(DEBUG="0"))
    assert result.returncode != 0
    # The deliberate configuration error, naming the variable, not some other crash.
    assert re.search(r"ImproperlyConfigured: [^\n]*SECRET_KEY", result.stderr), result.stderr


def test_deploy_check_passes_with_the_production_environment() -> None:
    env = production_env(
        DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="glossa.example.org"
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


def test_deploy_check_catches_a_weak_secret_key() -> None:
    """The check above can fail: Django's W009 on a short key makes it exit non-zero."""
    env = production_env(DEBUG="0", SECRET_KEY="short", ALLOWED_HOSTS="glossa.example.org")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


# --- Security headers ---------------------------------------------------------------------------


class ScriptTags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response: Any) -> dict[str, list[str]]:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    return csp


def nonce_in(csp: dict[str, list[str]]) -> str:
    nonces = [
        source[len("'nonce-") : -1] for source in csp["script-src"] if source.startswith("'nonce-")
    ]
    assert len(nonces) == 1, f"script-src carries no nonce: {csp['script-src']}"
    return nonces[0]


@pytest.mark.parametrize("path", ["/", "/accounts/login/"])
def test_pages_carry_a_strict_csp_with_a_nonce(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = assert_security_headers(response)
    assert nonce_in(csp)


def test_every_script_on_the_home_page_is_static_or_nonced(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    nonce = nonce_in(assert_security_headers(response))
    parser = ScriptTags()
    parser.feed(response.content.decode())
    assert parser.scripts, "the home page loads htmx and glossa.js"
    for script in parser.scripts:
        src = script.get("src")
        assert (src is not None and src.startswith("/static/")) or script.get("nonce") == nonce, (
            f"script {script} is neither from /static/ nor nonced"
        )


# --- The web service's healthcheck, run against the app ---------------------------------------


def urlopen_through(client: Client) -> Callable[..., Any]:
    """urllib.request.urlopen, answered by the Django test client (redirects count as failure)."""

    def urlopen(request: urllib.request.Request, timeout: float = 0) -> Any:
        url = urllib.parse.urlsplit(request.full_url)
        host = request.get_header("Host") or url.netloc
        response = client.get(url.path, HTTP_HOST=host)
        if response.status_code >= 300:
            raise urllib.error.HTTPError(
                request.full_url, response.status_code, response.reason_phrase, Message(), None
            )
        return response

    return urlopen


@pytest.fixture
def production_http(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP settings of DEBUG off, and health checks that need no database or worker."""
    from core.views import health

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["glossa.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    monkeypatch.setattr(health, "CHECKS", {"database": lambda: "ok"})


def web_probe() -> str:
    return str(compose()["services"]["web"]["healthcheck"]["test"][-1])


@pytest.mark.usefixtures("production_http")
def test_the_web_healthcheck_passes_over_plain_http(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every other plain-HTTP request is redirected to https://: the probe is not.
    assert client.get("/", HTTP_HOST="glossa.example.org").status_code == 301
    healthz = client.get("/healthz", HTTP_HOST="glossa.example.org")
    assert healthz.status_code == 200
    assert_security_headers(healthz)

    monkeypatch.setenv("ALLOWED_HOSTS", "glossa.example.org,www.glossa.example.org")
    monkeypatch.setattr(urllib.request, "urlopen", urlopen_through(client))
    exec(compile(web_probe(), "web-healthcheck", "exec"), {})  # noqa: S102


@pytest.mark.usefixtures("production_http")
def test_the_web_healthcheck_fails_when_the_app_is_unhealthy(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.views import health

    def down() -> str:
        raise ConnectionError("no worker")

    monkeypatch.setenv("ALLOWED_HOSTS", "glossa.example.org")
    monkeypatch.setattr(health, "CHECKS", {"worker": down})
    monkeypatch.setattr(urllib.request, "urlopen", urlopen_through(client))
    with pytest.raises(urllib.error.HTTPError) as failure:
        exec(compile(web_probe(), "web-healthcheck", "exec"), {})  # noqa: S102
    assert failure.value.code == 503


def test_an_s3_media_storage_is_configured_from_the_environment() -> None:
    """Exports may live in an object store shared by several workers (django-storages)."""
    env = {
        **os.environ,
        "MEDIA_STORAGE": "storages.backends.s3.S3Storage",
        "AWS_STORAGE_BUCKET_NAME": "glossa-exports",
        "AWS_S3_ENDPOINT_URL": "https://objects.example:9000",
        "DJANGO_SETTINGS_MODULE": "core.settings",
    }
    script = "from django.conf import settings; print(repr(settings.STORAGES['default']))"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert ast.literal_eval(out) == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "glossa-exports",
            "endpoint_url": "https://objects.example:9000",
            "file_overwrite": True,
        },
    }
