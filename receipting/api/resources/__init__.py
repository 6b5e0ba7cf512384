"""Falcon resources, one module per area; each module's `register` adds its routes with their
OpenAPI operations."""
