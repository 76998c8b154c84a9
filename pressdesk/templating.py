"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user

from pressdesk.heartbeat import workers_missing
from pressdesk.labels import STATE_LABELS, state_label  # noqa: F401 - the one home of labels
from pressdesk.paging import page_url
from pressdesk.text import file_size, german_date, german_datetime, iso_utc


def init_app(app: Flask) -> None:
    app.jinja_env.filters["de_date"] = lambda d: german_date(d) if d else ""
    app.jinja_env.filters["de_datetime"] = lambda d: german_datetime(d) if d else ""
    app.jinja_env.filters["iso"] = lambda d: iso_utc(d) if isinstance(d, datetime) else ""
    app.jinja_env.filters["file_size"] = file_size
    app.jinja_env.globals["page_url"] = page_url
    # Called by the desk's start page only (one small query), not on every render.
    app.jinja_env.globals["workers_missing"] = workers_missing

    app.jinja_env.filters["state_label"] = state_label

    @app.context_processor
    def _globals() -> dict[str, object]:
        office = None
        if current_user.is_authenticated and any(m.active is not False for m in current_user.memberships):
            from pressdesk.accounts.services import current_office

            office = current_office()
        from pressdesk.portal.views import feed_links

        return {"desk_office": office, "lang": str(get_locale() or "de"),
                "feed_links": feed_links()}
