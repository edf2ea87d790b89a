"""The gallery, project pages, feed and exports (public); the editor (authors);
reports, unpublishing and featured projects (staff)."""

from __future__ import annotations

import tempfile
from decimal import Decimal

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, flash_form_errors, page_arg, show_error
from fablab.core.permissions import staff_required
from fablab.extensions import db
from fablab.machines.models import Resource
from fablab.projects import bp, services, storage
from fablab.projects.forms import (BomForm, FileForm, InviteForm, NewProjectForm, ProjectForm,
                                   ReasonForm, StepForm)
from fablab.projects.models import DIFFICULTIES, LICENCES, Project


@bp.app_template_global()
def featured_projects():
    """The home page's "featured projects" block."""
    return services.featured_projects()


@bp.app_context_processor
def project_helpers():
    return {"project_difficulties": services.DIFFICULTY_LABELS,
            "project_statuses": services.STATUS_LABELS, "file_kinds": services.KIND_LABELS,
            "human_size": storage.human_size, "author_names": services.author_names,
            "display_name": services.display_name, "change_label": services.change_label,
            "quantity": services.format_quantity}


def _load(project_id: int, full: bool = False) -> Project:
    """The project, or 404 if it does not exist or the visitor may not see it."""
    project = (services.project_for_page(project_id) if full
               else db.session.get(Project, project_id))
    if project is None or not services.can_view(project, current_user):
        abort(404)
    return project


def _editable(project_id: int, full: bool = False) -> Project:
    """For authors and staff; to anyone else the project does not exist (404).

    A change locks the project's row first (PostgreSQL; SQLite writers queue with
    BEGIN IMMEDIATE): two authors saving at once get consecutive revisions."""
    if request.method == "POST":
        db.session.execute(select(Project.id).where(Project.id == project_id)
                           .with_for_update())
    project = (services.project_for_page(project_id) if full
               else db.session.get(Project, project_id))
    if project is None or not services.can_edit(project, current_user):
        abort(404)
    return project


def _too_large(message: str):
    error = RequestEntityTooLarge()
    error.fablab_message = message
    return error


def _done(message: str, project: Project, anchor: str = ""):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("projects.edit", project_id=project.id) + anchor)


def _refused(error: DomainError, project: Project, anchor: str = ""):
    db.session.rollback()
    if isinstance(error, storage.UploadTooLarge):
        raise _too_large(error.message)
    flash(error.message, "danger")
    return redirect(url_for("projects.edit", project_id=project.id) + anchor)


def _change(project_id: int, anchor: str, action, message: str):
    """Apply ``action(project)`` for an author or staff, then back to the editor at
    ``anchor``, with ``message`` or the refusal."""
    project = _editable(project_id)
    try:
        action(project)
    except DomainError as error:
        return _refused(error, project, anchor)
    return _done(message, project, anchor)


# --- public ------------------------------------------------------------------------------


@bp.route("/projects")
def gallery():
    q = (request.args.get("q") or "").strip()[:100]
    machine = (request.args.get("machine") or "")[:80]
    tag = (request.args.get("tag") or "").strip()[:40]
    licence = request.args.get("licence", "")
    licence = licence if licence in LICENCES else ""
    page = page_arg()
    size = current_app.config["PROJECT_PAGE_SIZE"]
    projects = services.gallery(q=q, machine=machine, tag=tag, licence=licence,
                                limit=size + 1, offset=(page - 1) * size)
    has_next, projects = len(projects) > size, projects[:size]
    return render_template("projects/gallery.html", projects=projects, q=q, machine=machine,
                           tag=tag, licence=licence, page=page, has_next=has_next,
                           filters=services.gallery_filters(), licences=LICENCES)


@bp.route("/projects/feed.atom")
def feed():
    projects = services.latest_published()
    body = render_template("projects/feed.xml", projects=projects,
                           updated=max((p.published_at for p in projects), default=None))
    return Response(body, mimetype="application/atom+xml")


@bp.route("/projects/<int:project_id>")
def detail(project_id: int):
    project = _load(project_id, full=True)
    return render_template("projects/detail.html", project=project,
                           can_edit=services.can_edit(project, current_user),
                           link=services.author_link(project, current_user))


