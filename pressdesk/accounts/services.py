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

from pressdesk import addresses, tokens
from pressdesk.accounts.mail import send_desk_mail
from pressdesk.accounts.models import UNUSABLE_PASSWORD, Membership, Role, User, UserSession
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
    # An unknown account and an invited one without a password cost the same as a real one.
    target = user.password_hash if user and user.has_password else dummy
    try:
        hasher.verify(target, password)  # True or raises
    except (VerificationError, InvalidHashError):
        return False
    if user is None or not user.has_password:
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


def create_user(email: str, name: str, password: str | None, office: Office | None = None,
                role: Role = Role.EDITOR) -> User:
    """A new account; without ``password`` it cannot log in until the person follows their
    invitation link (see :func:`send_invitation`)."""
    hashed = hash_password(password) if password else UNUSABLE_PASSWORD + secrets.token_hex(16)
    user = User(email=addresses.key(email), name=name, password_hash=hashed)
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


# --- password links: "Passwort vergessen" and invitations -------------------------------------
# A link signs the user id and a fingerprint of the password hash as it was when the link was
# made. Setting a password changes the hash, so the link (and every other link of the account)
# works once; the purpose's max_age lets it expire.

# Requests for a reset link count per (address, client) and per client, never per address
# alone: a stranger asking for links to the owner's address must not stop the owner from
# getting one. Unknown addresses count the same, so the answer reveals nothing.
RESET_ACCOUNT_CLIENT = Throttle("reset-account-client", limit=3, window=3600)
RESET_CLIENT = Throttle("reset-client", limit=20, window=3600)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def password_link_token(purpose: tokens.Purpose, user: User) -> str:
    return tokens.dumps(purpose, {"u": user.id, "h": _fingerprint(user)})


def user_for_link(purpose: tokens.Purpose, token: str) -> User:
    """The account a password link is for. Raises :class:`tokens.TokenExpired` when it is too
    old and :class:`tokens.TokenInvalid` when it is forged, used already or the account is gone
    or deactivated."""
    value = tokens.loads(purpose, token)
    user = db.session.get(User, value.get("u")) if isinstance(value, dict) else None
    if user is None or not user.active or value.get("h") != _fingerprint(user):
        raise tokens.TokenInvalid("used or unknown")
    return user


def set_password_from_link(user: User, new: str) -> None:
    """The new password chosen through a link; every session of the account ends (whoever
    may have known the old password is logged out)."""
    check_password(new, user.email, user.name)
    user.password_hash = hash_password(new)
    end_sessions(user)


def request_password_reset(email: str, client: str) -> bool:
    """Queue a reset link to ``email`` if it belongs to an active account. False when the
    client asked too often (the caller says so); True otherwise, whether or not a mail went."""
    key = f"{addresses.key_or_none(email) or email.strip().lower()}|{client_network(client)}"
    if RESET_ACCOUNT_CLIENT.blocked(key) or RESET_CLIENT.blocked(client_network(client)):
        return False
    RESET_ACCOUNT_CLIENT.hit(key)
    RESET_CLIENT.hit(client_network(client))
    user = find_user(email)
    if user is None or not user.active:
        return True
    from pressdesk.urls import external_url

    purpose = tokens.PASSWORD_RESET
    send_desk_mail(user.email, user.name, "Ihr Link zum Festlegen eines neuen Passworts",
                   "accounts/mail/password_reset.txt",
                   url=external_url("accounts.reset_password",
                                    token=password_link_token(purpose, user)),
                   minutes=(purpose.lifetime() or 3600) // 60)
    return True


def send_invitation(user: User, office: Office, inviter: User | None) -> None:
    """Mail a new member the link to choose their password (valid for days, works once)."""
    from pressdesk.urls import external_url

    purpose = tokens.ACCOUNT_INVITE
    send_desk_mail(user.email, user.name, f"Einladung zur Pressestelle {office.name}",
                   "accounts/mail/invitation.txt", office=office.name,
                   inviter=getattr(inviter, "name", "") or "",
                   url=external_url("accounts.accept_invitation",
                                    token=password_link_token(purpose, user)),
                   days=(purpose.lifetime() or 0) // 86400)


# --- second factor (TOTP) ----------------------------------------------------------------------
# Wrong codes count per (account, client) and per client, like wrong passwords: someone who
# knows the password cannot lock the owner out of their own browser by failing codes.
TOTP_ACCOUNT_CLIENT = Throttle("totp-account-client", limit=lambda: settings().login_max_failures,
                               window=lambda: settings().login_window_seconds)
TOTP_CLIENT = Throttle("totp-client", limit=lambda: 4 * settings().login_max_failures,
                       window=lambda: settings().login_window_seconds)


def new_totp_secret() -> str:
    import pyotp

    return str(pyotp.random_base32())


def totp_uri(secret: str, user: User) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    import pyotp

    return str(pyotp.TOTP(secret).provisioning_uri(name=user.email,
                                                   issuer_name=settings().platform_name))


def qr_svg(data: str, title: str) -> str:
    """An inline SVG QR code (no script, no external file: the CSP stays as it is)."""
    import segno

    return str(segno.make(data, error="m").svg_inline(scale=5, border=2, title=title,
                                                      dark="#000", light="#fff"))


def totp_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to (this one or a neighbour, for clock drift), else None."""
    import time

    import pyotp

    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if secrets.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def totp_blocked(user: User, client: str) -> bool:
    return (TOTP_ACCOUNT_CLIENT.blocked(_account_client(user.email, client))
            or TOTP_CLIENT.blocked(client_network(client)))


def check_totp(user: User, code: str, client: str) -> bool:
    """Accept a code of the user's second factor once; count a wrong one against this client."""
    step = totp_step(user.totp_secret, code) if user.totp_secret else None
    if step is None or step <= user.totp_last_step:
        TOTP_ACCOUNT_CLIENT.hit(_account_client(user.email, client))
        TOTP_CLIENT.hit(client_network(client))
        return False
    user.totp_last_step = step
    TOTP_ACCOUNT_CLIENT.clear(_account_client(user.email, client))
    return True


def enable_totp(user: User, secret: str, code: str) -> bool:
    """Turn the second factor on with a secret the person scanned, proven by one code."""
    step = totp_step(secret, code)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step = secret, step
    return True


def disable_totp(user: User) -> None:
    user.totp_secret, user.totp_last_step = "", 0


def two_factor_required(user: User) -> bool:
    """True when an office the person is an active member of requires a second factor."""
    return any(m.office.require_two_factor for m in user.memberships if m.active is not False)


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
