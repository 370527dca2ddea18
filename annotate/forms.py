"""Forms for the text pages; they parse input and hand clean data to the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from annotate.models import BODY_MAX, Annotation

FORMAT_CHOICES = [
    ("auto", "Detect"),
    ("ocr", "OCR text"),
    ("markdown", "Markdown"),
    ("plain", "Plain text"),
]


class ImportForm(forms.Form):
    title = forms.CharField(max_length=300)
    author = forms.CharField(max_length=300, required=False)
    citation = forms.CharField(
        max_length=2000,
        required=False,
        label="Bibliographic citation",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.CharField(max_length=16, initial="en", help_text="e.g. en, de, hu")
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto")
    first_page = forms.IntegerField(
        required=False,
        label="Printed number of the first page",
        min_value=-99_999,
        max_value=99_999,
    )
    file = forms.FileField(required=False, label="Upload a file")
    source_text = forms.CharField(
        required=False,
        strip=False,
        label="…or paste the text",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file") and not (data.get("source_text") or "").strip():
            raise ValidationError("Upload a file or paste the text.")
        return data


class CorrectionForm(forms.Form):
    """Correct by quoting the words (in paragraph ¶n), or by exact offsets (a suspect word)."""

    paragraph = forms.IntegerField(required=False, min_value=1, label="Paragraph ¶")
    find = forms.CharField(max_length=2000, required=False, strip=False, label="Words to correct")
    start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    replacement = forms.CharField(max_length=2000, required=False, strip=False, label="Correct to")
    reason = forms.CharField(max_length=500, label="Why")
    base = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_offsets = data.get("start") is not None and data.get("end") is not None
        if not has_offsets and not data.get("find"):
            raise ValidationError("Quote the words to correct.")
        return data


def split_tags(value: str) -> list[str]:
    return [tag for tag in (part.strip() for part in value.replace("#", " ").split(",")) if tag]


class AnnotationForm(forms.Form):
    """New annotations carry the selection (start, end, base revision); edits the version."""

    start = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    base = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=Annotation.Kind.choices, initial=Annotation.Kind.COMMENT)
    body = forms.CharField(
        required=False,
        max_length=BODY_MAX,
        strip=False,
        label="Text (Markdown)",
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    tags = forms.CharField(
        required=False, max_length=1000, help_text="Comma-separated, e.g. dulles, non-intervention"
    )
    visibility = forms.ChoiceField(
        choices=[
            (Annotation.Visibility.SEMINAR, "The seminar"),
            (Annotation.Visibility.PRIVATE, "Only me"),
        ],
        initial=Annotation.Visibility.SEMINAR,
        label="Visible to",
        required=False,
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def clean_tags(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags") or "")

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or "seminar"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.editing:
            if data.get("version") is None:
                raise ValidationError("Reload the annotation and edit it again.")
        elif data.get("start") is None or data.get("end") is None or data.get("base") is None:
            raise ValidationError("Select a passage first.")
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        max_length=BODY_MAX,
        strip=False,
        label="Reply (Markdown)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    parent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
