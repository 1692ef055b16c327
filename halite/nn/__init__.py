"""Model blocks (torch only; no Lightning, no readers)."""
