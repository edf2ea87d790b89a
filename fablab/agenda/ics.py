"""iCalendar (RFC 5545) files built with the ``icalendar`` library.

Every VEVENT has UID, DTSTAMP (= LAST-MODIFIED: a feed without METHOD, §3.8.7.2,
so two builds of unchanged data are byte-identical), DTSTART/DTEND with the
TZID of the site's zone (and its VTIMEZONE), or VALUE=DATE for all-day entries,
SUMMARY, plain-text DESCRIPTION, LOCATION, URL, CATEGORIES, CREATED,
LAST-MODIFIED, SEQUENCE and STATUS. A machine's booked times say "Booked" and
nothing about who booked or why.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from threading import Lock
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from fablab.agenda.services import Entry, _Labels, booking_entry, registration_entry, uid_host

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


def _zone_key(value) -> str:
    """Equal instants in two zones are equal datetimes (same hash): every cache
    of this module keys on the zone's name too."""
    return getattr(getattr(value, "tzinfo", None), "key", "") or str(
        getattr(value, "tzinfo", ""))


def _moment(value) -> icalendar.vDatetime | icalendar.vDate:
    """DTSTART/DTEND: the site's wall-clock time with its TZID, or a DATE."""
    return _moment_cached(value, _zone_key(value))


@lru_cache(maxsize=8192)
def _moment_cached(value, zone_key: str) -> icalendar.vDatetime | icalendar.vDate:
    if isinstance(value, datetime):
        prop = icalendar.vDatetime(value.replace(tzinfo=None))
        prop.params["TZID"] = value.tzinfo.key
    else:
        prop = icalendar.vDate(value)
        prop.params["VALUE"] = "DATE"
    return prop


@lru_cache(maxsize=8192)
def _utc(value: datetime) -> icalendar.vDatetime:
    return icalendar.vDatetime(value.astimezone(timezone.utc))


def vevent(entry: Entry) -> icalendar.Event:
    """The VEVENT of an entry (properties set as icalendar value types: this is
    the hot loop of a 3,000-entry feed; the date-time values, never modified
    once made, are shared between entries through the caches above)."""
    event = icalendar.Event()
    event["UID"] = icalendar.vText(entry.uid)
    event["DTSTAMP"] = _utc(entry.last_modified)
    event["DTSTART"] = _moment(entry.starts)
    event["DTEND"] = _moment(entry.ends)
    event["SUMMARY"] = icalendar.vText(entry.title)
    if entry.description:
        event["DESCRIPTION"] = icalendar.vText(entry.description)
    if entry.location:
        event["LOCATION"] = icalendar.vText(entry.location)
    if entry.path:
        event["URL"] = icalendar.vUri(absolute(entry.path))
    if entry.categories:
        event["CATEGORIES"] = icalendar.vCategory(entry.categories)
    event["CREATED"] = _utc(entry.created)
    event["LAST-MODIFIED"] = _utc(entry.last_modified)
    event["SEQUENCE"] = icalendar.vInt(entry.sequence)
    event["STATUS"] = icalendar.vText(entry.status)
    event["TRANSP"] = icalendar.vText("TRANSPARENT" if entry.all_day else "OPAQUE")
    return event


# Serialised VEVENTs by content: a feed rebuilt after one change serialises
# that entry only. The key holds every field that goes into the VEVENT.
_VEVENTS: OrderedDict[tuple, bytes] = OrderedDict()
_VEVENTS_MAX = 50_000
_VEVENTS_LOCK = Lock()


def vevent_bytes(entry: Entry) -> bytes:
    key = (current_app.config["BASE_URL"], entry.uid, entry.title, entry.starts, entry.ends,
           _zone_key(entry.starts), _zone_key(entry.ends),
           entry.status, entry.sequence, entry.last_modified, entry.created, entry.path,
           entry.description, entry.location, tuple(entry.categories))
    with _VEVENTS_LOCK:
        cached = _VEVENTS.get(key)
        if cached is not None:
            _VEVENTS.move_to_end(key)
            return cached
    data = fast_vevent(entry)
    with _VEVENTS_LOCK:
        _VEVENTS[key] = data
        while len(_VEVENTS) > _VEVENTS_MAX:
            _VEVENTS.popitem(last=False)
    return data


def _line(name: str, prop) -> str:
    value = prop.to_ical()
    value = value.decode("utf-8") if isinstance(value, bytes) else value
    params = prop.params.to_ical() if prop.params else b""
    head = f"{name};{params.decode('utf-8')}" if params else name
    return _fold(f"{head}:{value}")


