"""Account forms. Labels use lazy_gettext so they follow the request's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, HiddenField, IntegerField, PasswordField,
                     SelectField, StringField, SubmitField, TelField, TextAreaField)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(label=None):
    return EmailField(label or _l("E-mail address"), filters=[strip], validators=[
        InputRequired(message=_l("Please give your e-mail address.")),
        Email(message=_l("This e-mail address is not valid."), check_deliverability=False),
        Length(max=254),
    ], render_kw={"autocomplete": "email"})


class RegisterForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    email = email_field()
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Please choose a password."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 10 characters."))
    submit = SubmitField(_l("Create my account"))


class LoginForm(FlaskForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[
        InputRequired(message=_l("Please give your password."))],
        render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Log in"))


class EmailOnlyForm(FlaskForm):
    email = email_field()
    submit = SubmitField(_l("Send the link"))


class NewPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        InputRequired(message=_l("Please choose a password."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 10 characters."))
    submit = SubmitField(_l("Save the new password"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[
        InputRequired(message=_l("Please give your current password."))],
        render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[
        InputRequired(message=_l("Please choose a password."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 10 characters."))
    submit = SubmitField(_l("Change my password"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"})
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)],
                     render_kw={"autocomplete": "tel"})
    commune = StringField(_l("Home town"), validators=[Optional(), Length(max=120)],
                          description=_l("Optional: helps the lab report where its public comes from."))
    birth_year = IntegerField(_l("Birth year"), validators=[
        Optional(), NumberRange(min=1900, max=2100, message=_l("Please give a valid birth year."))],
        description=_l("Optional."))
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Save"))


class ChildForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[
        InputRequired(message=_l("Please give the child's first name.")), Length(max=80)])
    birth_year = IntegerField(_l("Birth year"), validators=[
        InputRequired(message=_l("Please give the birth year.")),
        NumberRange(min=1990, max=2200, message=_l("Please give a valid birth year."))])
    submit = SubmitField(_l("Add the child"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[
        InputRequired(message=_l("Please give your password."))],
        render_kw={"autocomplete": "current-password"})
    confirm = BooleanField(_l("I understand that my account will be deleted for good."),
                           validators=[InputRequired(message=_l("Please tick the box to confirm."))])
    submit = SubmitField(_l("Delete my account"))


class ConfirmForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class MemberCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the member's name.")), Length(max=120)])
    email = email_field()
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Create the account"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[
        ("member", _l("Member")), ("staff", _l("Staff")), ("admin", _l("Administrator"))])
    submit = SubmitField(_l("Change the role"))


ORGANISATION_KIND_CHOICES = [
    ("association", _l("Association")),
    ("school", _l("School")),
    ("municipal", _l("Municipal service")),
    ("company", _l("Company")),
    ("other", _l("Other")),
]


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the organisation's name.")), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=ORGANISATION_KIND_CHOICES)
    email = EmailField(_l("E-mail address"), validators=[
        Optional(), Email(message=_l("This e-mail address is not valid."),
                          check_deliverability=False), Length(max=254)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save"))


class OrganisationMemberForm(FlaskForm):
    member = StringField(_l("Member's e-mail address or card code"), validators=[
        InputRequired(message=_l("Please give an e-mail address or a card code.")),
        Length(max=254)])
    responsible = BooleanField(_l("Responsible for the organisation"))
    submit = SubmitField(_l("Add the member"))


# --- the skills directory (issue 6) ----------------------------------------------------


class PublicProfileForm(FlaskForm):
    display_name = StringField(_l("Public name"), validators=[
        InputRequired(message=_l("Please choose the name shown to the public.")),
        Length(max=60)],
        description=_l("Shown as author of your projects and in the skills directory, "
                       "instead of your name. A first name, a nickname…"))
    about = TextAreaField(_l("A few words about you (optional)"),
                          validators=[Optional(), Length(max=500)])
    in_directory = BooleanField(_l("List me in the skills directory"),
                                description=_l("Visitors see your public name and skills; "
                                               "members can write to you through the site, "
                                               "without seeing your e-mail address."))
    submit = SubmitField(_l("Save"))


def skill_level_choices():
    return [("beginner", _l("beginner")), ("confirmed", _l("confirmed")),
            ("expert", _l("expert"))]


class SkillForm(FlaskForm):
    name = StringField(_l("Skill"), validators=[
        InputRequired(message=_l("Please name the skill.")), Length(max=60)],
        description=_l("e.g. Arduino, sewing, woodwork, Inkscape"))
    level = SelectField(_l("Level"), choices=skill_level_choices())
    submit = SubmitField(_l("Add the skill"))


class SkillMessageForm(FlaskForm):
    body = TextAreaField(_l("Your message"), validators=[
        InputRequired(message=_l("Please write a few words (10 characters at least).")),
        Length(min=10, max=3000, message=_l("From 10 to 3,000 characters."))],
        description=_l("Your public name and your e-mail address are given to them so "
                       "that they can answer you."))
    submit = SubmitField(_l("Send the message"))
