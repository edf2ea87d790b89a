"""Staff record memberships at the desk; admins edit the tariffs."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from fablab.accounts.models import User
from fablab.core.forms import commit_or_refuse, show_error
from fablab.core.permissions import admin_required, staff_required
from fablab.core.templating import PagePart, money
from fablab.extensions import db
from fablab.memberships import bp, services
from fablab.memberships.forms import MembershipForm, TariffForm
from fablab.memberships.models import Tariff


def to_cents(amount: Decimal | None) -> int | None:
    return None if amount is None else int((amount * 100).to_integral_value())


@bp.route("/memberships")
@staff_required
def overview():
    return render_template("memberships/overview.html",
                           expiring=services.expiring_memberships(30),
                           tariffs=services.list_tariffs())


@bp.route("/members/<int:user_id>/memberships/new", methods=["GET", "POST"])
@staff_required
def record(user_id: int):
    member = db.get_or_404(User, user_id)
    if member.anonymised_at:
        abort(404)
    tariffs = services.list_tariffs(only_active=True)
    form = MembershipForm()
    form.tariff.choices = [(t.id, f"{services.tariff_label(t)} ({money(t.price_cents)})")
                           for t in tariffs]
    if not form.is_submitted():
        form.starts_on.data, form.ends_on.data = services.default_period(member)
        if tariffs:
            form.amount.data = Decimal(tariffs[0].price_cents) / 100
    if form.validate_on_submit():
        if commit_or_refuse(
                lambda: services.record_membership(
                    current_user, member, db.session.get(Tariff, form.tariff.data),
                    form.starts_on.data, form.ends_on.data, to_cents(form.amount.data),
                    form.payment_method.data, form.note.data),
                lambda _membership: _("The membership of %(name)s is recorded.",
                                      name=member.name),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.member", user_id=member.id))
    return render_template("memberships/record.html", form=form, member=member,
                           tariffs=tariffs)


@bp.route("/admin/tariffs")
@admin_required
def admin_tariffs():
    return render_template("memberships/admin_tariffs.html", tariffs=services.list_tariffs())


@bp.route("/admin/tariffs/new", methods=["GET", "POST"])
@admin_required
def admin_create_tariff():
    return _tariff_form(None)


@bp.route("/admin/tariffs/<int:tariff_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_edit_tariff(tariff_id: int):
    return _tariff_form(db.get_or_404(Tariff, tariff_id))


def _tariff_form(tariff: Tariff | None):
    form = TariffForm(obj=tariff)
    if tariff is not None and not form.is_submitted():
        form.price.data = Decimal(tariff.price_cents) / 100
    if form.validate_on_submit():
        if commit_or_refuse(
                lambda: services.save_tariff(current_user, tariff, form.code.data,
                                             form.name.data, to_cents(form.price.data),
                                             form.description.data, form.position.data or 0,
                                             form.active.data),
                lambda _tariff: _("The tariff is saved."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("memberships.admin_tariffs"))
    return render_template("memberships/tariff_form.html", form=form, tariff=tariff)


# --- the membership on the accounts' pages (receivers of fablab.accounts.signals) ---------------


def account_page_parts(member, **_kwargs) -> list[PagePart]:
    return [PagePart("main", 20, Markup(render_template(
        "memberships/_account_part.html", membership=services.active_membership(member),
        memberships=services.memberships_of(member))))]


def member_page_parts(member, **_kwargs) -> list[PagePart]:
    return [PagePart("side", 20, Markup(render_template(
        "memberships/_member_part.html", member=member,
        membership=services.active_membership(member),
        memberships=services.memberships_of(member))))]
