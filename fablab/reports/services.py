"""Activity figures for a period and a site (or every site).

Every figure is counted by the database (GROUP BY, COUNT DISTINCT, SUM over indexed
columns): no row is loaded into Python, whatever the size of the lab. Breakdowns
that could point at a person (home commune, age group) show "< 3" for one or two
people. Members erased under the GDPR keep their history (the account is anonymised,
not deleted), so they still count, anonymously.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import Date, and_, case, cast, distinct, func, or_, select
from sqlalchemy.orm import aliased

from fablab.accounts.models import User
from fablab.booking.models import Booking, OpenSlot
from fablab.core.errors import DomainError
from fablab.core.models import Site
from fablab.core.timeutil import lab_timezone, local_today, utcnow
from fablab.desk.models import Visit
from fablab.desk.visits import AGE_GROUP_LABELS, REASON_LABELS
from fablab.events import repair
from fablab.events.models import Event, Registration, event_animators
from fablab.events.services import AUDIENCE_LABELS, KIND_LABELS
from fablab.extensions import db
from fablab.loans.models import Item, Loan
from fablab.machines.models import Resource
from fablab.memberships.models import Membership, Tariff
from fablab.memberships.services import TARIFF_LABELS
from fablab.projects.models import Project

MAX_DAYS = 5 * 366  # a range over five years is refused
ANONYMITY_THRESHOLD = 3
SMALL = "< 3"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- the period ---------------------------------------------------------------------------------


@dataclass
class Period:
    start: date  # first day, included
    end: date  # last day, included
    site: Site | None  # None: every site
    kind: str = "range"  # month, year or range

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.site.timezone) if self.site is not None else lab_timezone()

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time.min, self.zone).astimezone(ZoneInfo("UTC"))

    @property
    def end_utc(self) -> datetime:  # excluded
        return datetime.combine(self.end + timedelta(days=1), time.min,
                                self.zone).astimezone(ZoneInfo("UTC"))

    @property
    def site_id(self) -> int | None:
        return self.site.id if self.site is not None else None

    def query_args(self) -> dict[str, str]:
        args = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.site is not None:
            args["site"] = str(self.site.id)
        return args

    @property
    def label(self) -> str:
        if self.kind == "month":
            return format_date(self.start, "LLLL yyyy")
        if self.kind == "year":
            return str(self.start.year)
        return _("%(start)s to %(end)s", start=format_date(self.start, "medium"),
                 end=format_date(self.end, "medium"))


def _day(value: str, field_label: str) -> date:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 9998:  # far years overflow the arithmetic
        raise DomainError(_("%(field)s: this date is not valid (expected YYYY-MM-DD).",
                            field=field_label))
    return day


def parse_period(args, today: date | None = None) -> Period:
    """The period and site asked for in the query string; a DomainError says what is wrong.

    ``month=2026-03``, ``year=2026``, or ``start=…&end=…`` (days included); ``site``
    is a site's id, empty or ``all`` for every site. Nothing given: the current month.
    """
    today = today or local_today()
    site = None
    site_arg = (args.get("site") or "").strip()
    if site_arg and site_arg != "all":
        site = db.session.get(Site, int(site_arg)) if site_arg.isdigit() and \
            len(site_arg) < 10 else None
        if site is None:
            raise DomainError(_("Unknown site."), "site")
    month, year = (args.get("month") or "").strip(), (args.get("year") or "").strip()
    start_arg, end_arg = (args.get("start") or "").strip(), (args.get("end") or "").strip()
    if month:
        match = MONTH.match(month)
        if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 9998:
            raise DomainError(_("The month is not valid (expected YYYY-MM)."), "month")
        start = date(int(match[1]), int(match[2]), 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Period(start, end, site, "month")
    if year:
        if not year.isdigit() or not 1900 <= int(year) <= 9998:
            raise DomainError(_("The year is not valid."), "year")
        return Period(date(int(year), 1, 1), date(int(year), 12, 31), site, "year")
    if start_arg or end_arg:
        if not (start_arg and end_arg):
            raise DomainError(_("Please give both the first and the last day."), "start")
        start, end = _day(start_arg, _("From")), _day(end_arg, _("To"))
        if end < start:
            raise DomainError(_("The last day is before the first day."), "end")
        if (end - start).days >= MAX_DAYS:
            raise DomainError(_("A report covers at most five years."), "end")
        kind = "range"
        if start.day == 1 and end == (start + timedelta(days=32)).replace(day=1) - timedelta(1):
            kind = "month"
        elif (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and \
                start.year == end.year:
            kind = "year"
        return Period(start, end, site, kind)
    start = today.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(start, end, site, "month")


# --- tables -------------------------------------------------------------------------------------


@dataclass
class Table:
    """One table of the report, also one CSV file."""

    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    # Columns (indexes) that count people in an anonymous breakdown: 1 or 2 show "< 3".
    anonymous_columns: tuple[int, ...] = ()

    def cell(self, row_index: int, column: int):
        value = self.rows[row_index][column]
        if column in self.anonymous_columns and isinstance(value, int) and \
                0 < value < ANONYMITY_THRESHOLD:
            return SMALL
        return value

    def display_rows(self) -> list[list]:
        return [[self.cell(i, c) for c in range(len(row))] for i, row in enumerate(self.rows)]


def to_csv(table: Table) -> str:
    """UTF-8 with a BOM and ";" between fields: French spreadsheets open it as is."""
    decimal = "," if str(get_locale() or "fr").startswith("fr") else "."
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c) for c in table.columns])
    for row in table.display_rows():
        writer.writerow([f"{v:.2f}".replace(".", decimal) if isinstance(v, float) else str(v)
                         for v in row])
    return "\ufeff" + out.getvalue()


# --- engine-specific expressions ----------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _hours(start_col, end_col):
    if _dialect() == "postgresql":
        # date_part is double precision; EXTRACT gives numeric, several times slower to sum
        return func.date_part("epoch", end_col - start_col) / 3600.0
    return (func.julianday(end_col) - func.julianday(start_col)) * 24.0


def _date_of(column):
    if _dialect() == "postgresql":
        return cast(column, Date)
    return func.date(column)


def _age_group(birth_year_col, year: int):
    age = year - birth_year_col
    return case((birth_year_col.is_(None), ""), (age < 12, "0-11"), (age < 18, "12-17"),
                (age < 26, "18-25"), (age < 60, "26-59"), else_="60+")


def _towns_order(item: tuple[str, int]) -> tuple:
    """Towns by number of people, "not given" last, ties by name without accents."""
    town, count = item
    plain = unicodedata.normalize("NFKD", town).encode("ascii", "ignore").decode().casefold()
    return (town == "", -count, plain, town)


def _int(value) -> int:
    return int(value or 0)


def _float(value) -> float:
    return round(float(value or 0), 2)


def _rate(part, whole) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


# --- the figures --------------------------------------------------------------------------------


def visits_figures(period: Period) -> dict:
    where = [Visit.day >= period.start, Visit.day <= period.end]
    if period.site is not None:
        where.append(Visit.site_id == period.site_id)
    walk_in = Visit.source == "walk_in"
    members, children = db.session.execute(
        select(func.count(distinct(Visit.member_id)), func.count(distinct(Visit.child_id)))
        .where(*where)).one()
    # Grouped by day in SQL (an index-ordered scan, no date function per row), then the
    # at most 366 days a year are summed into months.
    by_day = db.session.execute(
        select(Visit.day, func.count(Visit.id), func.sum(case((walk_in, 1), else_=0)))
        .where(*where).group_by(Visit.day).order_by(Visit.day)).all()
    months_sum: dict[str, list[int]] = {}
    for day, count, anon in by_day:
        key = (day if isinstance(day, date) else date.fromisoformat(str(day))).strftime("%Y-%m")
        entry = months_sum.setdefault(key, [0, 0])
        entry[0] += _int(count)
        entry[1] += _int(anon)
    by_month = [(key, c, a) for key, (c, a) in months_sum.items()]
    total = sum(c for _key, c, _a in by_month)
    walk_ins = sum(a for _key, _c, a in by_month)
    # The breakdowns in one pass: a few hundred groups at most, summed here.
    groups = db.session.execute(
        select(Visit.source, func.coalesce(Visit.reason, ""), func.coalesce(Visit.age_group, ""),
               func.coalesce(Visit.commune, ""), func.count(Visit.id))
        .where(*where).group_by(Visit.source, Visit.reason, Visit.age_group, Visit.commune)).all()
    by_reason_sum: dict[str, int] = {}
    by_age_sum: dict[str, int] = {}
    by_commune_sum: dict[str, int] = {}
    for source, reason, age, commune, count in groups:
        by_reason_sum[reason] = by_reason_sum.get(reason, 0) + count
        if source == "walk_in":
            by_age_sum[age] = by_age_sum.get(age, 0) + count
            by_commune_sum[commune] = by_commune_sum.get(commune, 0) + count
    by_reason = sorted(by_reason_sum.items(), key=lambda kv: (-kv[1], kv[0]))
    by_age = sorted(by_age_sum.items())
    by_commune = sorted(by_commune_sum.items(), key=_towns_order)
    people = _int(members) + _int(children) + _int(walk_ins)
    months = [(key, _int(count), _int(anon)) for key, count, anon in by_month]
    return {
        "total": _int(total), "people": people, "walk_ins": _int(walk_ins),
        "members": _int(members), "children": _int(children), "months": months,
        "tables": [
            Table("visits_by_month", _("Visits by month"),
                  [_("Month"), _("Visits"), _("Of which visitors without an account")],
                  [[_month_label(k), c, a] for k, c, a in months]),
            Table("visits_by_reason", _("Visits by reason"), [_("Reason"), _("Visits")],
                  [[str(REASON_LABELS.get(r, _("Not given"))), _int(c)] for r, c in by_reason]),
            Table("walk_ins_by_age", _("Visitors without an account by age group"),
                  [_("Age group"), _("Visits")],
                  [[str(AGE_GROUP_LABELS.get(a, _("Not given"))), _int(c)] for a, c in by_age],
                  anonymous_columns=(1,)),
            Table("walk_ins_by_commune", _("Visitors without an account by home town"),
                  [_("Home town"), _("Visits")],
                  [[c or _("Not given"), _int(n)] for c, n in by_commune],
                  anonymous_columns=(1,)),
        ],
    }


def _month_label(key: str) -> str:
    try:
        return format_date(date(int(key[:4]), int(key[5:7]), 1), "LLLL yyyy")
    except (TypeError, ValueError):
        return key or ""


def short_month_label(key: str) -> str:
    """"2026-09" → "sept. 2026" (chart axes)."""
    try:
        return format_date(date(int(key[:4]), int(key[5:7]), 1), "MMM yyyy")
    except (TypeError, ValueError):
        return key or ""


_FIRST = aliased(Membership)


def members_figures(period: Period) -> dict:
    """Members with a membership during the period (memberships belong to no site)."""
    overlapping = [Membership.starts_on <= period.end, Membership.ends_on >= period.start]
    # A member's first membership starts in the period: no earlier one exists.
    earlier = select(Membership.id).where(
        Membership.member_id == _FIRST.member_id, Membership.starts_on < _FIRST.starts_on)
    new = db.session.scalar(
        select(func.count(distinct(_FIRST.member_id))).where(
            _FIRST.starts_on >= period.start, _FIRST.starts_on <= period.end,
            ~earlier.exists()))
    by_tariff = db.session.execute(
        select(Tariff.code, Tariff.name, func.count(distinct(Membership.member_id)))
        .join(Membership, Membership.tariff_id == Tariff.id).where(*overlapping)
        .group_by(Tariff.id, Tariff.code, Tariff.name, Tariff.position)
        .order_by(Tariff.position, Tariff.name)).all()
    # Each member has one age group and one home town: the members counted once per
    # (age group, town) give the total and both breakdowns, summed here.
    member_ids = select(Membership.member_id).where(*overlapping).distinct().subquery()
    age = _age_group(User.birth_year, period.end.year)
    commune = func.coalesce(User.commune, "")
    groups = db.session.execute(
        select(age, commune, func.count(User.id))
        .join(member_ids, member_ids.c.member_id == User.id).group_by(age, commune)).all()
    members = sum(count for _age, _commune, count in groups)
    by_age_sum: dict[str, int] = {}
    by_commune_sum: dict[str, int] = {}
    for age_group, town, count in groups:
        by_age_sum[age_group] = by_age_sum.get(age_group, 0) + count
        by_commune_sum[town] = by_commune_sum.get(town, 0) + count
    by_age = sorted(by_age_sum.items())
    by_commune = sorted(by_commune_sum.items(), key=_towns_order)
    return {
        "members": _int(members), "new": _int(new),
        "tables": [
            Table("members_by_tariff", _("Members by tariff"), [_("Tariff"), _("Members")],
                  [[str(TARIFF_LABELS.get(code, name)), _int(n)] for code, name, n in by_tariff]),
            Table("members_by_age", _("Members by age group"), [_("Age group"), _("Members")],
                  [[str(AGE_GROUP_LABELS.get(a, _("Not given"))), _int(n)] for a, n in by_age],
                  anonymous_columns=(1,)),
            Table("members_by_commune", _("Members by home town"),
                  [_("Home town"), _("Members")],
                  [[c or _("Not given"), _int(n)] for c, n in by_commune],
                  anonymous_columns=(1,)),
        ],
    }


def machines_figures(period: Period) -> dict:
    slot_where = [OpenSlot.starts_at >= period.start_utc, OpenSlot.starts_at < period.end_utc,
                  OpenSlot.cancelled_at.is_(None)]
    if period.site is not None:
        slot_where.append(OpenSlot.site_id == period.site_id)
    offered = db.session.scalar(
        select(func.sum(_hours(OpenSlot.starts_at, OpenSlot.ends_at))).where(*slot_where))
    hours = _hours(Booking.starts_at, Booking.ends_at)
    used = Booking.checked_in_at.is_not(None)
    past = Booking.ends_at <= utcnow()
    machines = [Resource.kind == "machine"]
    if period.site is not None:
        machines.append(Resource.site_id == period.site_id)
    # Summed per machine over the bookings' covering index (ix_bookings_report, led by
    # the resource: each machine's bookings of the period in order, no sort of the
    # year), then named.
    per_resource = (
        select(Booking.resource_id.label("resource_id"), func.count(Booking.id).label("n"),
               func.sum(hours).label("booked"),
               func.sum(case((used, hours), else_=0)).label("used"),
               func.sum(case((past, 1), else_=0)).label("past"),
               func.sum(case((Booking.no_show.is_(True), 1), else_=0)).label("no_shows"))
        .where(Booking.resource_id.in_(select(Resource.id).where(*machines)),
               Booking.status == "confirmed", Booking.starts_at >= period.start_utc,
               Booking.starts_at < period.end_utc)
        .group_by(Booking.resource_id).subquery())
    rows = db.session.execute(
        select(Resource.name, per_resource.c.n, per_resource.c.booked, per_resource.c.used,
               per_resource.c.past, per_resource.c.no_shows)
        .join(per_resource, per_resource.c.resource_id == Resource.id).where(*machines)
        .order_by(Resource.name, Resource.id)).all()
    table_rows, totals = [], [0, 0.0, 0.0, 0, 0]
    for name, count, booked, used_hours, past_count, no_shows in rows:
        values = [_int(count), _float(booked), _float(used_hours), _int(past_count),
                  _int(no_shows)]
        totals = [a + b for a, b in zip(totals, values)]
        table_rows.append([name, values[0], values[1], values[2], values[4],
                           _rate(values[4], values[3])])
    if table_rows:
        table_rows.append([_("Total"), totals[0], _float(totals[1]), _float(totals[2]),
                           totals[4], _rate(totals[4], totals[3])])
    return {
        "offered_hours": _float(offered), "bookings": totals[0],
        "booked_hours": _float(totals[1]), "used_hours": _float(totals[2]),
        "no_shows": totals[4], "no_show_rate": _rate(totals[4], totals[3]),
        "tables": [Table("machine_hours", _("Machine hours"),
                         [_("Machine"), _("Bookings"), _("Hours booked"),
                          _("Hours used (checked in)"), _("No-shows"), _("No-show rate (%)")],
                         table_rows)],
    }


def events_figures(period: Period) -> dict:
    where = [Event.status == "published", Event.starts_at >= period.start_utc,
             Event.starts_at < period.end_utc]
    if period.site is not None:
        where.append(Event.site_id == period.site_id)
    # The registrations of the period's events only, summed per event.
    regs = (select(Registration.event_id,
                   func.sum(case((Registration.status == "confirmed", 1), else_=0))
                   .label("confirmed"),
                   func.sum(case((Registration.attended_at.is_not(None), 1), else_=0))
                   .label("attended"),
                   func.sum(case((Registration.promoted_at.is_not(None), 1), else_=0))
                   .label("promoted"))
            .where(Registration.event_id.in_(select(Event.id).where(*where)))
            .group_by(Registration.event_id).subquery())
    columns = (func.count(Event.id), func.sum(Event.capacity),
               func.sum(func.coalesce(regs.c.confirmed, 0)),
               func.sum(func.coalesce(regs.c.attended, 0)),
               func.sum(func.coalesce(regs.c.promoted, 0)))

    # One pass grouped by kind and audience; the totals and both breakdowns are sums.
    groups = db.session.execute(
        select(Event.kind, Event.audience, *columns)
        .outerjoin(regs, regs.c.event_id == Event.id).where(*where)
        .group_by(Event.kind, Event.audience)).all()

    def summed(position: int) -> list[tuple]:
        sums: dict[str, list[int]] = {}
        for group in groups:
            values = sums.setdefault(group[position], [0] * len(columns))
            for i, value in enumerate(group[2:]):
                values[i] += _int(value)
        return [(key, *values) for key, values in sorted(sums.items())]

    total = [sum(_int(group[2 + i]) for group in groups) for i in range(len(columns))]
    headers = [_("Events"), _("Seats offered"), _("Registrations"), _("Attendance"),
               _("Fill rate (%)"), _("Waiting-list promotions")]

    def row(label, values):
        count, seats, confirmed, attended, promoted = (_int(v) for v in values)
        return [label, count, seats, confirmed, attended, _rate(confirmed, seats), promoted]

    by_kind = [row(str(KIND_LABELS.get(k, k)), rest) for k, *rest in summed(0)]
    by_audience = [row(str(AUDIENCE_LABELS.get(a, a)), rest) for a, *rest in summed(1)]
    totals = row(_("Total"), total)
    return {
        "events": totals[1], "seats": totals[2], "registrations": totals[3],
        "attendance": totals[4], "fill_rate": totals[5], "promotions": totals[6],
        "audience_shares": [(r[0], r[4]) for r in by_audience],
        "tables": [
            Table("events_by_kind", _("Workshops and events by kind"), [_("Kind")] + headers,
                  by_kind + ([totals] if by_kind else [])),
            Table("events_by_audience", _("Workshops and events by audience"),
                  [_("Audience")] + headers, by_audience + ([totals] if by_audience else [])),
        ],
    }


def lending_figures(period: Period, today: date | None = None) -> dict:
    today = today or local_today()
    where = [Loan.checked_out_at >= period.start_utc, Loan.checked_out_at < period.end_utc]
    if period.site is not None:  # the item tells the site
        where.append(Loan.item_id.in_(select(Item.id).where(Item.site_id == period.site_id)))
    late = or_(and_(Loan.returned_at.is_not(None), _date_of(Loan.returned_at) > Loan.due_on),
               and_(Loan.returned_at.is_(None), Loan.due_on < today))
    totals = select(func.count(Loan.id), func.count(distinct(Loan.member_id)),
                    func.sum(case((late, 1), else_=0)))
    count, borrowers, late_count = db.session.execute(totals.where(*where)).one()
    # Loans counted per item from the covering index (ix_loans_report); only the items
    # counted are read, not one item per loan.
    per_item = (select(Loan.item_id, func.count(Loan.id).label("n")).where(*where)
                .group_by(Loan.item_id).subquery())
    top = db.session.execute(
        select(Item.code, Item.name, per_item.c.n)
        .join(per_item, per_item.c.item_id == Item.id)
        .order_by(per_item.c.n.desc(), Item.code).limit(10)).all()
    return {
        "loans": _int(count), "borrowers": _int(borrowers), "late": _int(late_count),
        "tables": [Table("most_borrowed", _("Most borrowed items"),
                         [_("Code"), _("Item"), _("Loans")],
                         [[code, name, _int(n)] for code, name, n in top])],
    }


def repair_figures(period: Period) -> repair.Impact:
    return repair.impact(period.start_utc, period.end_utc, site_id=period.site_id)


def projects_figures(period: Period) -> dict:
    """Projects documented (created) and published in the period, whatever their site."""
    created = db.session.scalar(select(func.count(Project.id)).where(
        Project.created_at >= period.start_utc, Project.created_at < period.end_utc))
    published = db.session.scalar(select(func.count(Project.id)).where(
        Project.published_at >= period.start_utc, Project.published_at < period.end_utc))
    return {"documented": _int(created), "published": _int(published)}


def volunteer_figures(period: Period) -> dict:
    """Animators' hours at the events of the period."""
    where = [Event.status == "published", Event.starts_at >= period.start_utc,
             Event.starts_at < period.end_utc]
    if period.site is not None:
        where.append(Event.site_id == period.site_id)
    hours, people, sessions = db.session.execute(
        select(func.sum(_hours(Event.starts_at, Event.ends_at)),
               func.count(distinct(event_animators.c.user_id)),
               func.count(distinct(Event.id)))
        .join(event_animators, event_animators.c.event_id == Event.id).where(*where)).one()
    return {"hours": _float(hours), "animators": _int(people), "events": _int(sessions)}


