"""Booking pages: a member's bookings, booking a resource, and the staff's
slots, closures, day view, check-in and room requests."""

from __future__ import annotations

from datetime import date, time, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from fablab.accounts.models import User
from fablab.accounts.services import member_by_email_or_card
from fablab.booking import bp, services
from fablab.booking.forms import (BookingForm, ClosureForm, DecisionForm, ReasonForm, SeriesForm,
                                  SlotForm)
from fablab.booking.models import Booking, OpenSlot
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, flash_form_errors, id_arg, safe_next, show_error
from fablab.core.models import Closure, Site
from fablab.core.permissions import staff_required
from fablab.core.sites import active_sites
from fablab.core.templating import PagePart
from fablab.core.timeutil import local_today, parse_day, utcnow
from fablab.extensions import db
from fablab.machines.services import grants_of_member, has_valid_training, resource_by_slug
from fablab.memberships.services import active_membership


# --- the machine page's booking form and free times ---------------------------------------------


def machine_page_parts(resource, **_kwargs) -> list[PagePart]:
    """Receiver of ``machines.signals.machine_page``: the booking form and the free times
    of the seven days from ``week`` (today by default), the form filled in from the
    chosen free time (``day``, ``start``, ``end``)."""
    monday = parse_day(request.args.get("week")) or local_today()
    form = booking_form_for(resource, BookingForm(formdata=None)) \
        if current_user.is_authenticated else None
    if form is not None:
        form.day.data = parse_day(request.args.get("day"))
        _prefill_times(form)
    return [
        PagePart("book", 40, Markup(render_template(
            "booking/_machine_book.html", resource=resource, form=form,
            can_book=_can_book_hint(resource)))),
        PagePart("week", 40, Markup(render_template(
            "booking/_machine_week.html", resource=resource, monday=monday,
            week=week_segments(resource, monday)))),
    ]


def member_page_parts(member, **_kwargs) -> list[PagePart]:
    """Receiver of ``accounts.signals.member_page``: the member's upcoming bookings."""
    return [PagePart("side", 40, Markup(render_template(
        "booking/_member_part.html", bookings=services.bookings_of_member(member),
        blocked_until=services.no_show_block_until(member))))]


def _prefill_times(form) -> None:
    for name in ("start", "end"):
        try:
            getattr(form, name).data = time.fromisoformat(request.args.get(name, ""))
        except ValueError:
            pass


def _can_book_hint(resource) -> str | None:
    """Why the member cannot book, shown before they try (the server checks again)."""
    if not current_user.is_authenticated:
        return None
    if not resource.is_bookable:
        return _("This resource cannot be booked at the moment.")
    if current_user.is_staff:
        return None  # staff book for members: the rules are checked for the member
    if active_membership(current_user) is None:
        return _("An active membership is needed to book: come and join at the desk.")
    if not has_valid_training(current_user, resource.training_id):
        return _("You need the training “%(training)s” to book this machine. Ask the staff "
                 "for a training session.", training=resource.training.name)
    return None


def booking_form_for(resource, form: BookingForm) -> BookingForm:
    choices = [(0, _("Myself"))]
    if current_user.is_authenticated:
        choices += [(link.organisation_id, link.organisation.name)
                    for link in current_user.organisation_links]
    form.organisation_id.choices = choices
    return form


def week_segments(resource, monday: date):
    """Each day of the week with its runs of free, booked and past time."""
    days = []
    for day, slots, cells in services.week_grid(resource, monday):
        runs: list[dict] = []
        for cell in cells:
            last = runs[-1] if runs else None
            # A run goes on only with the same state and no gap (two slots a day).
            if last and last["state"] == cell.state and last["ends_at"] == cell.starts_at:
                last["ends_at"] = cell.ends_at
            else:
                runs.append({"state": cell.state, "starts_at": cell.starts_at,
                             "ends_at": cell.ends_at})
        days.append({"day": day, "slots": slots, "runs": runs})
    return days


def _site_choices(form_field) -> list[Site]:
    sites = db.session.scalars(select(Site).where(Site.is_active.is_(True)).order_by(Site.id)).all()
    form_field.choices = [(s.id, s.name) for s in sites]
    return sites


def _staff_choices(form_field) -> None:
    staff = db.session.scalars(select(User).where(User.role.in_(("staff", "admin")),
                                                  User.active.is_(True)).order_by(User.name)).all()
    form_field.choices = [(0, "—")] + [(u.id, u.name) for u in staff]


def _site_or_default(site_id: int | None) -> Site:
    site = db.session.get(Site, site_id) if site_id else None
    if site is None:
        sites = active_sites()
        if not sites:
            abort(404)
        site = sites[0]
    return site


