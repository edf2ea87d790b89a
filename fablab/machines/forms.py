from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (BooleanField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fablab.machines.services import KIND_LABELS, STATUS_LABELS
from fablab.memberships.forms import with_price_fields


class ResourceForm(FlaskForm):
    """Prices per tariff are added as ``price_<tariff id>`` fields by :func:`resource_form`."""

    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the name.")), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    site_id = SelectField(_l("Site"), coerce=int)
    category = StringField(_l("Category"), validators=[Optional(), Length(max=60)],
                           description=_l("For instance: laser cutting, 3D printing, textile."))
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Markdown: **bold**, lists, links."))
    safety_notes = TextAreaField(_l("Safety notes"), validators=[Optional(), Length(max=5000)])
    photo = FileField(_l("Photo"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("A photo in JPEG, PNG or WebP."))],
        description=_l("JPEG, PNG or WebP, 10 MB at most. Leave empty to keep the current one."))
    training_id = SelectField(_l("Training required"), coerce=int)
    granularity_minutes = IntegerField(_l("Booking step (minutes)"), default=30, validators=[
        InputRequired(message=_l("Please give the booking step.")), NumberRange(min=15, max=240)])
    min_duration_minutes = IntegerField(_l("Shortest booking (minutes)"), default=30, validators=[
        InputRequired(message=_l("Please give the shortest booking.")), NumberRange(min=15)])
    max_duration_minutes = IntegerField(_l("Longest booking (minutes)"), default=240, validators=[
        InputRequired(message=_l("Please give the longest booking.")), NumberRange(min=15)])
    requires_approval = BooleanField(_l("Bookings need the staff's approval"))
    capacity = IntegerField(_l("Capacity (people)"), validators=[Optional(), NumberRange(min=1)])
    active = BooleanField(_l("Shown and bookable"), default=True)
    submit = SubmitField(_l("Save"))


def resource_form(tariffs, **kwargs) -> ResourceForm:
    form_class = with_price_fields(
        ResourceForm, tariffs, lambda name: _l("Price per hour, %(tariff)s tariff (€)", tariff=name))
    return form_class(**kwargs)


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=list(STATUS_LABELS.items()))
    reason = StringField(_l("Reason, shown to members"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Change the status"))


class IncidentForm(FlaskForm):
    description = TextAreaField(_l("What is wrong?"), validators=[
        InputRequired(message=_l("Please describe the problem in a few words.")),
        Length(min=5, max=5000, message=_l("Please describe the problem in a few words."))])
    submit = SubmitField(_l("Report the problem"))


class ResolveForm(FlaskForm):
    resolution = StringField(_l("What was done"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Mark as resolved"))


class TrainingForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the training's name.")), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    validity_months = IntegerField(_l("Valid for (months)"), validators=[
        Optional(), NumberRange(min=1, max=240)],
        description=_l("Leave empty if the training never expires."))
    submit = SubmitField(_l("Save"))


class GrantForm(FlaskForm):
    member = StringField(_l("Member's e-mail address or card code"), validators=[
        InputRequired(message=_l("Please give an e-mail address or a card code.")),
        Length(max=254)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Grant the training"))
