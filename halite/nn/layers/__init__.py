"""Basic layers: dense networks, attention, input normalisation."""
