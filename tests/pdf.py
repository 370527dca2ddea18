"""Reading exported PDFs back the way a person's tools would."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest


def pdftotext(pdf: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it, pages ended by form feeds (.ci/run
    installs poppler-utils)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def has_page_numbers(text: str) -> bool:
    """Every page of pdftotext's output carries "n / total" (the footer)."""
    pages = [page for page in text.split("\f") if page.strip()]
    return all(
        re.search(rf"\b{number}\s*/\s*{len(pages)}\b", page)
        for number, page in enumerate(pages, start=1)
    )
