from __future__ import annotations

from pathlib import Path

import pytest

from annotate.models import Document
from annotate.services.documents import document_import
from core.models import Seminar, User

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "annotate"
    / "samples"
    / "hungarian-revolution-1956-superpowers.ocr.txt"
)


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def document(seminar: Seminar, owner: User, sample_text: str) -> Document:
    return document_import(
        seminar=seminar,
        user=owner,
        title="The Hungarian Revolution of 1956 and the Superpowers",
        source_text=sample_text,
        format="ocr",
    )
