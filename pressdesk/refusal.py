"""One change a user asked for in a view, and what happens when a service refuses it.

    with Refusal(MediaError, conflict=_("...")) as change:
        outlet = services.create_outlet(...)
    if change.ok:
        flash(...); return redirect(...)
    # else: the reason was flashed as an error and the change undone; show the form again

A refusal is one of the given exceptions (their message is for the user) or, when ``conflict``
is given, a unique violation from a concurrent change. The undo matters for answers below 400
(a redirect, a form shown again with 200), which the request would otherwise commit.
"""

from __future__ import annotations

from types import TracebackType

from flask import flash
from sqlalchemy.exc import IntegrityError

from pressdesk.extensions import db


class Refusal:
    def __init__(self, *refused: type[Exception], conflict: str | None = None) -> None:
        self.refused = refused
        self.conflict = conflict
        self.message: str | None = None

    @property
    def ok(self) -> bool:
        return self.message is None

    def __enter__(self) -> Refusal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        if exc is None:
            return False
        if isinstance(exc, self.refused):
            self.message = str(exc)
        elif self.conflict is not None and isinstance(exc, IntegrityError):
            self.message = self.conflict
        else:
            return False
        db.rollback()
        flash(self.message, "error")
        return True
