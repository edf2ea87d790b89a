"""Account pages: sign-up, login, password reset, the member's own account,
the staff's member directory and organisations, and the admins' pages."""

from __future__ import annotations

import json

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from fablab.accounts import bp, services, signals
from fablab.accounts.forms import (ChangePasswordForm, ChildForm, ConfirmForm, DeleteAccountForm,
                                   EmailOnlyForm, LoginForm, MemberCreateForm, NewPasswordForm,
                                   OrganisationForm, OrganisationMemberForm, ProfileForm,
                                   PublicProfileForm, RegisterForm, RoleForm, SkillForm,
                                   SkillMessageForm)
from fablab.accounts.models import Organisation, Skill, User
from fablab.core.errors import DomainError
from fablab.core.forms import commit_or_refuse, flash_form_errors, page_arg, safe_next, show_error
from fablab.core.models import AuditLog
from fablab.core.permissions import admin_required, staff_required
from fablab.core.templating import page_parts
from fablab.extensions import db, limiter, login_manager

def _limit(name: str):
    return limiter.limit(lambda: current_app.config[name], methods=["POST"])


# --- sign-up, confirmation, login ------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@_limit("REGISTER_RATE_LIMIT")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        from flask_babel import get_locale

        if commit_or_refuse(
                lambda: services.register(form.name.data, form.email.data, form.password.data,
                                          locale=str(get_locale())),
                lambda _user: _("Welcome! We have sent you an e-mail: follow its link to "
                                "confirm your address, then log in."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.login"))
    return render_template("accounts/register.html", form=form)


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    try:
        services.confirm_email(token)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("accounts.resend_confirmation"))
    db.session.commit()
    flash(_("Your e-mail address is confirmed. You can log in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def resend_confirmation():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        db.session.commit()
        flash(_("If this address has an account waiting for confirmation, "
                "a new link is on its way."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend_confirmation.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_RATE_LIMIT")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Hello %(name)s!", name=user.name), "success")
            return redirect(safe_next(form.next.data, url_for("accounts.account")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RESET_RATE_LIMIT")
def request_reset():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses this address, we have sent it a link to choose a new "
                "password. The link is valid for one hour."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("accounts.request_reset"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        if commit_or_refuse(lambda: services.reset_password(token, form.password.data),
                            lambda _user: _("Your password is changed. You can log in."),
                            refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


# --- the member's own account ----------------------------------------------------------


@bp.route("/account")
@login_required
def account():
    return render_template(
        "accounts/account.html",
        parts=page_parts(signals.account_page, current_user),  # the membership
        child_form=ChildForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/account/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        if commit_or_refuse(
                lambda: services.update_profile(current_user, **{
                    name: form[name].data for name in services.PROFILE_FIELDS}),
                lambda _done: _("Your profile is saved."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.account"))
    return render_template("accounts/profile.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if commit_or_refuse(
                lambda: services.change_password(current_user, form.current_password.data,
                                                 form.password.data),
                lambda _done: _("Your password is changed."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.account"))
    return render_template("accounts/password.html", form=form)


@bp.route("/account/children", methods=["POST"])
@login_required
def add_child():
    form = ChildForm()
    if form.validate_on_submit():
        commit_or_refuse(
            lambda: services.add_child(current_user, form.first_name.data, form.birth_year.data),
            lambda child: _("%(name)s is added to your account.", name=child.first_name))
    else:
        flash_form_errors(form)
    return redirect(url_for("accounts.account") + "#children")


@bp.route("/account/children/<int:child_id>/delete", methods=["POST"])
@login_required
def remove_child(child_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_child(current_user, child_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("The child is removed from your account."), "success")
    return redirect(url_for("accounts.account") + "#children")


@bp.route("/account/export")
@login_required
def export_data():
    data = services.export_data(current_user)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-fablab-data.json"'},
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account is deleted. Thank you for coming to the lab!"), "info")
            return redirect(url_for("core.home"))
    return render_template("accounts/delete.html", form=form)


# --- staff: members and organisations ---------------------------------------------------

PAGE_SIZE = 50


@bp.route("/members")
@staff_required
def members():
    query = request.args.get("q", "")
    page = page_arg()
    results = services.search_members(query, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render_template("accounts/members.html", members=results[:PAGE_SIZE], query=query,
                           page=page, has_next=len(results) > PAGE_SIZE)


@bp.route("/members/new", methods=["GET", "POST"])
@staff_required
def create_member():
    form = MemberCreateForm()
    if form.validate_on_submit():
        try:
            member = services.create_member_at_desk(
                current_user, form.name.data, form.email.data, form.phone.data, form.locale.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The account is created; %(name)s received an e-mail to choose a password.",
                    name=member.name), "success")
            return redirect(url_for("accounts.member", user_id=member.id))
    return render_template("accounts/member_new.html", form=form)


@bp.route("/members/<int:user_id>")
@staff_required
def member(user_id: int):
    user = db.get_or_404(User, user_id)
    if user.anonymised_at:
        abort(404)
    return render_template("accounts/member.html", member=user,
                           parts=page_parts(signals.member_page, user),  # membership, trainings…
                           role_form=RoleForm(role=user.role), confirm_form=ConfirmForm())


@bp.route("/organisations")
@staff_required
def organisations():
    rows = db.session.execute(
        select(Organisation, func.count(User.id))
        .outerjoin(Organisation.member_links).outerjoin(User)
        .group_by(Organisation.id).order_by(Organisation.name)
    ).all()
    return render_template("accounts/organisations.html", rows=rows)


@bp.route("/organisations/new", methods=["GET", "POST"])
@staff_required
def create_organisation():
    return _organisation_form(None)


@bp.route("/organisations/<int:organisation_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_organisation(organisation_id: int):
    return _organisation_form(db.get_or_404(Organisation, organisation_id))


def _organisation_form(organisation: Organisation | None):
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        try:
            organisation = services.save_organisation(current_user, organisation, **form.data)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The organisation is saved."), "success")
            return redirect(url_for("accounts.organisation", organisation_id=organisation.id))
    return render_template("accounts/organisation_form.html", form=form,
                           organisation=organisation)


@bp.route("/organisations/<int:organisation_id>")
@staff_required
def organisation(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    return render_template("accounts/organisation.html", organisation=organisation,
                           form=OrganisationMemberForm(), confirm_form=ConfirmForm())


@bp.route("/organisations/<int:organisation_id>/members", methods=["POST"])
@staff_required
def add_organisation_member(organisation_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    form = OrganisationMemberForm()
    if form.validate_on_submit():
        member = services.member_by_email_or_card(form.member.data)
        if commit_or_refuse(
                lambda: services.add_organisation_member(current_user, organisation, member,
                                                         form.responsible.data),
                lambda _done: _("%(name)s now belongs to the organisation.", name=member.name),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.organisation", organisation_id=organisation.id))
    return render_template("accounts/organisation.html", organisation=organisation, form=form,
                           confirm_form=ConfirmForm()), 400


@bp.route("/organisations/<int:organisation_id>/members/<int:link_id>/delete", methods=["POST"])
@staff_required
def remove_organisation_member(organisation_id: int, link_id: int):
    organisation = db.get_or_404(Organisation, organisation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.remove_organisation_member(current_user, organisation, link_id)
    except DomainError:
        abort(404)
    db.session.commit()
    flash(_("The member is removed from the organisation."), "success")
    return redirect(url_for("accounts.organisation", organisation_id=organisation.id))


# --- admins: roles, deactivation, audit log ------------------------------------------------


@bp.route("/admin/users")
@admin_required
def admin_users():
    role = request.args.get("role", "")
    stmt = select(User).where(User.anonymised_at.is_(None))
    if role in ("member", "staff", "admin"):
        stmt = stmt.where(User.role == role)
    else:
        stmt = stmt.where(User.role != "member")
    users = db.session.scalars(stmt.order_by(User.name)).all()
    return render_template("accounts/admin_users.html", users=users, role=role)


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@admin_required
def admin_set_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        commit_or_refuse(lambda: services.set_role(current_user, user, form.role.data),
                         lambda _done: _("The role of %(name)s is changed.", name=user.name))
    else:
        flash_form_errors(form)
    return redirect(url_for("accounts.member", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def admin_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@admin_required
def admin_activate(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    commit_or_refuse(lambda: services.set_active(current_user, user, active),
                     lambda _done: _("The account is reactivated.") if active
                     else _("The account is deactivated."))
    return redirect(url_for("accounts.member", user_id=user.id))


@bp.route("/admin/audit")
@admin_required
def admin_audit():
    page = page_arg()
    entries = db.session.scalars(
        select(AuditLog).order_by(AuditLog.id.desc())
        .limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
        .options(joinedload(AuditLog.actor))
    ).all()
    return render_template("accounts/admin_audit.html", entries=entries[:PAGE_SIZE], page=page,
                           has_next=len(entries) > PAGE_SIZE)


# --- the skills directory (issue 6) ----------------------------------------------------


@bp.route("/skills")
def skills_directory():
    """Who can help me with…: listed members, by public name and skills only."""
    q = (request.args.get("q") or "").strip()[:60]
    page = page_arg()
    size = 30
    profiles = services.skills_directory(q, limit=size + 1, offset=(page - 1) * size)
    return render_template("accounts/skills_directory.html", profiles=profiles[:size], q=q,
                           page=page, has_next=len(profiles) > size,
                           levels=services.skill_level_labels())


@bp.route("/account/skills", methods=["GET", "POST"])
@login_required
def skills_profile():
    profile = services.public_profile(current_user, create=False)
    profile_form = PublicProfileForm(prefix="profile", obj=profile)
    if profile is None and request.method == "GET":
        profile_form.display_name.data = services.default_display_name(current_user)
    skill_form = SkillForm(prefix="skill")
    if request.method == "POST":
        which = request.form.get("form")
        form = skill_form if which == "skill" else profile_form
        if form.validate_on_submit():
            try:
                if which == "skill":
                    services.add_skill(current_user, form.name.data, form.level.data)
                else:
                    services.save_public_profile(current_user, form.display_name.data,
                                                 form.about.data, form.in_directory.data)
            except DomainError as error:
                db.session.rollback()
                show_error(form, error)
            else:
                db.session.commit()
                flash(_("Your skills are saved.") if which == "skill"
                      else _("Your public profile is saved."), "success")
                return redirect(url_for("accounts.skills_profile"))
    return render_template("accounts/skills_profile.html", profile=profile,
                           profile_form=profile_form, skill_form=skill_form,
                           skills=current_user.skills, levels=services.skill_level_labels())


@bp.route("/account/skills/<int:skill_id>/delete", methods=["POST"])
@login_required
def remove_skill(skill_id: int):
    skill = db.session.get(Skill, skill_id)
    if skill is None or skill.user_id != current_user.id:
        abort(404)
    services.remove_skill(current_user, skill_id)
    db.session.commit()
    flash(_("The skill is removed."), "success")
    return redirect(url_for("accounts.skills_profile"))


@bp.route("/skills/<int:user_id>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SKILL_MESSAGE_RATE_LIMIT"], methods=["POST"])
def skills_member(user_id: int):
    """A listed member's public name and skills; members write to them here."""
    profile = services.listed_profile(user_id)
    if request.method == "POST" and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if profile is None:
        abort(404)
    form = SkillMessageForm()
    if current_user.is_authenticated and form.validate_on_submit():
        if commit_or_refuse(
                lambda: services.send_skill_message(current_user, user_id, form.body.data),
                lambda _done: _("Your message is sent: they will answer you by e-mail."),
                refused=lambda error: show_error(form, error)):
            return redirect(url_for("accounts.skills_member", user_id=user_id))
    return render_template("accounts/skills_member.html", profile=profile, form=form,
                           levels=services.skill_level_labels())
