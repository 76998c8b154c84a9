"""What the delivery report shows the press office: its newspapers' rows of one version.

Reader alerts and digests share the version's outbox but are the platform's mail: their
addresses, states and error texts are never counted or shown to an office.
"""

from __future__ import annotations

from sqlalchemy import func, select

from pressdesk.delivery.models import Delivery, Kind
from pressdesk.extensions import db


def counts_by_state(version_ids: list[int]) -> dict[str, int]:
    rows = db.session.execute(
        select(Delivery.state, func.count())
        .where(Delivery.version_id.in_(version_ids), Delivery.kind == Kind.OUTLET.value)
        .group_by(Delivery.state)
    ).all()
    return {state: n for state, n in rows}
