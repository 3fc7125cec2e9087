"""API v1 endpoints, one module per use case."""
