"""HTML views for texts and annotations: thin adapters over annotate.services."""
