"""With DEBUG on and no SECRET_KEY, the key is random per checkout, not one in the source."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.runtime import BASE_DIR
from core.settings import development_secret


def _key_in_a_new_process() -> str:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=BASE_DIR,
        env={**env, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "core.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_every_process_of_a_checkout_shares_one_random_key() -> None:
    first, second = _key_in_a_new_process(), _key_in_a_new_process()
    assert first == second and len(first) >= 50
    assert first not in (BASE_DIR / "core" / "settings.py").read_text()
    assert (BASE_DIR / "var" / "secret-key").stat().st_mode & 0o077 == 0


def test_another_checkout_gets_another_key(tmp_path: Path) -> None:
    mine = development_secret(tmp_path / "a" / "secret-key")
    assert mine == development_secret(tmp_path / "a" / "secret-key")
    assert mine != development_secret(tmp_path / "b" / "secret-key")
