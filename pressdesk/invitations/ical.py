"""iCalendar (RFC 5545 / RFC 5546) from appointments, built with ``icalendar``. Pure: plain
values in, bytes out.

- the attachment of the newspaper mail: ``METHOD:REQUEST`` (``CANCEL`` once called off or
  withdrawn), one ``VEVENT`` with the invitation's fixed ``UID`` and the version's ``SEQUENCE``,
  ``ORGANIZER`` the press office, times in ``Europe/Berlin`` with its ``VTIMEZONE``;
- the feeds (per office, all offices): ``METHOD:PUBLISH``, one ``VEVENT`` per appointment,
  cancelled ones kept with ``STATUS:CANCELLED`` so subscribed calendars drop them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vText

from pressdesk.invitations.values import PublicAppointment
from pressdesk.text import BERLIN, german_datetime

PRODID = "-//pressdesk//Presseeinladungen//DE"
CONTENT_TYPE = "text/calendar"
FILENAME = "einladung.ics"


def method_for(a: PublicAppointment) -> str:
    return "CANCEL" if a.cancelled else "REQUEST"


def description(a: PublicAppointment) -> str:
    """The event's text: what happens, accreditation, access, contact on the day, RSVP."""
    parts = []
    if a.cancelled:
        parts.append("ABGESAGT: Dieser Termin findet nicht statt.")
    if a.programme:
        parts.append(a.programme)
    if a.accreditation_required:
        line = "Akkreditierung/Anmeldung erforderlich"
        if a.accreditation_until:
            line += f" bis {german_datetime(a.accreditation_until)}"
        parts.append(line + ".")
    if a.access_notes:
        parts.append(f"Anfahrt und Parken: {a.access_notes}")
    if a.day_contact_name or a.day_contact_phone:
        parts.append("Ansprechpartner vor Ort: "
                     + ", ".join(p for p in (a.day_contact_name, a.day_contact_phone) if p))
    if a.rsvp_until and not a.cancelled:
        parts.append(f"Bitte antworten Sie bis {german_datetime(a.rsvp_until)}.")
    if a.permalink:
        parts.append(a.permalink)
    return "\n\n".join(parts)


def _event(a: PublicAppointment) -> Event:
    ev = Event()
    ev.add("uid", a.uid)
    ev.add("sequence", a.sequence)
    ev.add("dtstamp", a.stamp)  # written in UTC by the library
    ev.add("dtstart", a.starts_at.astimezone(BERLIN))
    ev.add("dtend", a.ends_at.astimezone(BERLIN))
    ev.add("summary", ("Abgesagt: " if a.cancelled else "") + a.title)
    if a.location:
        ev.add("location", a.location)
    if a.has_coordinates:
        ev.add("geo", (a.latitude, a.longitude))
    ev.add("description", description(a))
    organizer = vCalAddress(f"mailto:{a.organizer_email}" if a.organizer_email else
                            "mailto:noreply@invalid")
    organizer.params["CN"] = vText(a.office_name)
    ev.add("organizer", organizer)
    if a.permalink:
        ev.add("url", a.permalink)
    ev.add("status", "CANCELLED" if a.cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("class", "PUBLIC")
    return ev


def _calendar(method: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    cal.add_component(berlin_timezone())
    return cal


def berlin_timezone() -> Timezone:
    """The VTIMEZONE of Europe/Berlin as calendar programs write it: CET/CEST with the EU rule
    (last Sunday of March and of October), valid for every year since 1996."""
    tz = Timezone()
    tz.add("tzid", "Europe/Berlin")
    tz.add("x-lic-location", "Europe/Berlin")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(summer)
    tz.add_component(winter)
    return tz


def _bytes(cal: Calendar) -> bytes:
    return bytes(cal.to_ical())


def invitation(a: PublicAppointment) -> bytes:
    """The .ics sent with one version of the invitation (REQUEST or CANCEL)."""
    cal = _calendar(method_for(a))
    cal.add_component(_event(a))
    return _bytes(cal)


def feed(items: Iterable[PublicAppointment], name: str) -> bytes:
    """A subscribable calendar of appointments (``webcal://``)."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    for a in items:
        cal.add_component(_event(a))
    return _bytes(cal)
