"""Strings that are translated at runtime from data (state labels, error pages, field labels).

``gettext(variable)`` cannot be found by extraction, so the literal German msgids are listed
here with the no-op marker ``N_``; ``babel.cfg`` extracts ``N_``. ``tests/test_i18n.py`` checks
that every runtime label in the code appears here, so a new state or error page is not missed.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the marker
    return message


RUNTIME_MSGIDS = (
    # pressdesk.labels.STATE_LABELS
    N_("Entwurf"), N_("In Prüfung"), N_("Freigegeben"), N_("Geplant"), N_("Veröffentlicht"),
    N_("Zurückgezogen"), N_("Wartet"), N_("Wird gesendet"), N_("Gesendet"), N_("Neuer Versuch"),
    N_("Fehlgeschlagen"), N_("Gesperrt"), N_("Abgebrochen"), N_("Korrigiert"), N_("Unzustellbar"),
    # pressdesk.app.ERRORS
    N_("Ungültige Anfrage"),
    N_("Die Anfrage war unvollständig oder abgelaufen. Bitte erneut versuchen."),
    N_("Kein Zugriff"), N_("Dafür fehlt Ihnen die Berechtigung."),
    N_("Nicht gefunden"), N_("Diese Seite gibt es nicht (mehr)."),
    N_("Diese Mitteilung wurde von der Pressestelle zurückgezogen."),
    N_("Datei zu groß"), N_("Die hochgeladene Datei überschreitet die erlaubte Größe."),
    N_("Zu viele Anfragen"), N_("Bitte warten Sie einen Moment und versuchen Sie es erneut."),
    # pressdesk.labels.OFFICE_FIELD_LABELS
    N_("Absendername"), N_("Ansprechpartner"), N_("Telefon"), N_("E-Mail"), N_("Ort"),
    N_("Beschreibung"), N_("Impressum"), N_("Vier-Augen-Prinzip"), N_("Eilkorrekturen"),
    N_("GPS und Seriennummern aus Fotos entfernen"), N_("Zweiter Faktor für alle Mitglieder"),
)
