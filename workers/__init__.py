"""Celery workers. This package imports pressdesk; pressdesk never imports it."""
