"""What a delivery error means, in words a press officer understands.

The engine stores the technical text (the relay's answer, the OS error) in ``last_error``; the
report shows this explanation (what happened, whether it is retried, whom to tell) with the
technical text one click away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from pressdesk.delivery.models import DeliveryState

IT = _l("Ihre IT bzw. den Betrieb von pressdesk")
NEWSPAPER = _l("die Redaktion (nach der aktuellen Adresse fragen) und dann den Verteiler ändern")
NOBODY = _l("niemanden – das System versucht es selbst wieder")
ADMIN = _l("die Administration Ihrer Pressestelle (sie kann die Sperre aufheben)")


@dataclass(frozen=True)
class Explanation:
    what: str
    retried: str
    whom: str
    technical: str


def _rule(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (pattern on the technical text, what happened, whom to tell). First match wins.
_RULES = (
    (_rule(r"^outbox:.*(errno 28|no space)"),
     _l("Der Ausgangsordner für E-Mails ist voll: die Nachricht konnte nicht abgelegt werden."), IT),
    (_rule(r"^outbox:.*(errno 30|errno 13|read-only|permission)"),
     _l("In den Ausgangsordner für E-Mails darf nicht geschrieben werden."), IT),
    (_rule(r"^outbox:"), _l("Die Nachricht konnte nicht im Ausgangsordner abgelegt werden."), IT),
    (_rule(r"address on the suppression list"),
     _l("Die Adresse ist gesperrt, weil frühere Nachrichten an sie abgewiesen wurden."), ADMIN),
    (_rule(r"^bounce "),
     _l("Die Nachricht wurde angenommen, kam aber später als unzustellbar zurück."), NEWSPAPER),
    (_rule(r"SMTPUTF8"),
     _l("Die Adresse enthält Umlaute oder andere Sonderzeichen, die unser Mailserver nicht "
        "weitergeben kann."), IT),
    (_rule(r"^MAIL FROM"), _l("Unser Mailserver hat den Absender nicht angenommen."), IT),
    (_rule(r"^cannot build message"), _l("Die Nachricht konnte nicht erstellt werden."), IT),
    (_rule(r"^(connect|connection)"),
     _l("Die Verbindung zum Mailserver ist abgebrochen oder kam nicht zustande."), NOBODY),
    (_rule(r"^421"), _l("Der Mailserver war überlastet und hat die Verbindung beendet."), NOBODY),
    (_rule(r"^5\d\d[ -]5\.1\.|^55[03]"),
     _l("Der Mailserver der Redaktion kennt diese Adresse nicht (mehr)."), NEWSPAPER),
    (_rule(r"^552|^5\d\d[ -]5\.2\.2"), _l("Das Postfach der Redaktion ist voll."), NEWSPAPER),
    (_rule(r"^5\d\d"), _l("Der Mailserver der Redaktion hat die Nachricht endgültig abgelehnt."),
     NEWSPAPER),
    (_rule(r"^4\d\d"),
     _l("Der Mailserver hat die Nachricht vorübergehend nicht angenommen."), NOBODY),
)

_GAVE_UP = _rule(r"\(gave up after (\d+) attempts\)")


def explain(state: str, technical: str) -> Explanation | None:
    """The explanation for a row's state and last error, or None when there is nothing to say."""
    technical = technical or ""
    if not technical:
        return None
    if state == DeliveryState.CANCELLED.value:
        return Explanation(str(_l("Der Versand an diese Adresse wurde abgebrochen.")),
                           str(_l("Nein.")), str(_l("niemanden")), technical)
    what, whom = _l("Beim Versand ist ein Fehler aufgetreten."), IT
    for pattern, text, who in _RULES:
        if pattern.search(technical):
            what, whom = text, who
            break
    gave_up = _GAVE_UP.search(technical)
    if state == DeliveryState.RETRYING.value:
        retried = str(_l("Ja, automatisch; Sie müssen nichts tun."))
    elif state in (DeliveryState.QUEUED.value, DeliveryState.SENDING.value):
        retried = str(_l("Ja, der Versand läuft."))
    elif state == DeliveryState.SENT.value:
        retried = str(_l("Erledigt: die Nachricht wurde danach zugestellt."))
    elif gave_up:
        retried = str(_l("Nein, nach %(n)s Versuchen aufgegeben. Mit „Fehlgeschlagene erneut "
                         "senden“ starten Sie einen neuen Versuch.", n=gave_up.group(1)))
        if whom == NOBODY:
            whom = IT
    else:
        retried = str(_l("Nein."))
        if whom == NOBODY:
            whom = IT
    return Explanation(str(what), retried, str(whom), technical)
