"""The agenda pages (list by week, week and month grids) and every iCalendar
feed: the public one, a machine's, a member's personal one, and the single
"add to my calendar" files of an event and a booking."""

from __future__ import annotations

import calendar as pycalendar
from datetime import date, timedelta

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import BadRequest
from werkzeug.http import http_date, quote_etag

from fablab.agenda import bp, cache, ics, polls, services
from fablab.agenda.services import AGENDA_KINDS, OPEN_LAB, AgendaError
from fablab.booking.models import Booking
from fablab.core.sites import active_sites
from fablab.events.models import AUDIENCES
from fablab.events.services import event_by_slug
from fablab.extensions import db
from fablab.machines.services import resource_by_slug

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def bad_request(message: str):
    error = BadRequest()
    error.fablab_message = message
    raise error


def _filters() -> services.Filters:
    try:
        return services.parse_filters(request.args)
    except AgendaError as error:
        bad_request(error.message)


def _day_arg(name: str) -> date | None:
    try:
        return services.parse_date(request.args.get(name), name)
    except AgendaError as error:
        bad_request(error.message)


# --- pages ---------------------------------------------------------------------------------


def _page(view: str, first: date, last: date, **context):
    """Entries of [first, last] (local days) with the filters of the query string.

    An anonymous visitor's page comes from the rendered-page cache when the public
    validator (one aggregate query) has not changed since it was rendered (see
    fablab/agenda/cache.py); a logged-in member's page is always rendered."""
    filters = _filters()
    if not _anonymous_and_plain():
        return _render_page(view, first, last, filters, **context)
    validator = services.public_validator(filters)
    key = (request.full_path, validator.etag)
    rendered = cache.pages()
    html = rendered.get(key)
    if html is None:
        html = _render_page(view, first, last, filters,
                            csrf_token=lambda: cache.CSRF_MARK, **context)
        rendered.put(key, html)
    return html.replace(cache.CSRF_MARK, generate_csrf())


def _anonymous_and_plain() -> bool:
    """Nothing of this visitor's own on the page: not logged in, no message waiting."""
    return (cache.enabled() and not current_user.is_authenticated
            and not session.get("_flashes"))


def _render_page(view: str, first: date, last: date, filters: services.Filters, **context):
    start, end = services.local_midnight(first), services.local_midnight(last + timedelta(days=1))
    entries = services.public_entries(filters, start, end)
    by_day: dict[date, list[services.Entry]] = {}
    for entry in entries:
        by_day.setdefault(entry.day, []).append(entry)
    feed_args = filters.query_args()
    feed_url = current_app.config["BASE_URL"].rstrip("/") + url_for("agenda.public_feed",
                                                                      **feed_args)
    anchor = context["anchor"]
    view_links = [
        ("agenda.index", _("List"), url_for("agenda.index", week=anchor.isoformat(), **feed_args)),
        ("agenda.week", _("Week"), url_for("agenda.week", week=anchor.isoformat(), **feed_args)),
        ("agenda.month", _("Month"), url_for("agenda.month", month=anchor.strftime("%Y-%m"),
                                             **feed_args)),
    ]
    return render_template(
        f"agenda/{view}.html", view_links=view_links, view=view, entries=entries,
        by_day=by_day, first=first,
        last=last, filters=filters, filter_args=feed_args, sites=active_sites(),
        kinds=AGENDA_KINDS, audiences_list=AUDIENCES, open_lab=OPEN_LAB, feed_url=feed_url,
        webcal_url="webcal://" + feed_url.split("://", 1)[1],
        today=services.local_today(), **context)


@bp.route("/agenda")
def index():
    """The accessible list, one week per page."""
    monday = services.monday_of(_day_arg("week") or services.local_today())
    return _page("index", monday, monday + timedelta(days=6), anchor=monday,
                 previous=monday - timedelta(days=7), next=monday + timedelta(days=7))


@bp.route("/agenda/week")
def week():
    monday = services.monday_of(_day_arg("week") or services.local_today())
    days = [monday + timedelta(days=i) for i in range(7)]
    return _page("week", monday, days[-1], days=days, anchor=monday,
                 previous=monday - timedelta(days=7), next=monday + timedelta(days=7))


