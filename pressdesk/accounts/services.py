"""Accounts: password hashing (argon2), login throttle, users and their office roles."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, session
from flask_login import current_user
from sqlalchemy import delete, func, select

from pressdesk.accounts.models import LoginFailure, Membership, Role, User
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> tuple[PasswordHasher, str]:
    """The hasher for these parameters, and a hash verified against when the account does not
    exist (so timing does not reveal which emails exist)."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    return hasher, hasher.hash("pressdesk-dummy-password")


def _hasher() -> tuple[PasswordHasher, str]:
    s = settings()
    return _hasher_for(s.argon2_time_cost, s.argon2_memory_kib, s.argon2_parallelism)


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def verify_password(user: User | None, password: str) -> bool:
    hasher, dummy = _hasher()
    target = user.password_hash if user else dummy
    try:
        ok = hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and user and hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return ok and user is not None and user.active


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, name: str, password: str, office: Office | None = None,
                role: Role = Role.EDITOR) -> User:
    user = User(email=normalise_email(email), name=name, password_hash=hash_password(password))
    db.session.add(user)
    if office is not None:
        user.memberships.append(Membership(office=office, role=role.value))
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _throttle_keys(email: str, client: str) -> list[str]:
    return [f"user:{normalise_email(email)}", f"ip:{client}"]


def login_blocked(email: str, client: str) -> bool:
    """True when the account or the client address used up its failures in the window."""
    s = settings()
    since = utcnow() - timedelta(seconds=s.login_window_seconds)
    for key in _throttle_keys(email, client):
        n = db.session.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        # The per-address limit is looser: an office shares one NAT address.
        limit = s.login_max_failures * (4 if key.startswith("ip:") else 1)
        if (n or 0) >= limit:
            return True
    return False


def record_failure(email: str, client: str) -> None:
    s = settings()
    cutoff = utcnow() - timedelta(seconds=s.login_window_seconds)
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff))
    for key in _throttle_keys(email, client):
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear_failures(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == f"user:{normalise_email(email)}"))


def current_office() -> Office:
    """The office the logged-in user works in now (chosen in the header, else the first)."""
    if "office" in g:
        return g.office
    # Memberships an office admin deactivated grant nothing.
    # The first office joined is the default (the relationship has no order of its own).
    memberships = sorted((m for m in current_user.memberships if m.active is not False),
                         key=lambda m: m.id) if current_user.is_authenticated else []
    if not memberships:
        abort(403)
    wanted = session.get("office_id")
    membership = next((m for m in memberships if m.office_id == wanted), memberships[0])
    g.office = membership.office
    return g.office


def current_role() -> Role:
    role = current_user.role_in(current_office().id)
    if role is None:
        abort(403)
    return role


def require_role(minimum: Role) -> None:
    if current_role().rank < minimum.rank:
        abort(403)
