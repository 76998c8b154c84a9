"""The per-outlet link in every outlet mail: one signed token (``tokens.OUTLET_LINK``, signing
``{"o": outlet_id}``) that opens the outlet's preference page and its one-click leave.

The token lives as long as the outlet: a mail of last year must still lead to the page. The
shared outlet mail carries ``delivery.render.LINK_TOKEN_MARK`` where the token goes; each
delivery row brings its own token (``Recipient.link_token``) and ``personalise`` fills it in.
"""

from __future__ import annotations

from pressdesk import tokens
from pressdesk.delivery.render import LINK_TOKEN_MARK
from pressdesk.extensions import db
from pressdesk.media.models import Outlet
from pressdesk.urls import external_url


class LinkInvalid(ValueError):
    """Forged, truncated or signed for another purpose; or the outlet no longer exists."""


def outlet_link_token(outlet: Outlet) -> str:
    """The signed per-outlet link token."""
    return tokens.dumps(tokens.OUTLET_LINK, {"o": outlet.id})


def link_tokens(outlet_ids: list[int]) -> dict[int, str]:
    """Tokens for many outlets at once (a publication's list)."""
    unique = sorted(set(outlet_ids))
    return dict(zip(unique, tokens.outlet_links(unique), strict=True))


def outlet_id_for(token: str) -> int:
    try:
        value = tokens.loads(tokens.OUTLET_LINK, token)
    except tokens.TokenInvalid as exc:
        raise LinkInvalid(str(exc)) from exc
    if not isinstance(value, dict) or not isinstance(value.get("o"), int):
        raise LinkInvalid("unexpected token content")
    return int(value["o"])


def outlet_for(token: str) -> Outlet:
    """The outlet a genuine token names; :class:`LinkInvalid` otherwise."""
    outlet = db.session.get(Outlet, outlet_id_for(token))
    if outlet is None:
        raise LinkInvalid("outlet deleted")
    return outlet


def _url_with(endpoint: str) -> tuple[str, str]:
    url = external_url(endpoint, token=LINK_TOKEN_MARK)
    head, _, tail = url.partition(LINK_TOKEN_MARK)
    return head, tail


def preferences_url(token: str) -> str:
    head, tail = _url_with("outlet_links.preferences")
    return f"{head}{token}{tail}"


def leave_url_maker() -> tuple[str, str]:
    """(head, tail) of the one-click leave URL: ``head + token + tail`` (built once per list)."""
    return _url_with("outlet_links.leave")


def leave_url(token: str) -> str:
    head, tail = leave_url_maker()
    return f"{head}{token}{tail}"


def marked_preferences_url() -> str:
    """The preference URL with the mark in place of the token, for the shared outlet mail."""
    return external_url("outlet_links.preferences", token=LINK_TOKEN_MARK)
