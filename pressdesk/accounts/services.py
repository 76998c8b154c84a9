"""Accounts: password hashing (argon2), login throttle, users and their office roles."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, session
from flask_babel import gettext as _gettext
from flask_login import current_user
from sqlalchemy import delete, select

from pressdesk import addresses
from pressdesk.accounts.models import Membership, Role, User, UserSession
from pressdesk.config import settings
from pressdesk.db import utcnow
from pressdesk.extensions import db
from pressdesk.offices.models import Office
from pressdesk.throttle import Throttle, client_network


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
        hasher.verify(target, password)  # True or raises
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user.active


# --- password policy ---------------------------------------------------------------------------

MIN_PASSWORD = 12
MAX_PASSWORD = 1000
# zxcvbn's score: 3 resists an offline attack on a slow hash for a long time; 0-2 are common
# passwords, keyboard walks, repeats, dates and words with the usual substitutions.
MIN_SCORE = 3
_ZXCVBN_CHARS = 100  # zxcvbn's cost grows fast with length; a longer password is long enough


class PasswordRejected(ValueError):
    """The message says why, for the person choosing the password; ``field`` is the form field
    it is about ("new" or "current")."""

    def __init__(self, message: str, field: str = "new") -> None:
        super().__init__(message)
        self.field = field


def check_password(password: str, *hints: str) -> None:
    """Refuse short, common and trivial passwords. ``hints`` are words of the account (address,
    name, office) that make a password easy to guess for someone who knows the person."""
    from zxcvbn import zxcvbn

    if len(password) < MIN_PASSWORD:
        raise PasswordRejected(_gettext("Das Passwort muss mindestens {n} Zeichen lang sein.")
                               .format(n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise PasswordRejected(_gettext("Das Passwort ist zu lang."))
    words = ["pressdesk", "presse", "pressestelle"]
    for hint in hints:
        words += [w for w in re.split(r"[^\w]+", hint.lower()) if len(w) > 2]
    # zxcvbn scores "redaktion.leer2026" as strong although it is the address plus a year:
    # what is left without the account's own words must be strong on its own.
    rest = password[:_ZXCVBN_CHARS].lower()
    for word in sorted(set(words), key=len, reverse=True):
        rest = rest.replace(word, "")
    if min(zxcvbn(password[:_ZXCVBN_CHARS], user_inputs=words)["score"],
           zxcvbn(rest, user_inputs=words)["score"] if rest else 0) < MIN_SCORE:
        raise PasswordRejected(_gettext(
            "Dieses Passwort ist zu leicht zu erraten: es ist verbreitet, zu einfach (etwa "
            "Wiederholungen, Tastaturfolgen, Jahreszahlen) oder enthält Ihren Namen oder Ihre "
            "Adresse. Wählen Sie zum Beispiel mehrere zufällige Wörter."))


def change_password(user: User, current: str, new: str, keep_session: str | None) -> None:
    """The user's own change: needs the current password, ends every other session."""
    if not verify_password(user, current):
        raise PasswordRejected(_gettext("Das bisherige Passwort ist falsch."), field="current")
    check_password(new, user.email, user.name)
    if new == current:
        raise PasswordRejected(_gettext("Das neue Passwort ist dasselbe wie das bisherige."))
    user.password_hash = hash_password(new)
    end_sessions(user, keep=keep_session)


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


# --- sessions ----------------------------------------------------------------------------------

SESSION_KEY = "sid"
# A desk session lasts at most this long, however often it is used: then log in again.
SESSION_MAX_AGE = timedelta(days=30)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> str:
    """Record a new signed-in browser; the returned token goes into the session cookie."""
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.created_at < utcnow() - SESSION_MAX_AGE))
    db.session.add(UserSession(token_hash=_token_hash(token), user_id=user.id))
    db.session.flush()
    return token


def session_user(user_id: int, token: str | None) -> User | None:
    """The user of a session cookie, if that session was not ended (logout, password change,
    deactivation) and has not outlived SESSION_MAX_AGE."""
    if not token:
        return None
    user = db.session.scalar(
        select(User).join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, UserSession.token_hash == _token_hash(token),
               UserSession.created_at >= utcnow() - SESSION_MAX_AGE))
    return user if user is not None and user.active else None


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _token_hash(token)))


def end_sessions(user: User, keep: str | None = None) -> None:
    """Log the user out everywhere (except the session ``keep``, the one acting now)."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.token_hash != _token_hash(keep))
    db.session.execute(stmt)


def current_office() -> Office:
    """The office the logged-in user works in now (chosen in the header, else the first)."""
    if "office" in g:
        chosen: Office = g.office
        return chosen
    # Memberships an office admin deactivated grant nothing.
    # The first office joined is the default (the relationship has no order of its own).
    memberships = sorted((m for m in current_user.memberships if m.active is not False),
                         key=lambda m: m.id) if current_user.is_authenticated else []
    if not memberships:
        abort(403)
    wanted = session.get("office_id")
    membership = next((m for m in memberships if m.office_id == wanted), memberships[0])
    office: Office = membership.office
    g.office = office
    return office


def current_role() -> Role:
    role: Role | None = current_user.role_in(current_office().id)
    if role is None:
        abort(403)
    return role


def require_role(minimum: Role) -> None:
    if current_role().rank < minimum.rank:
        abort(403)
