"""Event pages: the list, an event with its registration form, a member's
registrations; staff create, edit, publish and cancel events and series, see
the registration list and mark attendance."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from fablab.accounts.models import User
from fablab.accounts.services import member_by_email_or_card
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, id_arg, page_arg, show_error
from fablab.core.models import Site
from fablab.core.permissions import staff_required
from fablab.core.sites import active_sites
from fablab.core.storage import save_image
from fablab.core.timeutil import local_today, utcnow
from fablab.events import bp, repair, services
from fablab.events.forms import (EventForm, ParticipantsForm, ReasonForm, RepairCorrectionForm,
                                 RepairItemForm, SeriesForm)
from fablab.events.models import AUDIENCES, EVENT_KINDS, Event, EventSeries, Registration
from fablab.extensions import db
from fablab.machines.models import Resource
from fablab.machines.services import list_trainings
from fablab.memberships.forms import price_data, with_price_fields
from fablab.memberships.services import list_tariffs


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


def get_event_or_404(slug: str) -> Event:
    event = services.event_by_slug(slug)
    if event is None or (event.status == "draft" and not _is_staff()):
        abort(404)  # a draft's address answers as if it did not exist
    return event


@bp.route("/events")
def index():
    kind = request.args.get("kind", "")
    audience = request.args.get("audience", "")
    site_id = id_arg("site")
    page = page_arg()
    events = services.upcoming_events(kind=kind if kind in EVENT_KINDS else None,
                                      audience=audience if audience in AUDIENCES else None,
                                      site_id=site_id, include_drafts=_is_staff(),
                                      limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    has_next, events = len(events) > PAGE_SIZE, events[:PAGE_SIZE]
    return render_template("events/index.html", events=events, kind=kind, audience=audience,
                           site_id=site_id, sites=active_sites(), page=page, has_next=has_next,
                           counts=services.seat_counts([e.id for e in events]))


PAGE_SIZE = 20


def participants_form(event: Event | None, formdata=None,
                      taken: set[str] | None = None) -> ParticipantsForm:
    """The member and their children, less those already registered. Someone whose
    age does not fit stays in the list: the refusal then says why."""
    form = ParticipantsForm(formdata=formdata) if formdata is not None else ParticipantsForm()
    people = [("me", _("Me (%(name)s)", name=current_user.name),
               services.Participant(current_user))]
    people += [(str(child.id), child.first_name, services.Participant(current_user, child))
               for child in current_user.children]
    form.participants.choices = [
        (value, label) for value, label, participant in people
        if participant.key not in (taken or set())]
    return form


@bp.route("/events/<slug>")
def detail(slug: str):
    event = get_event_or_404(slug)
    counts = services.seat_counts([event.id])[event.id]
    mine = []
    form = None
    if current_user.is_authenticated:
        mine = [r for r in services.registrations_of_member(current_user)
                if r.event_id == event.id and r.is_live]
        form = participants_form(event, taken={r.participant_key for r in mine})
    return render_template(
        "events/detail.html", event=event, counts=counts, form=form, mine=mine,
        window=services.registration_window(event), now=_now(),
        can_cancel=lambda r: services.can_cancel(r, current_user),
        cancel_form=ReasonForm(), enrol=event.series and event.series.allows_enrolment)


def _now():
    return utcnow()


def _participants(form: ParticipantsForm) -> list[services.Participant]:
    children = {str(child.id): child for child in current_user.children}
    chosen = []
    for value in form.participants.data or []:
        if value == "me":
            chosen.append(services.Participant(current_user))
        elif value in children:
            chosen.append(services.Participant(current_user, children[value]))
    return chosen


@bp.route("/events/<slug>/register", methods=["POST"])
@login_required
def register(slug: str):
    event = get_event_or_404(slug)
    form = participants_form(event, request.form)
    chosen = _participants(form) if form.validate_on_submit() else []
    if not chosen:
        flash(_("Please choose who takes part."), "danger")
        return redirect(url_for("events.detail", slug=event.slug) + "#register")
    for participant in chosen:
        try:
            registration = services.register(event, participant)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            continue
        db.session.commit()
        if registration.status == "confirmed":
            flash(_("%(name)s is registered.", name=participant.name), "success")
        else:
            flash(_("The event is full: %(name)s is on the waiting list and will be told by "
                    "e-mail if a seat frees up.", name=participant.name), "info")
    return redirect(url_for("events.detail", slug=event.slug) + "#register")


@bp.route("/events/series/<int:series_id>/enrol", methods=["POST"])
@login_required
def enrol(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    form = participants_form(None, request.form)
    chosen = _participants(form) if form.validate_on_submit() else []
    if not chosen:
        flash(_("Please choose who takes part."), "danger")
    for participant in chosen:  # each one committed, or refused, before the next
        commit_or_refuse(
            lambda: services.enrol(series, participant),
            lambda done: _("%(name)s is enrolled: %(seats)d session(s) confirmed, %(waiting)d "
                           "on the waiting list.", name=participant.name, seats=done[0],
                           waiting=done[1]))
    upcoming = [e for e in series.events if e.is_published and e.starts_at > _now()]
    return redirect(url_for("events.detail", slug=upcoming[0].slug) if upcoming
                    else url_for("events.my_registrations"))


@bp.route("/registrations/<int:registration_id>/cancel", methods=["POST"])
@login_required
def cancel_registration(registration_id: int):
    registration = db.get_or_404(Registration, registration_id)
    if registration.member_id != current_user.id and not current_user.is_staff:
        abort(404)
    commit_or_refuse(lambda: services.cancel_registration(registration, current_user),
                     lambda _done: _("The registration of %(name)s is cancelled.",
                                     name=registration.participant_name))
    if current_user.is_staff and registration.member_id != current_user.id:
        return redirect(url_for("events.registrations", slug=registration.event.slug))
    return redirect(request.form.get("back") == "account"
                    and url_for("events.my_registrations")
                    or url_for("events.detail", slug=registration.event.slug))


@bp.route("/account/registrations")
@login_required
def my_registrations():
    return render_template(
        "events/my_registrations.html",
        upcoming=services.registrations_of_member(current_user),
        past=services.registrations_of_member(current_user, upcoming=False),
        can_cancel=lambda r: services.can_cancel(r, current_user))


# --- staff --------------------------------------------------------------------------------------


def _event_form(form: EventForm, event: Event | None) -> EventForm:
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    form.site_id.choices = [(s.id, s.name) for s in sites]
    rooms = db.session.scalars(select(Resource).where(Resource.kind == "room",
                                                      Resource.active.is_(True))).all()
    form.room_id.choices = [(0, "—")] + [(r.id, r.name) for r in rooms]
    staff = db.session.scalars(select(User).where(User.active.is_(True),
                                                  User.anonymised_at.is_(None),
                                                  User.role.in_(("staff", "admin")))
                               .order_by(User.name)).all()
    volunteers = [u for u in (event.animators if event else []) if u not in staff]
    form.animator_ids.choices = [(u.id, u.name) for u in staff + volunteers]
    form.training_ids.choices = [(t.id, t.name) for t in list_trainings()]
    if event is not None and not form.is_submitted():
        zone = services.zone_of(event)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = getattr(event, name)
            getattr(form, name).data = value.astimezone(zone).replace(tzinfo=None) if value else None
        form.room_id.data = event.room_id or 0
        form.animator_ids.data = [u.id for u in event.animators]
        form.training_ids.data = [t.id for t in event.trainings]
    return form


def _volunteer_ids(form: EventForm) -> list[int]:
    """Members named in the volunteers field, by e-mail or card code."""
    ids = []
    for value in (form.volunteers.data or "").split(","):
        if value.strip():
            member = member_by_email_or_card(value)
            if member is None:
                raise DomainError(_("No member has this e-mail address or card code: %(value)s",
                                    value=value.strip()), "volunteers")
            ids.append(member.id)
    return ids


def _fields(form: EventForm) -> dict:
    site = db.session.get(Site, form.site_id.data)
    zone = ZoneInfo(site.timezone if site else "Europe/Paris")

    def aware(value: datetime | None):
        return value.replace(tzinfo=zone) if value else None

    return {
        "site_id": form.site_id.data, "room_id": form.room_id.data or None,
        "kind": form.kind.data, "audience": form.audience.data, "min_age": form.min_age.data,
        "max_age": form.max_age.data, "title": form.title.data, "summary": form.summary.data or "",
        "description": form.description.data or "", "capacity": form.capacity.data,
        "requires_membership": form.requires_membership.data,
        "starts_at": aware(getattr(form, "starts_at", None) and form.starts_at.data),
        "ends_at": aware(getattr(form, "ends_at", None) and form.ends_at.data),
        "registration_opens_at": aware(form.registration_opens_at.data),
        "registration_closes_at": aware(form.registration_closes_at.data),
    }


@bp.route("/events/new", methods=["GET", "POST"])
@staff_required
def create():
    return _edit(None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@staff_required
def edit(slug: str):
    return _edit(get_event_or_404(slug))


def _edit(event: Event | None):
    from decimal import Decimal

    tariffs = list_tariffs(only_active=True)
    form_class = with_price_fields(EventForm, tariffs,
                                   lambda name: _l("Price, %(tariff)s tariff (€)", tariff=name))
    form = _event_form(form_class(obj=event), event)
    if event is None or event.series_id is None:
        del form.scope  # "this and the following ones" only means something in a series
    if event is not None and not form.is_submitted():
        current = {p.tariff_id: p.price_cents for p in event.prices}
        for tariff in tariffs:
            cents = current.get(tariff.id)
            getattr(form, f"price_{tariff.id}").data = None if cents is None else Decimal(cents) / 100
    if form.validate_on_submit():
        fields = _fields(form)
        prices = price_data(form, tariffs)
        try:
            form.animator_ids.data = (form.animator_ids.data or []) + _volunteer_ids(form)
            if form.image.data:
                fields["image"] = save_image(form.image.data.stream, "image")
            if event is not None and "scope" in form and form.scope.data == "following":
                count = services.update_following(
                    current_user, event, animator_ids=form.animator_ids.data,
                    training_ids=form.training_ids.data, **fields)
                flash(ngettext("%(num)d event is saved.", "%(num)d events are saved.", count),
                      "success")
            else:
                event = services.save_event(current_user, event,
                                            animator_ids=form.animator_ids.data,
                                            training_ids=form.training_ids.data, **fields)
                services.set_prices(event, prices)
                flash(_("The event is saved."), "success")
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("events.detail", slug=event.slug))
    return render_template("events/form.html", form=form, event=event)


@bp.route("/events/series/new", methods=["GET", "POST"])
@staff_required
def create_series():
    form = SeriesForm()
    del form.starts_at, form.ends_at, form.scope
    _event_form(form, None)
    if form.validate_on_submit():
        fields = _fields(form)
        for key in ("starts_at", "ends_at", "site_id"):
            fields.pop(key)
        site = db.session.get(Site, form.site_id.data)
        try:
            fields["animator_ids"] = (form.animator_ids.data or []) + _volunteer_ids(form)
            fields["training_ids"] = form.training_ids.data or []
            series, count = services.create_series(
                current_user, site, fields, form.rule.data, form.weekday.data, form.nth.data,
                form.start_time.data, form.end_time.data, form.first_day.data,
                form.last_day.data, form.allows_enrolment.data, form.publish_now.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(ngettext("%(num)d session is created.", "%(num)d sessions are created.",
                           count), "success")
            return redirect(url_for("events.index"))
    return render_template("events/form.html", form=form, event=None, series=True)


@bp.route("/events/<slug>/publish", methods=["POST"])
@staff_required
def publish(slug: str):
    event = get_event_or_404(slug)
    commit_or_refuse(lambda: services.publish(current_user, event),
                     lambda _done: _("The event is published."))
    return redirect(url_for("events.detail", slug=event.slug))


@bp.route("/events/<slug>/cancel", methods=["POST"])
@staff_required
def cancel(slug: str):
    event = get_event_or_404(slug)
    form = ReasonForm()
    commit_or_refuse(lambda: services.cancel_event(current_user, event, form.reason.data or ""),
                     lambda count: ngettext("The event is cancelled; %(num)d person told.",
                                            "The event is cancelled; %(num)d people told.",
                                            count))
    return redirect(url_for("events.detail", slug=event.slug))


@bp.route("/events/<slug>/registrations")
@staff_required
def registrations(slug: str):
    event = get_event_or_404(slug)
    return render_template("events/registrations.html", event=event,
                           registrations=services.registrations_of(
                               event, live_only=event.status != "cancelled"),
                           counts=services.seat_counts([event.id])[event.id])


@bp.route("/registrations/<int:registration_id>/attend", methods=["POST"])
@staff_required
def attend(registration_id: int):
    registration = db.get_or_404(Registration, registration_id)
    attended = request.form.get("attended", "1") == "1"
    try:
        services.set_attendance(current_user, registration, attended)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
    return redirect(url_for("events.registrations", slug=registration.event.slug))




# --- repair café ---------------------------------------------------------------------------------


@bp.route("/repair-cafe")
def repair_cafe():
    from flask import current_app

    zone = ZoneInfo(current_app.config["TIMEZONE"])
    year_start = datetime(local_today().year, 1, 1, tzinfo=zone)
    return render_template("events/repair_cafe.html", total=repair.impact(),
                           this_year=repair.impact(start=year_start),
                           by_event=repair.impact_by_event(),
                           next_events=services.upcoming_events(kind="repair_cafe", limit=3))


@bp.route("/repair-cafe/items.csv")
def repair_items_csv():
    from flask import Response

    return Response(repair.items_csv(), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="repair-cafe-items.csv"'})


def _repair_form(event: Event, item=None):
    """The log form, or the correction form of ``item`` (filled with it on a GET)."""
    if item is None:
        form = RepairItemForm()
    else:
        form = RepairCorrectionForm(data={
            "category_id": item.category_id, "brand": item.brand, "model": item.model,
            "year_of_manufacture": item.year_of_manufacture, "weight_kg": item.weight_kg,
            "problem": item.problem, "outcome": item.outcome, "barrier": item.barrier or "",
            "owner": item.owner.email if item.owner else "",
            "owner_first_name": item.owner_first_name, "repairer_id": item.repairer_id or 0,
            "notes": item.notes})
    categories = repair.categories()
    if item is not None and item.category not in categories:
        categories.append(item.category)  # retired since, still its category
    form.category_id.choices = [(c.id, c.name) for c in categories]
    form.outcome.choices = list(repair.OUTCOME_LABELS.items())
    form.barrier.choices = [("", "—")] + list(repair.BARRIER_LABELS.items())
    helpers = db.session.scalars(select(User).where(User.active.is_(True),
                                                    User.role.in_(("staff", "admin")))).all()
    people = {u.id: u for u in helpers + list(event.animators)}
    if item is not None and item.repairer is not None:
        people[item.repairer.id] = item.repairer
    form.repairer_id.choices = [(0, "—")] + [(u.id, u.name) for u in
                                             sorted(people.values(), key=lambda u: u.name)]
    return form


def _repair_entry(form):
    return repair.RepairEntry(
        category_id=form.category_id.data, outcome=form.outcome.data,
        barrier=form.barrier.data or None, owner=form.owner.data or "",
        owner_first_name=form.owner_first_name.data or "", brand=form.brand.data or "",
        model=form.model.data or "", problem=form.problem.data or "",
        repairer_id=form.repairer_id.data or None, notes=form.notes.data or "",
        year_of_manufacture=form.year_of_manufacture.data, weight_kg=form.weight_kg.data)


@bp.route("/events/<slug>/repairs", methods=["GET", "POST"])
@staff_required
def repairs(slug: str):
    event = get_event_or_404(slug)
    form = _repair_form(event)
    if form.validate_on_submit() and commit_or_refuse(
            lambda: repair.record_item(current_user, event, _repair_entry(form)),
            lambda item: _("The object is logged."),
            refused=lambda error: show_error(form, error)):
        return redirect(url_for("events.repairs", slug=event.slug))
    return render_template("events/repairs.html", event=event, form=form,
                           items=repair.items_of(event), impact=repair.impact(event_id=event.id),
                           outcomes=repair.OUTCOME_LABELS, barriers=repair.BARRIER_LABELS)


@bp.route("/events/<slug>/repairs/<int:repair_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_repair(slug: str, repair_id: int):
    event = get_event_or_404(slug)
    item = repair.item_of(event, repair_id)
    if item is None:
        abort(404)
    form = _repair_form(event, item)
    if form.validate_on_submit() and commit_or_refuse(
            lambda: repair.correct_item(current_user, item, _repair_entry(form)),
            lambda item: _("The correction is saved."),
            refused=lambda error: show_error(form, error)):
        return redirect(url_for("events.repairs", slug=event.slug))
    return render_template("events/repair_form.html", event=event, item=item, form=form)