# --- members -----------------------------------------------------------------------------------


@bp.route("/account/bookings")
@login_required
def my_bookings():
    return render_template(
        "booking/my_bookings.html",
        upcoming=services.bookings_of_member(current_user),
        past=services.bookings_of_member(current_user, upcoming=False),
        grants=grants_of_member(current_user), now=utcnow(),
        can_cancel=lambda b: services.can_cancel(b, current_user),
        blocked_until=services.no_show_block_until(current_user),
        deadline_hours=current_app.config["BOOKING_CANCEL_DEADLINE_HOURS"],
        form=ReasonForm(),
    )


@bp.route("/machines/<slug>/book", methods=["POST"])
@login_required
def book(slug: str):
    resource = resource_by_slug(slug)
    if resource is None or not resource.active:
        abort(404)
    form = booking_form_for(resource, BookingForm())
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back_to_resource(resource)
    member = current_user
    if current_user.is_staff and form.member.data:
        member = member_by_email_or_card(form.member.data)
        if member is None:
            flash(_("No member has this e-mail address or card code."), "danger")
            return _back_to_resource(resource)
        form.organisation_id.data = 0  # staff's own organisations are not the member's
    zone = services.site_zone(resource.site)
    request_ = services.BookingRequest(
        resource=resource, member=member,
        starts_at=services.local_to_utc(form.day.data, form.start.data, zone),
        ends_at=services.local_to_utc(form.day.data, form.end.data, zone),
        by=current_user if member.id != current_user.id or current_user.is_staff else None,
        organisation_id=form.organisation_id.data or None, purpose=form.purpose.data or "",
        override=bool(form.override.data))
    if not commit_or_refuse(lambda: services.book(request_), lambda booking: (
            _("Your request is sent: the staff will answer by e-mail.")
            if booking.status == "pending" else
            _("Booked: %(name)s on %(day)s from %(start)s to %(end)s.", name=resource.name,
              day=format_date(form.day.data, "full"), start=form.start.data.strftime("%H:%M"),
              end=form.end.data.strftime("%H:%M")))):
        return _back_to_resource(resource, form.day.data, form)
    if member.id != current_user.id:
        return redirect(url_for("booking.day", site=resource.site_id,
                                date=form.day.data.isoformat()))
    return redirect(url_for("booking.my_bookings"))


def _back_to_resource(resource, day: date | None = None, form: BookingForm | None = None):
    """Back to the machine page, with the form as the member filled it."""
    params = {"slug": resource.slug}
    if day:
        params.update(week=day.isoformat(), day=day.isoformat())
    if form is not None and form.start.data and form.end.data:
        params.update(start=form.start.data.strftime("%H:%M"), end=form.end.data.strftime("%H:%M"))
    return redirect(url_for("machines.detail", **params) + "#book")


def _booking_or_404(booking_id: int) -> Booking:
    booking = db.get_or_404(Booking, booking_id)
    if booking.member_id != current_user.id and not current_user.is_staff:
        abort(404)  # someone else's booking: do not even confirm it exists
    return booking


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel(booking_id: int):
    booking = _booking_or_404(booking_id)
    form = ReasonForm()
    commit_or_refuse(lambda: services.cancel(booking, current_user, form.reason.data or ""),
                     lambda _done: _("The booking is cancelled."))
    if current_user.is_staff and booking.member_id != current_user.id:
        return redirect(request.referrer and _local(request.referrer)
                        or url_for("booking.day"))
    return redirect(url_for("booking.my_bookings"))


def _local(url: str) -> str | None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path, "") or None


# --- staff: the day --------------------------------------------------------------------------


@bp.route("/bookings/day")
@staff_required
def day():
    site = _site_or_default(id_arg("site"))
    the_day = parse_day(request.args.get("date"))
    if the_day is None:
        if request.args.get("date"):
            flash(_("This date is not valid."), "danger")
        the_day = local_today()
    slots, bookings = services.day_view(site, the_day)
    return render_template("booking/day.html", site=site, day=the_day, slots=slots,
                           bookings=bookings, sites=active_sites(),
                           requests=services.pending_requests(site.id),
                           decision_form=DecisionForm(), reason_form=ReasonForm(), now=utcnow(),
                           can_check_in=services.can_check_in,
                           previous=the_day - timedelta(days=1), next=the_day + timedelta(days=1))


