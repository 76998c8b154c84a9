"""Accounts: password hashing (argon2), login throttle, users and their office roles."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, session
from flask_login import current_user
from sqlalchemy import select

from pressdesk import addresses
from pressdesk.accounts.models import Membership, Role, User
from pressdesk.config import settings
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.throttle import Throttle, client_network

_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash("pressdesk-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    target = user.password_hash if user else _DUMMY_HASH
    try:
        ok = _hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    if ok and user and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return ok and user is not None and user.active


def create_user(email: str, name: str, password: str, office: Office | None = None,
                role: Role = Role.EDITOR) -> User:
    user = User(email=addresses.key(email), name=name, password_hash=hash_password(password))
    db.session.add(user)
    if office is not None:
        user.memberships.append(Membership(office=office, role=role.value))
    db.session.flush()
    return user


def find_user(email: str) -> User | None:
    address = addresses.key_or_none(email)
    if address is None:
        return None
    return db.session.scalar(select(User).where(User.email == address))


# Login throttles. Failures count per (account, client), never per account alone: a stranger's
# wrong passwords must not lock the owner out of a client that has not failed. A client that
# guesses across many accounts is stopped by the looser per-client limit (an office shares one
# NAT address).
LOGIN_ACCOUNT_CLIENT = Throttle("login-account-client",
                                limit=lambda: settings().login_max_failures,
                                window=lambda: settings().login_window_seconds)
LOGIN_CLIENT = Throttle("login-client", limit=lambda: 4 * settings().login_max_failures,
                        window=lambda: settings().login_window_seconds)


def _account_client(email: str, client: str) -> str:
    account = addresses.key_or_none(email) or email.strip().lower()
    return f"{account}|{client_network(client)}"


def login_blocked(email: str, client: str) -> bool:
    """True when this client used up its failures for the account, or for all accounts."""
    return (LOGIN_ACCOUNT_CLIENT.blocked(_account_client(email, client))
            or LOGIN_CLIENT.blocked(client_network(client)))


def record_failure(email: str, client: str) -> None:
    LOGIN_ACCOUNT_CLIENT.hit(_account_client(email, client))
    LOGIN_CLIENT.hit(client_network(client))


def clear_failures(email: str, client: str) -> None:
    LOGIN_ACCOUNT_CLIENT.clear(_account_client(email, client))


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
