"""The domain: documents, revisions, annotations, claims, moderation and exports."""
