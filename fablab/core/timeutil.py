"""Time helpers: store aware UTC, convert at the edges with the lab's zone."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def lab_timezone() -> ZoneInfo:
    name = current_app.config["TIMEZONE"] if has_app_context() else "Europe/Paris"
    return ZoneInfo(name)


def to_local(value: datetime, tz: ZoneInfo | None = None) -> datetime:
    return value.astimezone(tz or lab_timezone())


def local_today(tz: ZoneInfo | None = None) -> date:
    return utcnow().astimezone(tz or lab_timezone()).date()


def parse_day(value: str | None, limit_days: int = 5 * 366) -> date | None:
    """A date from a query string, or None when it is malformed or absurdly far
    (a year 9999 would overflow the arithmetic of the pages)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if abs((day - local_today()).days) <= limit_days else None
