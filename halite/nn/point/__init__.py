"""Whole-event point-cloud backbones (ViT, PET2, ParT, CondOnlyMLP) on one interface."""
