"""Signed tokens: every itsdangerous serializer, salt and purpose of the application lives here.

A token signed for one purpose never verifies for another (each purpose has its own salt), and
each purpose states how long its tokens live. A new kind of link (password reset, invitation,
...) adds a :class:`Purpose` below; nothing else in the code creates a serializer.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes

from pressdesk.config import settings


@dataclass(frozen=True)
class Purpose:
    salt: str
    # Seconds a token stays valid; None: as long as the signed object exists. A settings
    # attribute name is read at verification time, so the operator's value applies.
    max_age: int | None = None
    max_age_setting: str | None = None

    def lifetime(self) -> int | None:
        if self.max_age_setting is not None:
            return int(getattr(settings(), self.max_age_setting))
        return self.max_age


# Links to an embargoed release's images and attachments in the outlets' mail. They live as
# long as the release is published: the files route checks that on every request.
OUTLET_FILE = Purpose("pressdesk.outlet-files")
# Reader alerts: the double opt-in link expires; the preferences and unsubscribe links in
# every alert must keep working (RFC 8058 one-click), so they do not.
ALERT_CONFIRM = Purpose("pressdesk.alerts.confirm", max_age_setting="alert_confirm_max_age")
ALERT_MANAGE = Purpose("pressdesk.alerts.manage")
ALERT_UNSUBSCRIBE = Purpose("pressdesk.alerts.unsubscribe")
# Desk accounts: "Passwort vergessen" and the invitation of a new member. Both sign the user id
# and a fingerprint of the current password hash, so a link works once: setting the password
# changes the hash and every earlier link of that account stops verifying.
PASSWORD_RESET = Purpose("pressdesk.accounts.password-reset", max_age=3600)
ACCOUNT_INVITE = Purpose("pressdesk.accounts.invite", max_age=7 * 24 * 3600)
# The per-recipient link in every outlet mail (``{"o": outlet_id}``): the outlet's preference
# page, its one-click leave (RFC 8058) and per-outlet answers such as RSVPs. It lives as long
# as the outlet: a mail from last year must still lead to the preference page.
OUTLET_LINK = Purpose("pressdesk.outlet.link")
# A journalist's double opt-in for the press list: the link expires (two days).
OUTLET_SIGNUP = Purpose("pressdesk.outlet.signup", max_age=48 * 3600)


class TokenInvalid(ValueError):
    """Forged, truncated or signed for another purpose."""


class TokenExpired(TokenInvalid):
    """Genuine but older than the purpose allows."""


def _serializer(purpose: Purpose) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt=purpose.salt)


def dumps(purpose: Purpose, value: Any) -> str:
    """Sign a JSON-serialisable value for one purpose."""
    return _serializer(purpose).dumps(value)


def dumps_many(purpose: Purpose, values: list[Any]) -> list[str]:
    """``dumps`` for many values at once (one timestamp for the batch), in a third of the time,
    for the per-recipient links of a long list.

    itsdangerous derives the key and builds a new HMAC for every token; here the key is derived
    once and the keyed HMAC is copied per token. Short payloads (an outlet id) skip the zlib
    attempt, which costs as much as the signature: itsdangerous would compress only a few
    highly repetitive ones, and ``loads`` takes either form. Longer ones are encoded by the
    serializer as usual."""
    serializer = _serializer(purpose)
    signer = serializer.make_signer(purpose.salt)
    assert isinstance(signer, TimestampSigner)
    keyed = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
    sep = signer.sep
    stamp = sep + base64_encode(int_to_bytes(signer.get_timestamp()))
    out = []
    for v in values:
        payload = json.dumps(v, separators=(",", ":")).encode()
        value = (base64_encode(payload) if len(payload) <= _SHORT_PAYLOAD
                 else serializer.dump_payload(v)) + stamp
        mac = keyed.copy()
        mac.update(value)
        out.append((value + sep + base64_encode(mac.digest())).decode("ascii"))
    return out


_SHORT_PAYLOAD = 32


def outlet_links(outlet_ids: list[int]) -> list[str]:
    """The per-outlet link tokens (``OUTLET_LINK`` over ``{"o": id}``) of these outlets, in
    their order: the one spelling of that token, for the media side and the outbox (which
    signs the tokens of a long list only when it writes each chunk's rows)."""
    return dumps_many(OUTLET_LINK, [{"o": i} for i in outlet_ids])


def loads(purpose: Purpose, token: str) -> Any:
    """The value signed into ``token`` for ``purpose``.

    Raises :class:`TokenExpired` past the purpose's lifetime, :class:`TokenInvalid` otherwise."""
    try:
        return _serializer(purpose).loads(token, max_age=purpose.lifetime())
    except SignatureExpired as exc:
        raise TokenExpired(str(exc)) from exc
    except BadSignature as exc:
        raise TokenInvalid(str(exc)) from exc
