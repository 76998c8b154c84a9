"""Users and their roles per office."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pressdesk.db import Base, UTCDateTime, utcnow
from pressdesk.offices.models import Office


class Role(enum.StrEnum):
    EDITOR = "editor"
    PUBLISHER = "publisher"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"editor": 1, "publisher": 2, "admin": 3}[self.value]


# The prefix of the password hash of an invited account: no password verifies against it (argon2
# refuses it as an invalid hash), and the invitation link signs it like any other hash.
UNUSABLE_PASSWORD = "!invited-"  # noqa: S105 - a marker, not a password


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Second factor (RFC 6238 TOTP): the base32 secret, empty while none is set up; the last
    # time step accepted, so a code seen once (over a shoulder, in a proxy log) is not reused.
    totp_secret: Mapped[str] = mapped_column(String(64), default="", server_default="")
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Mail about the workflow, each switchable on the person's own settings page.
    notify_submitted: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_returned: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_approved: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    notify_published: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    @property
    def has_password(self) -> bool:
        """False for an invited person who has not chosen a password yet."""
        return not self.password_hash.startswith(UNUSABLE_PASSWORD)

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)

    def role_in(self, office_id: int) -> Role | None:
        for m in self.memberships:
            if m.office_id == office_id and m.active is not False:
                return Role(m.role)
        return None


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "office_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default=Role.EDITOR.value)
    # Deactivated by the office's admin: keeps the history, grants nothing in this office.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    user: Mapped[User] = relationship(back_populates="memberships")
    office: Mapped[Office] = relationship(lazy="joined")


class UserSession(Base):
    """One signed-in browser. The session cookie carries a random token whose hash is stored
    here, and every request checks that the row still exists: logging out deletes it, so a
    cookie copied before is worthless afterwards (a signed cookie alone cannot be revoked)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
