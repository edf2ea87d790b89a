"""The catalogue and item pages, a member's loans and holds; staff edit items,
change their status, print label sheets and follow the open loans."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from fablab.accounts.models import User
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, page_arg, show_error
from fablab.core.models import Site
from fablab.core.permissions import staff_required
from fablab.core.storage import save_image
from fablab.core.timeutil import local_today
from fablab.extensions import db
from fablab.loans import bp, labels, services
from fablab.loans.forms import ConditionForm, ItemForm, StatusForm
from fablab.loans.models import ITEM_STATUSES, Hold, Item, Loan
from fablab.machines.services import list_resources, list_trainings

PAGE_SIZE = 24


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


def get_item_or_404(code: str) -> Item:
    item = services.item_by_code(code)
    if item is None or (not item.is_public and not _is_staff()):
        abort(404)
    return item


@bp.route("/items")
def catalogue():
    q = (request.args.get("q") or "").strip()[:100]
    category = request.args.get("category", "")[:60]
    status = request.args.get("status", "")
    page = page_arg()
    items = services.catalogue(q=q, category=category, status=status, staff=_is_staff(),
                               limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    has_next, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
    return render_template("loans/catalogue.html", items=items, q=q, category=category,
                           status=status if status in ITEM_STATUSES else "",
                           categories=services.categories(), page=page, has_next=has_next,
                           loans=services.open_loans_by_item([item.id for item in items]))


@bp.route("/items/<code>")
def item(code: str):
    item = get_item_or_404(code)
    loan = services.open_loan(item)
    queue = services.queue_of(item)
    mine = None
    if current_user.is_authenticated:
        mine = next((hold for hold in queue if hold.member_id == current_user.id), None)
    staff = _is_staff()
    return render_template(
        "loans/item.html", item=item, loan=loan, queue=queue, mine=mine,
        position=queue.index(mine) + 1 if mine else None,
        history=services.history(item) if staff else [],
        status_form=StatusForm(status=item.status if item.status in services.MANUAL_STATUSES
                               else "available") if staff else None)


@bp.route("/items/<code>/hold", methods=["POST"])
@login_required
def place_hold(code: str):
    item = get_item_or_404(code)
    commit_or_refuse(lambda: services.place_hold(current_user, item), lambda hold: (
        _("%(name)s is kept for you at the desk until %(date)s.", name=item.name,
          date=services._day(hold.expires_on)) if hold.status == "ready" else
        _("You are number %(num)d in the queue; we will e-mail you when it is back.",
          num=services.queue_position(hold))))
    return redirect(url_for("loans.item", code=item.code))


@bp.route("/holds/<int:hold_id>/cancel", methods=["POST"])
@login_required
def cancel_hold(hold_id: int):
    hold = db.get_or_404(Hold, hold_id)
    if hold.member_id != current_user.id and not current_user.is_staff:
        abort(404)
    commit_or_refuse(lambda: services.cancel_hold(current_user, hold),
                     lambda _done: _("Your hold on %(name)s is cancelled.", name=hold.item.name))
    return redirect(url_for("loans.my_loans") if hold.member_id == current_user.id
                    else url_for("loans.item", code=hold.item.code))


@bp.route("/loans/<int:loan_id>/renew", methods=["POST"])
@login_required
def renew(loan_id: int):
    loan = db.get_or_404(Loan, loan_id)
    if loan.member_id != current_user.id and not current_user.is_staff:
        abort(404)
    commit_or_refuse(lambda: services.renew(loan.member, loan, by=current_user),
                     lambda due_on: _("%(name)s is now due back on %(date)s.",
                                      name=loan.item.name, date=services._day(due_on)))
    return redirect(url_for("loans.my_loans") if loan.member_id == current_user.id
                    else url_for("loans.member_loans", user_id=loan.member_id))


@bp.route("/account/loans")
@login_required
def my_loans():
    loans = services.loans_of_member(current_user)
    return render_template(
        "loans/my_loans.html", member=current_user, loans=loans,
        holds=services.holds_of_member(current_user),
        past=services.loans_of_member(current_user, open_only=False, limit=50),
        refusal=services.renewal_refusals(loans), today=local_today())


# --- staff ---------------------------------------------------------------------------------


@bp.route("/loans")
@staff_required
def overview():
    return render_template("loans/overview.html", **services.desk_overview())


@bp.route("/members/<int:user_id>/loans")
@staff_required
def member_loans(user_id: int):
    member = db.get_or_404(User, user_id)
    loans = services.loans_of_member(member)
    return render_template(
        "loans/my_loans.html", member=member, loans=loans,
        holds=services.holds_of_member(member),
        past=services.loans_of_member(member, open_only=False, limit=500),
        refusal=services.renewal_refusals(loans), today=local_today())


def _item_form(item: Item | None) -> ItemForm:
    form = ItemForm(obj=item)
    form.site_id.choices = [(s.id, s.name) for s in db.session.scalars(
        select(Site).order_by(Site.id))]
    form.condition_id.choices = [(0, "—")] + [
        (c.id, services.condition_label(c)) for c in services.conditions()]
    form.training_id.choices = [(0, _("None"))] + [(t.id, t.name) for t in list_trainings()]
    if not form.is_submitted():
        if item is not None:
            form.value.data = Decimal(item.value_cents) / 100
            form.deposit.data = Decimal(item.deposit_cents) / 100
            form.condition_id.data = item.condition_id or 0
            form.training_id.data = item.training_id or 0
        else:
            form.code.data = services.next_code()
    return form


def _cents(value: Decimal | None) -> int:
    return int((value or 0) * 100)


@bp.route("/items/new", methods=["GET", "POST"])
@staff_required
def create():
    return _edit(None)


@bp.route("/items/<code>/edit", methods=["GET", "POST"])
@staff_required
def edit(code: str):
    return _edit(get_item_or_404(code))


def _edit(item: Item | None):
    form = _item_form(item)
    if form.validate_on_submit():
        fields = {name: form[name].data for name in (
            "code", "site_id", "name", "category", "description", "loan_days", "max_renewals",
            "location", "lendable_to")}
        fields.update(value_cents=_cents(form.value.data), deposit_cents=_cents(form.deposit.data),
                      condition_id=form.condition_id.data or None,
                      training_id=form.training_id.data or None)
        try:
            if form.photo.data:
                fields["photo"] = save_image(form.photo.data.stream, "photo")
            item = services.save_item(current_user, item, **fields)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The item is saved."), "success")
            return redirect(url_for("loans.item", code=item.code))
    return render_template("loans/form.html", form=form, item=item)


@bp.route("/items/<code>/status", methods=["POST"])
@staff_required
def set_status(code: str):
    item = get_item_or_404(code)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Please choose a status."), "danger")
        return redirect(url_for("loans.item", code=item.code))
    commit_or_refuse(
        lambda: services.set_status(current_user, item, form.status.data, form.reason.data),
        lambda _done: _("The status of %(code)s is now: %(status)s.", code=item.code,
                        status=services.STATUS_LABELS[item.status]))
    return redirect(url_for("loans.item", code=item.code))


@bp.route("/items/conditions", methods=["GET", "POST"])
@staff_required
def conditions():
    form = ConditionForm()
    if form.validate_on_submit():
        if commit_or_refuse(lambda: services.add_condition(current_user, form.name.data),
                            lambda _condition: _("The condition is added."),
                            refused=lambda error: show_error(form, error)):
            return redirect(url_for("loans.conditions"))
    return render_template("loans/conditions.html", form=form, conditions=services.conditions())


@bp.route("/labels")
@staff_required
def labels_choice():
    return render_template("loans/labels_choice.html", formats=labels.FORMATS,
                           items=services.catalogue(staff=True, limit=5000),
                           resources=list_resources())


@bp.route("/labels/formats.css")
def label_css():
    from flask import Response

    response = Response(labels.stylesheet(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/labels/sheet")
@staff_required
def label_sheet():
    try:
        sheet = labels.build_sheet(request.args.get("format", ""),
                                   request.args.getlist("item", type=int),
                                   request.args.getlist("resource", type=int),
                                   request.args.get("skip", 0, type=int))
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("loans.labels_choice"))
    return render_template("loans/label_sheet.html", sheet=sheet)