@lru_cache(maxsize=16384)
def _text_line(name: str, value: str) -> str:
    return _line(name, icalendar.vText(value))


def _when_line(name: str, value) -> str:
    """DTSTART/DTEND lines (local, with TZID, or DATE) and UTC stamps."""
    return _when_line_cached(name, value, _zone_key(value))


@lru_cache(maxsize=16384)
def _when_line_cached(name: str, value, zone_key: str) -> str:
    if isinstance(value, datetime) and value.tzinfo is timezone.utc:
        return _line(name, _utc(value))
    return _line(name, _moment(value))


def fast_vevent(entry: Entry) -> bytes:
    """``vevent(entry).to_ical()``, byte for byte (a test compares them), without
    building the component: the same icalendar value types encode and escape
    every value, written in icalendar's order (its canonical order, then the
    other properties alphabetically). Lines shared by many entries (the slots'
    title and place, statuses, categories, times) are encoded once."""
    last_modified = entry.last_modified.astimezone(timezone.utc)
    lines = ["BEGIN:VEVENT", _text_line("SUMMARY", entry.title),
             _when_line("DTSTART", entry.starts), _when_line("DTEND", entry.ends),
             _when_line("DTSTAMP", last_modified), _text_line("UID", entry.uid),
             f"SEQUENCE:{int(entry.sequence)}"]
    if entry.categories:
        lines.append(_categories_line(tuple(entry.categories)))
    lines.append(_when_line("CREATED", entry.created.astimezone(timezone.utc)))
    if entry.description:
        lines.append(_text_line("DESCRIPTION", entry.description))
    lines.append(_when_line("LAST-MODIFIED", last_modified))
    if entry.location:
        lines.append(_text_line("LOCATION", entry.location))
    lines.append(_text_line("STATUS", entry.status))
    lines.append(_text_line("TRANSP", "TRANSPARENT" if entry.all_day else "OPAQUE"))
    if entry.path:
        lines.append(_line("URL", icalendar.vUri(absolute(entry.path))))
    lines.append("END:VEVENT")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


@lru_cache(maxsize=1024)
def _categories_line(categories: tuple[str, ...]) -> str:
    return _line("CATEGORIES", icalendar.vCategory(list(categories)))


def serialise(component: icalendar.Component) -> bytes:
    """``component.to_ical()``, byte for byte (a test compares them), without its
    per-character folding loop: each value and its parameters are still encoded
    and escaped by icalendar's types; only lines longer than 74 octets, which
    are rare, go through the careful fold."""
    lines = [f"BEGIN:{component.name}"]
    for name, prop in component.property_items(recursive=False, sorted=True):
        if name in ("BEGIN", "END"):
            continue
        value = prop.to_ical()
        value = value.decode("utf-8") if isinstance(value, bytes) else value
        params = prop.params.to_ical() if getattr(prop, "params", None) else b""
        head = f"{name};{params.decode('utf-8')}" if params else name
        lines.append(_fold(f"{head}:{value}"))
    lines.append(f"END:{component.name}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _fold(line: str) -> str:
    """RFC 5545 folding exactly as icalendar's ``_foldline`` (at most 74 octets a
    line, never inside a UTF-8 character, never right after a backslash or a
    caret of an escape), but a slice per line instead of a loop per character."""
    if len(line) < 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    chunks, start = [], 0
    while len(data) - start > 74:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back off
            end -= 1
        if data[end - 1] in (0x5C, 0x5E) and end - 1 > start:  # keep an escape whole
            end -= 1
        chunks.append(data[start:end])
        start = end
    chunks.append(data[start:])
    return b"\r\n ".join(chunks).decode("utf-8")


END = b"END:VCALENDAR\r\n"


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
    frame = cal.to_ical()
    assert frame.endswith(END)
    return frame[:-len(END)] + b"".join(vevent_bytes(e) for e in entries) + END


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
    """The .ics of a registration, attached to its confirmation e-mails (a receiver of
    ``events.signals.calendar_attachments``)."""
    entry = _in_request(lambda: registration_entry(registration, _Labels(), uid_host()),
                        locale)
    return [attachment(entry, f"{registration.event.slug}.ics")]


def booking_attachments(booking, locale: str | None = None) -> list[dict[str, str]]:
    """The .ics of a booking (a receiver of ``booking.signals.calendar_attachments``)."""
    entry = _in_request(lambda: booking_entry(booking, _Labels(), uid_host()), locale)
    return [attachment(entry, f"booking-{booking.id}.ics")]