@bp.route("/projects/<int:project_id>/history")
def history(project_id: int):
    project = _load(project_id)
    return render_template("projects/history.html", project=project,
                           revisions=services.revisions_of(project))


@bp.route("/projects/<int:project_id>/revisions/<int:number>")
def revision(project_id: int, number: int):
    project = _load(project_id)
    rev = services.revision(project, number)
    if rev is None:
        abort(404)
    return render_template("projects/revision.html", project=project, revision=rev,
                           diff=services.revision_diff(project, rev))


@bp.route("/projects/<int:project_id>/files/<int:file_id>")
def download(project_id: int, file_id: int):
    """Always a download (never shown inline, SVG included), under its cleaned name."""
    project = _load(project_id)
    item = next((f for f in project.files if f.id == file_id), None)
    path = storage.path_of(item.stored_name) if item else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name=item.filename, max_age=3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/projects/<int:project_id>/images/<name>")
def image(project_id: int, name: str):
    """A project's image (re-encoded JPEG) or its thumbnail."""
    project = _load(project_id)
    base = name.replace("-thumb.jpg", ".jpg")
    path = storage.path_of(name) if any(f.stored_name == base and f.kind == "image"
                                        for f in project.files) else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/jpeg", max_age=7 * 24 * 3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not project.is_public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _published(project_id: int) -> Project:
    project = _load(project_id, full=True)
    return project


@bp.route("/projects/<int:project_id>/export.zip")
def export_zip(project_id: int):
    project = _published(project_id)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    services.export_zip(project, spool)
    spool.seek(0)
    response = send_file(spool, mimetype="application/zip", as_attachment=True,
                         download_name=f"{project.slug or 'projet'}.zip")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/projects/<int:project_id>/okh.toml")
def okh(project_id: int):
    project = _published(project_id)
    response = Response(services.okh_manifest(project), mimetype="application/toml")
    response.headers["Content-Disposition"] = "attachment; filename=okh.toml"
    return response


@bp.route("/projects/<int:project_id>/README.md")
def readme(project_id: int):
    """The README.md of the ZIP, alone: the manifest's ``readme``."""
    project = _published(project_id)
    response = Response(services.markdown_document(project), mimetype="text/markdown")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/projects/<int:project_id>/bom.csv")
def bom_csv(project_id: int):
    project = _published(project_id)
    response = Response(services.bom_csv(project), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=bom.csv"
    return response


@bp.route("/projects/<int:project_id>/report", methods=["GET", "POST"])
@login_required
def report(project_id: int):
    project = _load(project_id)
    form = ReasonForm()
    if form.validate_on_submit():
        if commit_or_refuse(lambda: services.report(current_user, project, form.reason.data),
                            lambda _report: _("Thank you: the staff will look at your report."),
                            refused=lambda error: show_error(form, error)):
            return redirect(url_for("projects.detail", project_id=project.id))
    return render_template("projects/report.html", project=project, form=form)


# --- members: their projects and the editor ----------------------------------------------


@bp.route("/projects/mine")
@login_required
def my_projects():
    return render_template("projects/mine.html", rows=services.projects_of(current_user))


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def create():
    form = NewProjectForm()
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, form.title.data, form.summary.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your draft is created: add steps, images and files, then publish it."),
                  "success")
            return redirect(url_for("projects.edit", project_id=project.id))
    return render_template("projects/new.html", form=form)