@dataclass
class Report:
    period: Period
    visits: dict
    members: dict
    machines: dict
    events: dict
    lending: dict
    repair: repair.Impact
    projects: dict
    volunteers: dict

    @property
    def tables(self) -> list[Table]:
        summary = Table("summary", _("Summary"), [_("Figure"), _("Value")], [
            [_("Visits"), self.visits["total"]],
            [_("Distinct people"), self.visits["people"]],
            [_("Visitors without an account"), self.visits["walk_ins"]],
            [_("Members"), self.members["members"]],
            [_("New members"), self.members["new"]],
            [_("Open-access hours offered"), self.machines["offered_hours"]],
            [_("Machine hours booked"), self.machines["booked_hours"]],
            [_("Machine hours used"), self.machines["used_hours"]],
            [_("No-show rate (%)"), self.machines["no_show_rate"]],
            [_("Workshops and events"), self.events["events"]],
            [_("Seats offered"), self.events["seats"]],
            [_("Registrations"), self.events["registrations"]],
            [_("Attendance"), self.events["attendance"]],
            [_("Fill rate (%)"), self.events["fill_rate"]],
            [_("Waiting-list promotions"), self.events["promotions"]],
            [_("Loans"), self.lending["loans"]],
            [_("Distinct borrowers"), self.lending["borrowers"]],
            [_("Late returns"), self.lending["late"]],
            [_("Repair café: items"), self.repair.items],
            [_("Repair café: fix rate (%)"), _rate(self.repair.fixed, self.repair.items)],
            [_("Repair café: kg of waste avoided"), round(self.repair.waste_kg, 2)],
            [_("Repair café: kg CO2e avoided"), round(self.repair.co2e_kg, 2)],
            [_("Projects documented"), self.projects["documented"]],
            [_("Projects published"), self.projects["published"]],
            [_("Volunteer hours (animators)"), self.volunteers["hours"]],
        ])
        return [summary] + self.visits["tables"] + self.members["tables"] + \
            self.machines["tables"] + self.events["tables"] + self.lending["tables"]

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def build_report(period: Period) -> Report:
    return Report(period=period, visits=visits_figures(period),
                  members=members_figures(period), machines=machines_figures(period),
                  events=events_figures(period), lending=lending_figures(period),
                  repair=repair_figures(period), projects=projects_figures(period),
                  volunteers=volunteer_figures(period))


def table_for(period: Period, key: str) -> Table | None:
    """One table for its CSV: only the figures it needs are counted."""
    source = TABLE_SOURCES.get(key)
    if source is None:
        return build_report(period).table(key)
    return next((t for t in source(period)["tables"] if t.key == key), None)


TABLE_SOURCES = {
    "visits_by_month": visits_figures, "visits_by_reason": visits_figures,
    "walk_ins_by_age": visits_figures, "walk_ins_by_commune": visits_figures,
    "members_by_tariff": members_figures, "members_by_age": members_figures,
    "members_by_commune": members_figures, "machine_hours": machines_figures,
    "events_by_kind": events_figures, "events_by_audience": events_figures,
    "most_borrowed": lending_figures,
}

TABLE_KEYS = ("summary", "visits_by_month", "visits_by_reason", "walk_ins_by_age",
              "walk_ins_by_commune", "members_by_tariff", "members_by_age",
              "members_by_commune", "machine_hours", "events_by_kind", "events_by_audience",
              "most_borrowed")
