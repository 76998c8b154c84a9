"""What the delivery report shows the press office: counts and rows of one version."""

from __future__ import annotations

from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery
from pressdesk.extensions import db


def counts_by_state(version_ids: list[int]) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count()).where(Delivery.version_id.in_(version_ids))
        .group_by(Delivery.state)
    ).all()
    return {state: n for state, n in rows}
