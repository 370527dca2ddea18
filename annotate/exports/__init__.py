"""Annotated editions of a revision: one plain-data Edition, rendered as HTML, Markdown or TEI."""
