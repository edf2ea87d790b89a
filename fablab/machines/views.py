"""Machine and room pages, their staff settings, trainings and incidents."""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from markupsafe import Markup

from fablab.accounts.services import member_by_email_or_card
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, flash_form_errors, id_arg, show_error
from fablab.core.models import Site
from fablab.core.permissions import staff_required
from fablab.core.sites import active_sites
from fablab.core.storage import save_image
from fablab.core.templating import PagePart, page_parts
from fablab.extensions import db
from fablab.machines import bp, services, signals
from fablab.machines.forms import (GrantForm, IncidentForm, ResolveForm, StatusForm, TrainingForm,
                                   resource_form)
from fablab.machines.models import RESOURCE_KINDS, Incident, Resource, Training, TrainingGrant
from fablab.memberships.forms import price_data
from fablab.memberships.services import list_tariffs


def get_resource_or_404(slug: str) -> Resource:
    resource = services.resource_by_slug(slug)
    if resource is None or (not resource.active and not current_user_is_staff()):
        abort(404)
    return resource


def current_user_is_staff() -> bool:
    return current_user.is_authenticated and current_user.is_staff


@bp.route("/machines")
def index():
    kind = request.args.get("kind", "")
    category = request.args.get("category", "")
    site_id = id_arg("site")
    resources = services.list_resources(kind=kind if kind in RESOURCE_KINDS else None,
                                        site_id=site_id, category=category or None,
                                        include_inactive=current_user_is_staff())
    return render_template("machines/index.html", resources=resources, kind=kind,
                           category=category, site_id=site_id, sites=active_sites(),
                           categories=services.categories(), tariffs=list_tariffs(True))


@bp.route("/machines/<slug>")
def detail(slug: str):
    resource = get_resource_or_404(slug)
    staff = current_user_is_staff()
    return render_template(
        "machines/detail.html", resource=resource,
        parts=page_parts(signals.machine_page, resource),  # the booking form and free times
        incident_form=IncidentForm(prefix="incident"),
        status_form=StatusForm(status=resource.status, reason=resource.status_reason,
                               prefix="status"),
        tariffs=list_tariffs(True),
        grants=services.grants_of_training(resource.training) if staff and resource.training else [],
        incidents=services.open_incidents(resource) if staff else [],
    )


@bp.route("/machines/<slug>/incidents", methods=["POST"])
@login_required
def report_incident(slug: str):
    resource = get_resource_or_404(slug)
    form = IncidentForm(prefix="incident")
    if form.validate_on_submit():
        commit_or_refuse(
            lambda: services.report_incident(current_user, resource, form.description.data),
            lambda _incident: _("Thank you: the staff will look at the problem."))
    else:
        flash_form_errors(form)
    return redirect(url_for("machines.detail", slug=resource.slug))


# --- staff: resources --------------------------------------------------------------------


def _resource_form(resource: Resource | None):
    tariffs = list_tariffs(True)
    form = resource_form(tariffs, obj=resource)
    sites = db.session.scalars(db.select(Site).order_by(Site.id)).all()
    form.site_id.choices = [(s.id, s.name) for s in sites]
    form.training_id.choices = [(0, _("None"))] + [(t.id, t.name) for t in services.list_trainings()]
    if not form.is_submitted():
        if resource is not None:
            form.training_id.data = resource.training_id or 0
            for tariff in tariffs:
                cents = services.price_for(resource, tariff.id)
                getattr(form, f"price_{tariff.id}").data = (
                    None if cents is None else Decimal(cents) / 100)
    if form.validate_on_submit():
        fields = {name: form[name].data for name in services.RESOURCE_FIELDS if name != "photo"}
        fields["training_id"] = fields["training_id"] or None
        prices = price_data(form, tariffs)
        try:
            if form.photo.data:
                fields["photo"] = save_image(form.photo.data.stream)
            resource = services.save_resource(current_user, resource, prices=prices, **fields)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("machines.detail", slug=resource.slug))
    return render_template("machines/form.html", form=form, resource=resource)


