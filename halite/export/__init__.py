"""Deployment: ONNX export with normalisation in the graph, metadata, parity check."""
