"""Press invitations: an appointment attached to a release, its iCalendar, feeds and RSVP."""
