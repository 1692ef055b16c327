"""Generic layers: dense networks, activations, attention, pre-norm blocks, input normalisation."""
