"""lumin-style head / body / tail blocks for columnar and small-set data."""
