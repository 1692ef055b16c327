"""ROOT (uproot) and parquet (awkward) inputs: configuration, readers, dataset."""
