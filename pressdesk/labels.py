"""Every label shown for a code value: release status, role, field, audit action, delivery state.

One home, so the banner, the members page, the 403 texts and the audit log call a thing by the
same name. All are lazy gettext strings (German msgids, translated when shown), so a label
defined at import time still follows the reader's language. The lookup helpers return plain
``str`` in the current language and fall back to the code value for an unknown one.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from pressdesk.accounts.models import Role

STATUS_LABELS = {
    "draft": _l("Entwurf"), "in_review": _l("In Prüfung"), "approved": _l("Freigegeben"),
    "scheduled": _l("Geplant"), "published": _l("Veröffentlicht"),
    "withdrawn": _l("Zurückgezogen"),
}

ROLE_LABELS = {
    Role.EDITOR: _l("Redaktion"), Role.PUBLISHER: _l("Veröffentlichung"),
    Role.ADMIN: _l("Administration"),
}

# The fields of a release as the desk's form names them (also in validation messages).
FIELD_LABELS = {
    "headline": _l("Überschrift"), "subline": _l("Unterzeile"), "dateline_place": _l("Ort"),
    "lead": _l("Vorspann"), "body": _l("Text"), "contact_name": _l("Ansprechperson"),
    "contact_phone": _l("Telefon"), "contact_email": _l("E-Mail (Kontakt)"),
    "topics": _l("Themen"), "regions": _l("Regionen"),
}

# The office settings an admin may change (form errors, and the audit log's list of changes).
OFFICE_FIELD_LABELS = {
    "sender_name": _l("Absendername"), "contact_name": _l("Ansprechpartner"),
    "contact_phone": _l("Telefon"), "contact_email": _l("E-Mail"), "default_place": _l("Ort"),
    "description": _l("Beschreibung"), "imprint": _l("Impressum"),
    "require_four_eyes": _l("Vier-Augen-Prinzip"),
    "allow_urgent_corrections": _l("Eilkorrekturen"),
    "strip_photo_locations": _l("GPS und Seriennummern aus Fotos entfernen"),
    "require_two_factor": _l("Zweiter Faktor für alle Mitglieder"),
}

DELIVERY_STATE_LABELS = {
    "queued": _l("Wartet"), "sending": _l("Wird gesendet"), "sent": _l("Gesendet"),
    "retrying": _l("Neuer Versuch"), "failed": _l("Fehlgeschlagen"), "suppressed": _l("Gesperrt"),
    "cancelled": _l("Abgebrochen"), "bounced": _l("Unzustellbar"),
}

# Release statuses and delivery states together: the desk's one ``state_label`` filter.
STATE_LABELS = {**STATUS_LABELS, **DELIVERY_STATE_LABELS}

# Exactly the actions something records (tests/test_labels.py checks both directions).
AUDIT_ACTION_LABELS = {
    "release.created": _l("Mitteilung angelegt"),
    "release.submitted": _l("Zur Freigabe eingereicht"),
    "release.returned": _l("Zurück an die Redaktion"),
    "release.approved": _l("Freigegeben"),
    "release.approval_voided": _l("Freigabe nach Änderung aufgehoben"),
    "release.scheduled": _l("Veröffentlichung geplant"),
    "release.unscheduled": _l("Planung aufgehoben"),
    "release.published": _l("Veröffentlicht"),
    "release.publish_failed": _l("Geplante Veröffentlichung fehlgeschlagen"),
    "release.embargo_ended": _l("Sperrfrist abgelaufen"),
    "release.tagged": _l("Themen und Regionen geändert"),
    "release.correction_requested": _l("Korrektur zur Freigabe vorgelegt"),
    "release.correction_discarded": _l("Korrektur verworfen"),
    "release.corrected": _l("Korrigiert"),
    "release.corrected_urgent": _l("Eilkorrektur ohne zweite Freigabe"),
    "release.withdrawn": _l("Zurückgezogen"),
    "release.test_sent": _l("Testmail gesendet"),
    "release.duplicated": _l("Als Kopie angelegt"),
    "release.deleted": _l("Entwurf gelöscht"),
    "release.embargo_moved": _l("Sperrfrist verschoben"),
    "release.embargo_lifted": _l("Sperrfrist aufgehoben"),
    "template.created": _l("Vorlage gespeichert"), "template.updated": _l("Vorlage geändert"),
    "template.deleted": _l("Vorlage gelöscht"),
    "invitation.created": _l("Pressetermin angehängt"),
    "delivery.pause": _l("Versand angehalten"),
    "delivery.resume": _l("Versand fortgesetzt"),
    "delivery.cancel": _l("Versand abgebrochen"),
    "delivery.retry": _l("Versand wiederholt"),
    "suppression.lifted": _l("Sperre aufgehoben"),
    "outlet.created": _l("Medium angelegt"), "outlet.updated": _l("Medium geändert"),
    "outlet.deleted": _l("Medium gelöscht"), "outlets.imported": _l("Medien importiert"),
    "outlet.left": _l("Medium hat sich ausgetragen"),
    "outlet.preferences": _l("Medium hat seine Einstellungen geändert"),
    "outlet.confirmed": _l("Medium hat „noch richtig“ bestätigt"),
    "outlet.review": _l("Medium zur Prüfung vorgemerkt"),
    "outlet.review_keep": _l("Prüfung: stimmt so"),
    "outlet.review_left": _l("Prüfung: Person hat gewechselt"),
    "outlet.review_deactivate": _l("Prüfung: deaktiviert"),
    "signup.confirmed": _l("Anmeldung bestätigt"), "signup.accepted": _l("Anmeldung angenommen"),
    "signup.declined": _l("Anmeldung abgelehnt"),
    "outlets.settings": _l("Selbstverwaltung geändert"),
    "list.created": _l("Verteiler angelegt"), "list.updated": _l("Verteiler geändert"),
    "list.deleted": _l("Verteiler gelöscht"),
    "member.created": _l("Konto angelegt"), "member.added": _l("Mitglied hinzugefügt"),
    "member.role": _l("Rolle geändert"), "member.deactivated": _l("Mitglied deaktiviert"),
    "member.activated": _l("Mitglied aktiviert"), "member.reactivated": _l("Mitglied reaktiviert"),
    "member.invited": _l("Einladung gesendet"),
    "member.two_factor_reset": _l("Zweiter Faktor zurückgesetzt"),
    "account.invitation_accepted": _l("Einladung angenommen, Passwort gewählt"),
    "account.password_reset": _l("Passwort über Link neu festgelegt"),
    "account.two_factor_on": _l("Zweiter Faktor eingerichtet"),
    "account.two_factor_off": _l("Zweiter Faktor abgeschaltet"),
    "office.settings": _l("Einstellungen geändert"),
    "topic.created": _l("Thema angelegt"), "topic.renamed": _l("Thema umbenannt"),
    "topic.deleted": _l("Thema gelöscht"), "region.created": _l("Region angelegt"),
    "region.renamed": _l("Region umbenannt"), "region.deleted": _l("Region gelöscht"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def role_label(role: Role | str) -> str:
    try:
        return str(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def delivery_state_label(state: str) -> str:
    return str(DELIVERY_STATE_LABELS.get(state, state))


def state_label(value: str) -> str:
    """A release status or a delivery state (the desk shows both with one filter)."""
    if value in STATUS_LABELS:
        return status_label(value)
    return delivery_state_label(value)


def action_label(action: str) -> str:
    return str(AUDIT_ACTION_LABELS.get(action, action))