@bp.route("/agenda/month")
def month():
    try:
        first_of_month = services.parse_month(request.args.get("month"))
    except AgendaError as error:
        bad_request(error.message)
    length = pycalendar.monthrange(first_of_month.year, first_of_month.month)[1]
    last_of_month = first_of_month.replace(day=length)
    first = services.monday_of(first_of_month)
    last = services.monday_of(last_of_month) + timedelta(days=6)
    weeks = [[first + timedelta(days=7 * w + d) for d in range(7)]
             for w in range(((last - first).days + 1) // 7)]
    previous = (first_of_month - timedelta(days=1)).replace(day=1)
    following = last_of_month + timedelta(days=1)
    today = services.local_today()
    anchor = today if (today.year, today.month) == (first_of_month.year,
                                                     first_of_month.month) else first_of_month
    return _page("month", first, last, weeks=weeks, month_start=first_of_month, anchor=anchor,
                 previous=previous, next=following)


# --- feeds ---------------------------------------------------------------------------------


def feed_response(validator: services.Validator, build, filename: str,
                  private: bool = False) -> Response:
    """Answer 304 when the client's copy is current (the feed is NOT built),
    the feed otherwise, with ETag and Last-Modified."""
    # The headers are given as one list: a 304 is mostly this function, and Werkzeug's
    # per-header assignment is slow.
    headers = [("Content-Type", CALENDAR_TYPE), ("ETag", quote_etag(validator.etag)),
               ("Last-Modified", http_date(validator.last_modified)),
               ("Cache-Control", ("private" if private else "public")
                + ", max-age=0, must-revalidate"),
               ("Vary", "Accept-Language, Cookie"),
               ("Content-Disposition", f'inline; filename="{filename}"')]
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(validator.etag)  # RFC 9110: weak match
    else:
        since = request.if_modified_since
        fresh = since is not None and validator.last_modified <= since
    if fresh:
        return Response(status=304, headers=headers)
    response = Response(headers=headers)
    if private or not cache.enabled():
        response.set_data(build())
        return response
    # A public feed's body depends on nothing but what its ETag covers: built once
    # per ETag and worker (fablab/agenda/cache.py).
    body = cache.feeds().get(validator.etag)
    if body is None:
        body = build()
        cache.feeds().put(validator.etag, body)
    response.set_data(body)
    return response


@bp.route("/agenda.ics")
def public_feed():
    filters = _filters()
    validator = services.public_validator(filters)
    if cache.enabled():
        polls.remember(request.environ, cache.public_row(), validator.row, validator.etag)

    def build() -> bytes:
        start, end = services.feed_window()
        entries = services.public_entries(filters, start, end)
        return ics.calendar(entries, current_app.config["LAB_NAME"] + " · " + _("Agenda"),
                            _("Workshops, events and open-lab hours"))

    return feed_response(validator, build, "agenda.ics")


@bp.route("/machines/<slug>.ics")
def machine_feed(slug: str):
    resource = resource_by_slug(slug)
    if resource is None or not resource.active:
        abort(404)
    validator = services.machine_validator(resource)

    def build() -> bytes:
        start, end = services.feed_window()
        return ics.calendar(services.machine_entries(resource, start, end),
                            f"{current_app.config['LAB_NAME']} · {resource.name}",
                            _("Open-lab hours and booked times of %(name)s", name=resource.name))

    return feed_response(validator, build, f"{resource.slug}.ics")


@bp.route("/calendar/<token>.ics")
def personal_feed(token: str):
    user = services.user_by_token(token)
    if user is None:
        abort(404)  # unknown, regenerated or revoked: no hint that it existed
    with force_locale(user.locale):
        validator = services.personal_validator(user)

        def build() -> bytes:
            with force_locale(user.locale):
                start, end = services.feed_window()
                return ics.calendar(services.personal_entries(user, start, end),
                                    f"{current_app.config['LAB_NAME']} · " + _("My calendar"))

        response = feed_response(validator, build, "calendar.ics", private=True)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _download(entry: services.Entry, filename: str) -> Response:
    body = ics.single(entry, current_app.config["LAB_NAME"])
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = CALENDAR_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/events/<slug>.ics")
def event_ics(slug: str):
    event = event_by_slug(slug)
    if event is None or event.status == "draft":
        abort(404)
    entry = services.event_entry(event, services._Labels(), services.uid_host())
    return _download(entry, f"{event.slug}.ics")


@bp.route("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    booking = db.get_or_404(Booking, booking_id)
    if booking.member_id != current_user.id and not current_user.is_staff:
        abort(404)
    entry = services.booking_entry(booking, services._Labels(), services.uid_host())
    return _download(entry, f"booking-{booking.id}.ics")


@bp.route("/account/calendar", methods=["POST"])
@login_required
def regenerate_token():
    had_one = services.feed_of(current_user) is not None
    services.regenerate_token(current_user)
    db.session.commit()
    flash(_("Your new calendar address is ready: the previous one no longer works.")
          if had_one else _("Your calendar address is ready."), "success")
    return redirect(url_for("accounts.account") + "#calendar-feed")


@bp.app_context_processor
def feed_helpers():
    def personal_feed_urls():
        """(https URL, webcal URL) of the current user's feed, or None."""
        if not current_user.is_authenticated:
            return None
        feed = services.feed_of(current_user)
        if feed is None:
            return None
        url = current_app.config["BASE_URL"].rstrip("/") + url_for("agenda.personal_feed",
                                                                    token=feed.token)
        return url, "webcal://" + url.split("://", 1)[1]

    return {"personal_feed_urls": personal_feed_urls}
