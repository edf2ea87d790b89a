"""The desk's today screen, the scan station, the /q/ resolver behind every QR code,
QR images and member cards."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from fablab.accounts.models import Organisation, User
from fablab.booking import services as booking_services
from fablab.booking.models import Booking
from fablab.booking.services import can_check_in
from fablab.core import qr
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, id_arg
from fablab.core.mail import outbox_health
from fablab.core.models import Site
from fablab.core.permissions import staff_required
from fablab.core.sites import active_sites
from fablab.core.timeutil import utcnow
from fablab.desk import bp, services, today
from fablab.desk.forms import WalkInForm
from fablab.desk.visits import record_walk_in, site_day
from fablab.events import services as event_services
from fablab.events.models import Registration
from fablab.extensions import db
from fablab.loans import services as loans
from fablab.loans.forms import ReturnForm
from fablab.loans.models import Loan


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


# --- /q/<code>: where a phone's camera lands ---------------------------------------------------


def _resolve_visible(code: str) -> services.Resolved:
    """The object behind a code; a member card only for staff (404 for anyone else)."""
    try:
        found = services.resolve(services.parse_code(code))
    except DomainError:
        abort(404)
    if found is None or (found.kind == "member" and not _is_staff()):
        abort(404)
    if found.kind == "item" and not found.obj.is_public and not _is_staff():
        abort(404)
    return found


@bp.route("/q/<code>")
def resolve(code: str):
    found = _resolve_visible(code)
    if found.kind == "item":
        return redirect(url_for("loans.item", code=found.obj.code))
    if found.kind == "resource":
        return redirect(url_for("machines.detail", slug=found.obj.slug))
    return redirect(url_for("accounts.member", user_id=found.obj.id))


@bp.route("/q/<code>/qr.<any(svg, png):kind>")
def qr_image(code: str, kind: str):
    """The QR of an item or machine (anyone), of a member card (the member and staff)."""
    try:
        found = services.resolve(services.parse_code(code))
    except DomainError:
        abort(404)
    own_card = (found is not None and found.kind == "member" and current_user.is_authenticated
                and found.obj.id == current_user.id)
    if not own_card:
        found = _resolve_visible(code)
    human = found.obj.slug if found.kind == "resource" else found.obj.code \
        if found.kind == "item" else found.obj.card_code
    if kind == "svg":
        response = Response(qr.svg(human), mimetype="image/svg+xml")
    else:
        response = Response(qr.png(human), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600" if found.kind == "member" \
        else "public, max-age=86400"
    return response


# --- member cards ----------------------------------------------------------------------------


@bp.route("/account/card")
@login_required
def my_card():
    return render_template("desk/card.html", member=current_user)


@bp.route("/members/<int:user_id>/card")
@staff_required
def member_card(user_id: int):
    member = db.get_or_404(User, user_id)
    if member.anonymised_at:
        abort(404)
    return render_template("desk/card.html", member=member)


# --- the scan station ------------------------------------------------------------------------


def _station_state() -> tuple[User | None, Organisation | None, list[int]]:
    """The borrower, organisation and loans of the current desk session, from the form."""
    borrower = db.session.get(User, request.form.get("borrower_id", 0, type=int) or 0)
    if borrower is not None and not borrower.is_active:
        borrower = None
    organisation = None
    if borrower is not None:
        wanted = request.form.get("organisation_id", 0, type=int)
        organisation = next((o for o in borrower.organisations if o.id == wanted), None)
    loan_ids = [int(v) for v in request.form.get("loan_ids", "").split(",") if v.isdigit()]
    return borrower, organisation, loan_ids[:100]


def _session_loans(borrower: User | None, loan_ids: list[int]) -> list[Loan]:
    if borrower is None or not loan_ids:
        return []
    return db.session.scalars(select(Loan).where(Loan.id.in_(loan_ids),
                                                 Loan.member_id == borrower.id)
                              .options(selectinload(Loan.item)).order_by(Loan.id)).all()


@bp.route("/desk/scan", methods=["GET", "POST"])
@staff_required
def scan():
    borrower, organisation, loan_ids = _station_state() if request.method == "POST" \
        else (None, None, [])
    result = None
    if request.method == "POST":
        try:
            result = services.scan(current_user, request.form.get("code", "")[:500],
                                   borrower, organisation,
                                   services.parse_as_of(request.form.get("as_of")),
                                   site_id=getattr(_desk_site(), "id", None))
        except DomainError as error:
            db.session.rollback()
            result = services.ScanResult(False, error.message, borrower=borrower,
                                         organisation=organisation)
        else:
            if result.action == "member" and result.borrower != borrower:
                # The next member's card ends the previous member's desk session.
                if borrower is not None:
                    loans.send_receipt(borrower, _session_loans(borrower, loan_ids))
                loan_ids, organisation = [], None
            elif result.action == "check_out":
                loan_ids.append(result.loan.id)
            db.session.commit()
            borrower = result.borrower
    return_form = None
    if result is not None and result.action == "check_in":
        return_form = ReturnForm(condition_id=result.loan.item.condition_id or 0)
        return_form.condition_id.choices = [
            (c.id, loans.condition_label(c)) for c in loans.conditions()]
    return render_template("desk/scan.html", result=result, borrower=borrower, as_of=utcnow(),
                           organisation=organisation, loan_ids=loan_ids,
                           session_loans=_session_loans(borrower, loan_ids),
                           return_form=return_form)


@bp.route("/desk/scan/finish", methods=["POST"])
@staff_required
def finish():
    """End the desk session of a borrower: e-mail them the receipt."""
    borrower, _organisation, loan_ids = _station_state()
    session_loans = _session_loans(borrower, loan_ids)
    if borrower is not None and session_loans:
        loans.send_receipt(borrower, session_loans)
        db.session.commit()
        flash(_("The receipt is e-mailed to %(name)s.", name=borrower.name), "success")
    return redirect(url_for("desk.scan"))


@bp.route("/desk/loans/<int:loan_id>/return", methods=["POST"])
@staff_required
def record_return(loan_id: int):
    loan = db.get_or_404(Loan, loan_id)
    form = ReturnForm()
    form.condition_id.choices = [(c.id, loans.condition_label(c)) for c in loans.conditions()]
    if not form.validate_on_submit():
        flash(_("Please choose a condition from the list."), "danger")
        return redirect(url_for("desk.scan"))
    commit_or_refuse(
        lambda: loans.record_return(current_user, loan, form.condition_id.data,
                                    form.damaged.data, form.note.data or ""),
        lambda _done: _("%(code)s: return noted.", code=loan.item.code) if not form.damaged.data
        else _("%(code)s: return noted, sent to maintenance.", code=loan.item.code))
    return redirect(url_for("desk.scan"))


# --- the desk: today at a site ----------------------------------------------------------------


def _desk_site(site_id: int | None = None):
    """The site asked for, else the one this desk last chose, else the first active one."""
    wanted = site_id or session.get("desk_site_id")
    site = db.session.get(Site, wanted) if wanted else None
    if site is None or not site.is_active:
        sites = active_sites()
        site = sites[0] if sites else None
    return site


def _back_to_desk(site_id: int | None = None):
    return redirect(url_for("desk.index", site=site_id or session.get("desk_site_id")))


@bp.route("/desk")
@staff_required
def index():
    wanted = id_arg("site")
    site = _desk_site(wanted)
    if site is None:
        return render_template("desk/today.html", today=None, sites=[],
                               outbox=outbox_health())
    if wanted and wanted != site.id:
        flash(_("Unknown site: showing %(name)s.", name=site.name), "danger")
    session["desk_site_id"] = site.id
    query = request.args.get("q", "")
    found = today.search_members(query) if query.strip() else None
    return render_template("desk/today.html", today=today.today_at(site, site_day(site.id)),
                           sites=active_sites(), query=query, found=found,
                           outbox=outbox_health(),
                           walk_in_form=WalkInForm(site_id=site.id), now=utcnow(),
                           can_check_in=_can_check_in)


def _can_check_in(booking) -> bool:
    return can_check_in(booking)


@bp.route("/desk/bookings/<int:booking_id>/check-in", methods=["POST"])
@staff_required
def check_in_booking(booking_id: int):
    booking = db.get_or_404(Booking, booking_id)
    commit_or_refuse(lambda: booking_services.check_in(booking, current_user),
                     lambda _done: _("%(name)s has arrived.", name=booking.member.name))
    return _back_to_desk(booking.resource.site_id)


@bp.route("/desk/registrations/<int:registration_id>/attend", methods=["POST"])
@staff_required
def attend(registration_id: int):
    registration = db.get_or_404(Registration, registration_id)
    commit_or_refuse(
        lambda: event_services.set_attendance(current_user, registration, True),
        lambda _done: _("%(name)s has arrived.", name=registration.participant_name))
    return _back_to_desk(registration.event.site_id)


@bp.route("/desk/visitors", methods=["POST"])
@staff_required
def add_visitor():
    form = WalkInForm()
    site_id = request.form.get("site_id", type=int)
    site = db.session.get(Site, site_id) if site_id else None
    if not form.validate_on_submit():
        flash(_("Please choose the details from the lists."), "danger")
        return _back_to_desk(site_id)
    commit_or_refuse(lambda: record_walk_in(current_user, site, form.reason.data or "",
                                            form.age_group.data or "", form.commune.data or ""),
                     lambda _done: _("One more visitor counted."))
    return _back_to_desk(getattr(site, "id", None))
