"""pressdesk: press release distribution for public press offices."""

from pressdesk.app import create_app

__all__ = ["create_app"]
