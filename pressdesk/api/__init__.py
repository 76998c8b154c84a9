"""The read-only JSON API, ``/api/v1``: offices and public releases, with CORS and OpenAPI."""
