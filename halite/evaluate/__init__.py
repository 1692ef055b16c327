"""Metrics, plots and reports from prediction files."""