@bp.route("/machines/new", methods=["GET", "POST"])
@staff_required
def create():
    return _resource_form(None)


@bp.route("/machines/<slug>/edit", methods=["GET", "POST"])
@staff_required
def edit(slug: str):
    return _resource_form(get_resource_or_404(slug))


@bp.route("/machines/<slug>/status", methods=["POST"])
@staff_required
def change_status(slug: str):
    resource = get_resource_or_404(slug)
    form = StatusForm(prefix="status")
    if form.validate_on_submit():
        commit_or_refuse(
            lambda: services.set_status(current_user, resource, form.status.data,
                                        form.reason.data),
            lambda cancelled: ngettext(
                "The status is changed; %(num)d booking cancelled and its member told.",
                "The status is changed; %(num)d bookings cancelled and their members told.",
                cancelled))
    else:
        flash_form_errors(form)
    return redirect(url_for("machines.detail", slug=resource.slug))


@bp.route("/incidents")
@staff_required
def incidents():
    return render_template("machines/incidents.html", incidents=services.open_incidents(),
                           form=ResolveForm())


@bp.route("/incidents/<int:incident_id>/resolve", methods=["POST"])
@staff_required
def resolve_incident(incident_id: int):
    incident = db.get_or_404(Incident, incident_id)
    form = ResolveForm()
    if form.validate_on_submit():
        commit_or_refuse(
            lambda: services.resolve_incident(current_user, incident, form.resolution.data),
            lambda _done: _("The incident is resolved."))
    return redirect(request.form.get("back") == "machine"
                    and url_for("machines.detail", slug=incident.resource.slug)
                    or url_for("machines.incidents"))


# --- staff: trainings ----------------------------------------------------------------------


@bp.route("/trainings")
@staff_required
def trainings():
    return render_template("machines/trainings.html", trainings=services.list_trainings())


@bp.route("/trainings/new", methods=["GET", "POST"])
@staff_required
def create_training():
    return _training_form(None)


@bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_training(training_id: int):
    return _training_form(db.get_or_404(Training, training_id))


def _training_form(training: Training | None):
    form = TrainingForm(obj=training)
    if form.validate_on_submit():
        try:
            training = services.save_training(current_user, training, form.name.data,
                                              form.description.data, form.validity_months.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The training is saved."), "success")
            return redirect(url_for("machines.training", training_id=training.id))
    return render_template("machines/training_form.html", form=form, training=training)


@bp.route("/trainings/<int:training_id>")
@staff_required
def training(training_id: int):
    training = db.get_or_404(Training, training_id)
    return render_template("machines/training.html", training=training,
                           grants=services.grants_of_training(training), form=GrantForm())


@bp.route("/trainings/<int:training_id>/grants", methods=["POST"])
@staff_required
def grant(training_id: int):
    training = db.get_or_404(Training, training_id)
    form = GrantForm()
    if form.validate_on_submit():
        member = member_by_email_or_card(form.member.data)
        try:
            if member is None:
                raise DomainError(_("No member has this e-mail address or card code."), "member")
            services.grant_training(current_user, member, training, form.note.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is trained for %(training)s.", name=member.name,
                    training=training.name), "success")
            return redirect(url_for("machines.training", training_id=training.id))
    return render_template("machines/training.html", training=training,
                           grants=services.grants_of_training(training), form=form), 400


@bp.route("/trainings/grants/<int:grant_id>/revoke", methods=["POST"])
@staff_required
def revoke(grant_id: int):
    grant = db.get_or_404(TrainingGrant, grant_id)
    commit_or_refuse(lambda: services.revoke_training(current_user, grant),
                     lambda _done: _("The training is revoked."))
    return redirect(url_for("machines.training", training_id=grant.training_id))


def member_page_parts(member, **_kwargs) -> list[PagePart]:
    """Receiver of ``accounts.signals.member_page``: the member's trainings."""
    return [PagePart("side", 30, Markup(render_template(
        "machines/_member_part.html", grants=services.grants_of_member(member))))]