def _machine_choices():
    return [(r.id, r.name) for r in db.session.scalars(
        select(Resource).where(Resource.kind == "machine").order_by(Resource.name))]


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):
    project = _editable(project_id, full=True)
    form = ProjectForm(obj=project) if request.method == "GET" else ProjectForm()
    form.difficulty.choices = [(d, services.DIFFICULTY_LABELS[d]) for d in DIFFICULTIES]
    form.machines.choices = _machine_choices()
    if request.method == "GET":
        form.tags.data = ", ".join(t.tag for t in project.tags)
        form.machines.data = [m.id for m in project.machines]
        form.duration_hours.data = (Decimal(project.duration_minutes) / 60
                                    if project.duration_minutes else None)
        form.cost.data = Decimal(project.cost_cents) / 100 if project.cost_cents is not None \
            else None
    if form.validate_on_submit():
        try:
            services.update_project(
                current_user, project, title=form.title.data, summary=form.summary.data,
                intro=form.intro.data, difficulty=form.difficulty.data,
                duration_minutes=int(form.duration_hours.data * 60)
                if form.duration_hours.data else None,
                cost_cents=int(form.cost.data * 100) if form.cost.data is not None else None,
                licence=form.licence.data, language=form.language.data, tags=form.tags.data,
                machine_ids=form.machines.data or [])
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            return _done(_("The project is saved."), project)
    step_form = StepForm(prefix="step")
    del step_form.remove_image  # a new step has no image to remove
    return render_template("projects/edit.html", project=project, form=form,
                           step_form=step_form, file_form=FileForm(),
                           bom_form=BomForm(prefix="bom"), invite_form=InviteForm())


def _upload(field):
    storage_file = field.data
    if storage_file is None or not getattr(storage_file, "filename", ""):
        return None, ""
    return storage_file.stream, storage_file.filename


@bp.route("/projects/<int:project_id>/steps", methods=["POST"])
@login_required
def add_step(project_id: int):
    project = _editable(project_id)
    form = StepForm(prefix="step")
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("projects.edit", project_id=project.id) + "#steps")
    stream, filename = _upload(form.image)
    try:
        services.add_step(current_user, project, form.title.data, form.body.data, stream,
                          filename)
    except DomainError as error:
        return _refused(error, project, "#steps")
    return _done(_("The step is added."), project, "#steps")


@bp.route("/projects/<int:project_id>/steps/<int:step_id>/edit", methods=["GET", "POST"])
@login_required
def edit_step(project_id: int, step_id: int):
    project = _editable(project_id)
    step = next((s for s in project.steps if s.id == step_id), None)
    if step is None:
        abort(404)
    form = StepForm(obj=step)
    if form.validate_on_submit():
        stream, filename = _upload(form.image)
        try:
            services.update_step(current_user, project, step.id, form.title.data,
                                 form.body.data, stream, filename, form.remove_image.data)
        except storage.UploadTooLarge as error:
            db.session.rollback()
            raise _too_large(error.message) from error
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            return _done(_("The step is saved."), project, "#steps")
    return render_template("projects/step.html", project=project, step=step, form=form)


@bp.route("/projects/<int:project_id>/steps/<int:step_id>/move", methods=["POST"])
@login_required
def move_step(project_id: int, step_id: int):
    direction = request.form.get("direction", "")
    return _change(project_id, "#steps",
                   lambda p: services.move_step(current_user, p, step_id, direction),
                   _("The steps are reordered."))


@bp.route("/projects/<int:project_id>/steps/<int:step_id>/delete", methods=["POST"])
@login_required
def delete_step(project_id: int, step_id: int):
    return _change(project_id, "#steps",
                   lambda p: services.delete_step(current_user, p, step_id),
                   _("The step is deleted."))


@bp.route("/projects/<int:project_id>/files", methods=["POST"])
@login_required
def upload(project_id: int):
    project = _editable(project_id)
    form = FileForm()
    stream, filename = _upload(form.upload)
    if not form.validate() or stream is None:
        flash(_("Please choose a file."), "danger")
        return redirect(url_for("projects.edit", project_id=project.id) + "#files")
    try:
        item = services.add_file(current_user, project, stream, filename)
    except DomainError as error:
        return _refused(error, project, "#files")
    return _done(_("%(name)s is added.", name=item.filename), project, "#files")


@bp.route("/projects/<int:project_id>/files/<int:file_id>/delete", methods=["POST"])
@login_required
def delete_file(project_id: int, file_id: int):
    project = _editable(project_id)
    try:
        stored_name = services.delete_file(current_user, project, file_id)
    except DomainError as error:
        return _refused(error, project, "#files")
    db.session.commit()
    storage.delete_stored(stored_name)
    flash(_("The file is deleted."), "success")
    return redirect(url_for("projects.edit", project_id=project.id) + "#files")


