"""Lightning glue: the training module, callbacks and checkpoint I/O."""
