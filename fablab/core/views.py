"""Home page, language switch, health check, error pages, and the admins' pages for the
sites and the e-mail outbox."""

from __future__ import annotations

from flask import (abort, current_app, g, jsonify, make_response, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from fablab.core import bp, mail, sites
from fablab.core.forms import MAX_ID, RequeueForm, commit_or_refuse, page_arg, safe_next, show_error
from fablab.core.models import OutboxMessage, Site
from fablab.core.permissions import admin_required
from fablab.core.sites import SiteForm
from fablab.core.storage import upload_dir
from fablab.extensions import db, limiter, login_manager


@bp.route("/")
def home():
    sites = db.session.scalars(
        select(Site).where(Site.is_active.is_(True)).order_by(Site.id)
    ).all()
    return render_template("core/home.html", sites=sites)


PRIVATE_UPLOAD_FOLDERS = {"projects"}


@bp.route("/uploads/<path:name>")
def uploaded_file(name: str):
    """Uploaded images, under their random names; never run or sniffed."""
    from flask import send_from_directory

    # Project files live in UPLOAD_DIR/projects and are served by the projects
    # blueprint, which checks that the project is visible (drafts are private).
    import posixpath

    normalised = posixpath.normpath(name.replace("\\", "/")).lstrip("/")
    if normalised.split("/", 1)[0].lower() in PRIVATE_UPLOAD_FOLDERS:
        abort(404)
    response = send_from_directory(upload_dir(), name, max_age=7 * 24 * 3600)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.route("/language", methods=["POST"])
def set_language():
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next"), url_for("core.home")))
    if lang not in current_app.config["LANGUAGES"]:
        return response
    response.set_cookie(
        "lang", lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config["BASE_URL"].startswith("https://"),
    )
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


ERROR_TITLES = {
    400: lambda: _("Bad request"),
    403: lambda: _("Access denied"),
    404: lambda: _("Page not found"),
    405: lambda: _("Method not allowed"),
    413: lambda: _("File too large"),
    429: lambda: _("Too many attempts"),
    500: lambda: _("Something went wrong"),
    503: lambda: _("Service unavailable"),
}

ERROR_TEXTS = {
    400: lambda: _("The request could not be understood. Please go back and try again."),
    403: lambda: _("You do not have the right to see this page."),
    404: lambda: _("This page does not exist, or no longer exists."),
    405: lambda: _("This address does not accept this kind of request."),
    413: lambda: _("The file you sent is larger than allowed."),
    429: lambda: _("Too many attempts in a short time. Please wait a moment and try again."),
    500: lambda: _("An unexpected error happened. The team has been told; please try again later."),
    503: lambda: _("The service is unavailable for a moment. Please try again in a few seconds."),
}


def render_error(code: int, description: str | None = None):
    title = ERROR_TITLES.get(code, ERROR_TITLES[500])()
    message = description or ERROR_TEXTS.get(code, ERROR_TEXTS[500])()
    if wants_json():
        return jsonify(error=title, message=message, status=code), code
    return render_template("core/error.html", code=code, title=title, message=message), code


@bp.app_errorhandler(HTTPException)
def handle_http_error(error: HTTPException):
    code = error.code or 500
    # Werkzeug's descriptions are English only: keep ours unless a view gave one.
    custom = getattr(error, "fablab_message", None)
    return render_error(code, custom)


@bp.app_errorhandler(OperationalError)
@bp.app_errorhandler(InterfaceError)
def handle_database_unavailable(error: OperationalError | InterfaceError):
    """The database does not answer (restarting, unreachable): a 503 whose page needs no
    database — not even the current user, whose row could not be read."""
    g.database_unavailable = True
    # Flask-Login's template context loads the user unless one is there: an anonymous one.
    g._login_user = login_manager.anonymous_user()
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass
    current_app.logger.warning("Database unavailable: %s", error.orig or error)
    title, message = ERROR_TITLES[503](), ERROR_TEXTS[503]()
    if wants_json():
        response = jsonify(error=title, message=message, status=503)
    else:
        response = make_response(render_template("core/unavailable.html", title=title,
                                                  message=message))
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response


@bp.app_errorhandler(Exception)
def handle_unexpected(error: Exception):
    current_app.logger.exception("Unhandled error", exc_info=error)
    db.session.rollback()
    return render_error(500)




# --- admins: sites ---------------------------------------------------------------------


@bp.route("/admin/sites")
@admin_required
def admin_sites():
    sites = db.session.scalars(select(Site).order_by(Site.id)).all()
    return render_template("core/admin_sites.html", sites=sites)


@bp.route("/admin/sites/new", methods=["GET", "POST"])
@admin_required
def admin_create_site():
    return _site_form(None)


@bp.route("/admin/sites/<int:site_id>/edit", methods=["GET", "POST"])
@admin_required
def admin_edit_site(site_id: int):
    return _site_form(db.get_or_404(Site, site_id))


def _site_form(site: Site | None):
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        if commit_or_refuse(
                lambda: sites.save_site(current_user, site, form.name.data, form.address.data,
                                        form.timezone.data.strip(), form.opening_hours.data,
                                        form.is_active.data),
                lambda _site: _("The site is saved."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("core.admin_sites"))
    return render_template("core/site_form.html", form=form, site=site)


# --- admins: the e-mail outbox -------------------------------------------------------------

OUTBOX_PAGE_SIZE = 50


@bp.route("/admin/outbox")
@admin_required
def admin_outbox():
    status = request.args.get("status", "")
    status = status if status in mail.STATUS_LABELS else ""
    page = page_arg()
    messages = mail.recent_messages(status or None, OUTBOX_PAGE_SIZE + 1,
                                    (page - 1) * OUTBOX_PAGE_SIZE)
    return render_template("core/admin_outbox.html", messages=messages[:OUTBOX_PAGE_SIZE],
                           status=status, page=page, has_next=len(messages) > OUTBOX_PAGE_SIZE,
                           counts=mail.status_counts(), health=mail.outbox_health(),
                           status_labels=mail.STATUS_LABELS)


# Ids stop at MAX_ID: a longer number is a 404, not an SQLite overflow (a 500).
@bp.route(f"/admin/outbox/<int(max={MAX_ID}):message_id>")
@admin_required
def admin_outbox_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("core/admin_outbox_message.html", message=message,
                           shows_text=mail.shows_text(), form=RequeueForm(),
                           status_labels=mail.STATUS_LABELS)


@bp.route(f"/admin/outbox/<int(max={MAX_ID}):message_id>/requeue", methods=["POST"])
@admin_required
def admin_outbox_requeue(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    if not RequeueForm().validate_on_submit():
        abort(400)
    commit_or_refuse(lambda: mail.requeue(current_user, message),
                     lambda _message: _("The e-mail will be sent again in a moment."))
    return redirect(url_for("core.admin_outbox_message", message_id=message.id))
