"""Files -> tensors: readers, transforms, datasets (no nn.Module here)."""