@bp.route("/projects/<int:project_id>/files/<int:file_id>/cover", methods=["POST"])
@login_required
def set_cover(project_id: int, file_id: int):
    return _change(project_id, "#files",
                   lambda p: services.set_cover(current_user, p, file_id),
                   _("The cover image is changed."))


@bp.route("/projects/<int:project_id>/bom", methods=["POST"])
@login_required
def add_bom_line(project_id: int):
    project = _editable(project_id)
    form = BomForm(prefix="bom")
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("projects.edit", project_id=project.id) + "#bom")
    try:
        services.add_bom_line(current_user, project, form.name.data, form.quantity.data,
                              form.unit.data, form.source.data)
    except DomainError as error:
        return _refused(error, project, "#bom")
    return _done(_("The line is added to the bill of materials."), project, "#bom")


@bp.route("/projects/<int:project_id>/bom/<int:line_id>/delete", methods=["POST"])
@login_required
def delete_bom_line(project_id: int, line_id: int):
    return _change(project_id, "#bom",
                   lambda p: services.delete_bom_line(current_user, p, line_id),
                   _("The line is deleted."))


@bp.route("/projects/<int:project_id>/authors", methods=["POST"])
@login_required
def invite(project_id: int):
    project = _editable(project_id)
    form = InviteForm()
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("projects.edit", project_id=project.id) + "#authors")
    try:
        services.invite_coauthor(current_user, project, form.email.data)
    except DomainError as error:
        return _refused(error, project, "#authors")
    return _done(_("The invitation is sent."), project, "#authors")


@bp.route("/projects/<int:project_id>/invitation", methods=["POST"])
@login_required
def answer_invitation(project_id: int):
    project = db.session.get(Project, project_id)
    link = services.author_link(project, current_user) if project else None
    if link is None or link.accepted_at is not None:
        abort(404)
    try:
        if request.form.get("answer") == "accept":
            services.accept_invitation(current_user, project)
            message = _("You are now a co-author of %(title)s.", title=project.title)
        else:
            services.decline_invitation(current_user, project)
            message = _("The invitation is declined.")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("projects.my_projects"))


@bp.route("/projects/<int:project_id>/publish", methods=["POST"])
@login_required
def publish(project_id: int):
    project = _editable(project_id)
    try:
        services.publish(current_user, project)
    except DomainError as error:
        return _refused(error, project)
    db.session.commit()
    flash(_("The project is published."), "success")
    return redirect(url_for("projects.detail", project_id=project.id))


@bp.route("/projects/<int:project_id>/unpublish", methods=["POST"])
@login_required
def unpublish(project_id: int):
    return _change(project_id, "", lambda p: services.unpublish(current_user, p),
                   _("The project is back to draft: only its authors see it."))


# --- staff -------------------------------------------------------------------------------


@bp.route("/projects/reports")
@staff_required
def reports():
    return render_template("projects/reports.html", reports=services.open_reports(),
                           form=ReasonForm())


@bp.route("/projects/<int:project_id>/moderate", methods=["POST"])
@staff_required
def moderate(project_id: int):
    project = db.get_or_404(Project, project_id)
    form = ReasonForm()
    try:
        if request.form.get("action") == "dismiss":
            services.dismiss_reports(current_user, project)
            message = _("The reports are closed; the project stays online.")
        else:
            if not form.validate():
                raise DomainError(_("Please give the reason sent to the authors."))
            services.hide(current_user, project, form.reason.data)
            message = _("The project is unpublished and its authors are told why.")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("projects.reports"))


@bp.route("/projects/<int:project_id>/feature", methods=["POST"])
@staff_required
def feature(project_id: int):
    project = db.get_or_404(Project, project_id)
    commit_or_refuse(
        lambda: services.set_featured(current_user, project, request.form.get("featured") == "1"),
        lambda _done: _("The home page is updated."))
    return redirect(url_for("projects.detail", project_id=project.id))