@bp.route("/bookings/<int:booking_id>/check-in", methods=["POST"])
@staff_required
def check_in(booking_id: int):
    booking = db.get_or_404(Booking, booking_id)
    commit_or_refuse(lambda: services.check_in(booking, current_user),
                     lambda _done: _("%(name)s has arrived.", name=booking.member.name))
    return _back_to_day(booking)


@bp.route("/bookings/<int:booking_id>/decide", methods=["POST"])
@staff_required
def decide(booking_id: int):
    booking = db.get_or_404(Booking, booking_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back_to_day(booking)
    commit_or_refuse(lambda: services.decide(booking, current_user,
                                             form.decision.data == "accept", form.reason.data),
                     lambda _done: _("The answer is sent to the member."))
    return _back_to_day(booking)


def _back_to_day(booking: Booking):
    zone = services.site_zone(booking.resource.site)
    return redirect(url_for("booking.day", site=booking.resource.site_id,
                            date=booking.starts_at.astimezone(zone).date().isoformat()))


# --- staff: slots and closures ------------------------------------------------------------------


@bp.route("/slots")
@staff_required
def slots():
    now = utcnow()
    upcoming = services.slots_between(None, now, now + timedelta(days=60), include_cancelled=True)
    closures = db.session.scalars(select(Closure).where(Closure.last_day >= local_today())
                                  .order_by(Closure.first_day)).all()
    return render_template("booking/slots.html", slots=upcoming, closures=closures,
                           form=ReasonForm(), multi_site=len(active_sites()) > 1)


@bp.route("/slots/new", methods=["GET", "POST"])
@staff_required
def create_slot():
    form = SlotForm()
    sites = _site_choices(form.site_id)
    _staff_choices(form.staff_id)
    if form.validate_on_submit():
        site = db.session.get(Site, form.site_id.data)
        zone = services.site_zone(site)
        if commit_or_refuse(
                lambda: services.create_slot(
                    current_user, site,
                    services.local_to_utc(form.day.data, form.start_time.data, zone),
                    services.local_to_utc(form.day.data, form.end_time.data, zone),
                    form.capacity.data, form.staff_id.data or None, form.note.data),
                lambda _slot: _("The slot is open."),
                refused=lambda error: show_error(form, _field_for_slot(error))):
            return redirect(url_for("booking.slots"))
    return render_template("booking/slot_form.html", form=form, single_site=len(sites) == 1,
                           title=_("Open a slot"))


def _field_for_slot(error: DomainError) -> DomainError:
    mapping = {"starts_at": "day", "ends_at": "end_time"}
    return DomainError(error.message, mapping.get(error.field, error.field))


@bp.route("/slots/series/new", methods=["GET", "POST"])
@staff_required
def create_series():
    form = SeriesForm()
    sites = _site_choices(form.site_id)
    _staff_choices(form.staff_id)
    if form.validate_on_submit():
        site = db.session.get(Site, form.site_id.data)
        if commit_or_refuse(
                lambda: services.create_series(
                    current_user, site, form.weekdays.data, form.start_time.data,
                    form.end_time.data, form.first_day.data, form.last_day.data,
                    form.capacity.data, form.staff_id.data or None, form.note.data),
                lambda done: ngettext("%(num)d slot is open.", "%(num)d slots are open.",
                                      done[1]),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("booking.slots"))
    return render_template("booking/slot_form.html", form=form, single_site=len(sites) == 1,
                           title=_("Open a weekly series of slots"))


@bp.route("/slots/<int:slot_id>/cancel", methods=["POST"])
@staff_required
def cancel_slot(slot_id: int):
    slot = db.get_or_404(OpenSlot, slot_id)
    form = ReasonForm()
    commit_or_refuse(
        lambda: services.cancel_slot(current_user, slot, form.reason.data or ""),
        lambda count: ngettext(
            "The slot is cancelled; %(num)d booking cancelled and its member told.",
            "The slot is cancelled; %(num)d bookings cancelled and their members told.", count))
    return redirect(url_for("booking.slots"))


@bp.route("/closures/new", methods=["GET", "POST"])
@staff_required
def create_closure():
    form = ClosureForm()
    sites = _site_choices(form.site_id)
    if form.validate_on_submit():
        site = db.session.get(Site, form.site_id.data)
        if commit_or_refuse(
                lambda: services.add_closure(current_user, site, form.first_day.data,
                                             form.last_day.data, form.reason.data),
                lambda done: ngettext("The closure is recorded; %(num)d slot cancelled.",
                                      "The closure is recorded; %(num)d slots cancelled.",
                                      done[1]),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("booking.slots"))
    return render_template("booking/slot_form.html", form=form, single_site=len(sites) == 1,
                           title=_("Close a site"))


