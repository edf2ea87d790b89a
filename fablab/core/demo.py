"""When the demo's data falls: everything is placed relative to the moment it is
loaded, so that ``flask demo`` works at any hour of any day of the year.

A lab's year runs in seasons, from September to June, with a lighter summer in
July and August. The demo's open-lab slots cover the seasons around today (for
the history and the next weeks); its workshop series start at their next
occurrence and run to the end of the season, or over the next season when this
one is (nearly) over; its one-off events are a few days ahead, never today, so
that no registration goes to an event that has started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A season runs from 1 September to 30 June; July and August are the summer.
SEASON_FIRST = (9, 1)
SEASON_LAST = (6, 30)
# Slots of a period this close to today are made (past ones give the history).
SLOT_HORIZON = timedelta(days=60)
# A season with fewer days left than this hands the series over to the next one.
SERIES_MIN_DAYS = 42


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    summer: bool = False

    def overlaps(self, first: date, last: date) -> bool:
        return self.first_day <= last and first <= self.last_day


def season_starting(year: int) -> Period:
    return Period(date(year, *SEASON_FIRST), date(year + 1, *SEASON_LAST))


def summer_of(year: int) -> Period:
    return Period(date(year, 7, 1), date(year, 8, 31), summer=True)


@dataclass(frozen=True)
class DemoMoment:
    """The moment the demo is loaded, in the lab's time zone."""

    now: datetime  # aware
    zone: ZoneInfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def at(self, day: date, moment: time) -> datetime:
        """An aware datetime at a local wall-clock time (the demo uses none that a
        daylight-saving change skips: 02:00–03:00)."""
        return datetime.combine(day, moment, tzinfo=self.zone)

    def days_ahead(self, days: int, moment: time) -> datetime:
        return self.at(self.today + timedelta(days=days), moment)

    def open_lab_periods(self) -> list[Period]:
        """The seasons and summers whose slots the demo makes: those within
        ``SLOT_HORIZON`` of today, before or after."""
        year = self.today.year
        candidates = (season_starting(year - 1), summer_of(year), season_starting(year))
        first, last = self.today - SLOT_HORIZON, self.today + SLOT_HORIZON
        return [period for period in candidates if period.overlaps(first, last)]

    def series_period(self) -> Period:
        """The days a weekly or monthly workshop series runs: from tomorrow (its next
        occurrence that cannot have started) to the end of this season; in summer, or
        when fewer than ``SERIES_MIN_DAYS`` days are left, the whole next season."""
        tomorrow = self.today + timedelta(days=1)
        season = season_starting(tomorrow.year if tomorrow.month >= 7 else tomorrow.year - 1)
        if tomorrow < season.first_day:  # summer: the next season
            return season
        if (season.last_day - tomorrow).days < SERIES_MIN_DAYS:
            return season_starting(season.last_day.year)
        return Period(tomorrow, season.last_day)
