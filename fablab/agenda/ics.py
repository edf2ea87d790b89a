"""iCalendar (RFC 5545) files built with the ``icalendar`` library.

Every VEVENT has UID, DTSTAMP (= LAST-MODIFIED: a feed without METHOD, §3.8.7.2,
so two builds of unchanged data are byte-identical), DTSTART/DTEND with the
TZID of the site's zone (and its VTIMEZONE), or VALUE=DATE for all-day entries,
SUMMARY, plain-text DESCRIPTION, LOCATION, URL, CATEGORIES, CREATED,
LAST-MODIFIED, SEQUENCE and STATUS. A machine's booked times say "Booked" and
nothing about who booked or why.
"""

from __future__ import annotations

from datetime import timedelta

import icalendar
from flask import current_app

from fablab.agenda.services import Entry

PRODID = "-//Fablab//Agenda//FR"
REFRESH = timedelta(hours=1)


def absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def vevent(entry: Entry) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", entry.last_modified)
    event.add("dtstart", entry.starts)
    event.add("dtend", entry.ends)
    event.add("summary", entry.title)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.path:
        event.add("url", absolute(entry.path))
    if entry.categories:
        event.add("categories", entry.categories)
    event.add("created", entry.created)
    event.add("last-modified", entry.last_modified)
    event.add("sequence", entry.sequence)
    event.add("status", entry.status)
    event.add("transp", "TRANSPARENT" if entry.all_day else "OPAQUE")
    return event


def calendar(entries: list[Entry], name: str, description: str = "") -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if description:
        cal.add("x-wr-caldesc", description)
    cal.add("x-wr-timezone", current_app.config["TIMEZONE"])
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    for entry in entries:
        cal.add_component(vevent(entry))
    cal.add_missing_timezones()
    return cal.to_ical()


def single(entry: Entry, name: str) -> bytes:
    """One entry as a file to download ("add to my calendar") or attach."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add_component(vevent(entry))
    cal.add_missing_timezones()
    return cal.to_ical()


def attachment(entry: Entry, filename: str) -> dict[str, str]:
    """An outbox attachment (text content) of one entry."""
    return {"filename": filename, "content_type": "text/calendar",
            "content": single(entry, current_app.config["LAB_NAME"]).decode("utf-8")}


def _in_request(build, locale: str | None):
    """Build in the recipient's language, with a request context for url_for
    (reminders and promotions may run from a command)."""
    from flask import has_request_context
    from flask_babel import force_locale

    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
        if has_request_context():
            return build()
        with current_app.test_request_context("/"):
            return build()


def registration_attachments(registration, locale: str | None = None) -> list[dict[str, str]]:
    """The .ics of a registration, attached to its confirmation e-mails."""
    from fablab.agenda.services import _Labels, registration_entry, uid_host

    entry = _in_request(lambda: registration_entry(registration, _Labels(), uid_host()),
                        locale)
    return [attachment(entry, f"{registration.event.slug}.ics")]


def booking_attachments(booking, locale: str | None = None) -> list[dict[str, str]]:
    from fablab.agenda.services import _Labels, booking_entry, uid_host

    entry = _in_request(lambda: booking_entry(booking, _Labels(), uid_host()), locale)
    return [attachment(entry, f"booking-{booking.id}.ics")]
