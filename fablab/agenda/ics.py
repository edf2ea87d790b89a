"""iCalendar (RFC 5545) files built with the ``icalendar`` library.

Every VEVENT has UID, DTSTAMP (= LAST-MODIFIED: a feed without METHOD, §3.8.7.2,
so two builds of unchanged data are byte-identical), DTSTART/DTEND with the
TZID of the site's zone (and its VTIMEZONE), or VALUE=DATE for all-day entries,
SUMMARY, plain-text DESCRIPTION, LOCATION, URL, CATEGORIES, CREATED,
LAST-MODIFIED, SEQUENCE and STATUS. A machine's booked times say "Booked" and
nothing about who booked or why.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from fablab.agenda.services import Entry

PRODID = "-//Fablab//Agenda//FR"
REFRESH = timedelta(hours=1)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


# --- VTIMEZONE ---------------------------------------------------------------------------------
# icalendar's own VTIMEZONE lists every change as RDATEs; several readers
# (dateutil's tzical, hence vobject, and some calendar apps) ignore RDATE and
# then shift every summer time by an hour. We write the usual form instead:
# one DAYLIGHT and one STANDARD rule with a yearly RRULE ("last Sunday of
# March"), found from the zone's real transitions over the years of the feed,
# and fall back to RDATEs only for a zone whose changes follow no such rule.


def _transitions(zone: ZoneInfo, first_year: int, last_year: int) -> list[tuple]:
    """(instant, offset before, offset after, name after, is DST after)."""
    found = []
    moment = datetime(first_year, 1, 1, tzinfo=timezone.utc)
    end = datetime(last_year + 1, 1, 1, tzinfo=timezone.utc)
    before = moment.astimezone(zone).utcoffset()
    while moment < end:
        following = moment + timedelta(days=1)
        after = following.astimezone(zone).utcoffset()
        if after != before:
            low, high = moment, following  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            high = high.replace(second=0, microsecond=0)  # changes fall on whole minutes
            local = high.astimezone(zone)
            found.append((high, before, after, local.tzname(), bool(local.dst())))
            before = after
        moment = following
    return found


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _yearly_rule(onsets: list[datetime]) -> str | None:
    """BYMONTH/BYDAY when every onset (local time) follows one yearly rule."""
    first = onsets[0]
    if any((d.month, d.weekday(), d.time()) != (first.month, first.weekday(), first.time())
           for d in onsets):
        return None
    if all((d + timedelta(days=7)).month != d.month for d in onsets):
        position = "-1"
    else:
        nths = {(d.day - 1) // 7 + 1 for d in onsets}
        if len(nths) != 1:
            return None
        position = str(nths.pop())
    return f"FREQ=YEARLY;BYMONTH={first.month};BYDAY={position}{WEEKDAYS[first.weekday()]}"


@lru_cache(maxsize=64)
def vtimezone(name: str, first_year: int, last_year: int) -> icalendar.Timezone:
    zone = ZoneInfo(name)
    tz = icalendar.Timezone()
    tz.add("tzid", name)
    transitions = _transitions(zone, first_year, last_year)
    if not transitions:
        moment = datetime(first_year, 1, 1, tzinfo=timezone.utc).astimezone(zone)
        standard = icalendar.TimezoneStandard()
        standard.add("dtstart", datetime(1970, 1, 1))
        standard["tzoffsetfrom"] = standard["tzoffsetto"] = icalendar.vText(
            _offset(moment.utcoffset()))
        standard.add("tzname", moment.tzname())
        tz.add_component(standard)
        return tz
    groups: dict[tuple, list[datetime]] = {}
    for instant, before, after, tzname, dst in transitions:
        onset = (instant + before).replace(tzinfo=None)  # the wall clock before the change
        groups.setdefault((dst, before, after, tzname), []).append(onset)
    for (dst, before, after, tzname), onsets in groups.items():
        part = icalendar.TimezoneDaylight() if dst else icalendar.TimezoneStandard()
        rule = _yearly_rule(onsets) if len(onsets) > 1 else None
        part.add("dtstart", onsets[0])
        if rule:
            part.add("rrule", icalendar.vRecur.from_ical(rule))
        elif len(onsets) > 1:
            part.add("rdate", onsets[1:])
        part["tzoffsetfrom"] = icalendar.vText(_offset(before))
        part["tzoffsetto"] = icalendar.vText(_offset(after))
        part.add("tzname", tzname)
        tz.add_component(part)
    return tz


def _add_timezones(cal: icalendar.Calendar, entries: list[Entry]) -> None:
    years: dict[str, set[int]] = {}
    for entry in entries:
        if isinstance(entry.starts, datetime):
            years.setdefault(entry.starts.tzinfo.key, set()).update(
                (entry.starts.year, entry.ends.year))
    for name, seen in sorted(years.items()):
        # Rules are derived from a few years around the entries (cached).
        cal.add_component(vtimezone(name, min(seen) - 1, max(seen) + 1))


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
    _add_timezones(cal, entries)
    for entry in entries:
        cal.add_component(vevent(entry))
    return cal.to_ical()


def single(entry: Entry, name: str) -> bytes:
    """One entry as a file to download ("add to my calendar") or attach."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    _add_timezones(cal, [entry])
    cal.add_component(vevent(entry))
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
