from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, IntegerField,
                     SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField,
                     TimeField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fablab.core.forms import WEEKDAYS
from fablab.events.services import AUDIENCE_LABELS, KIND_LABELS


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(message=_l("Please give the title.")), Length(max=160)])
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    audience = SelectField(_l("Audience"), choices=list(AUDIENCE_LABELS.items()))
    min_age = IntegerField(_l("Youngest age"), validators=[Optional(), NumberRange(min=0, max=120)])
    max_age = IntegerField(_l("Oldest age"), validators=[Optional(), NumberRange(min=0, max=120)])
    site_id = SelectField(_l("Site"), coerce=int)
    room_id = SelectField(_l("Room"), coerce=int, default=0)
    starts_at = DateTimeLocalField(_l("Start"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(message=_l("Please give the start."))])
    ends_at = DateTimeLocalField(_l("End"), format="%Y-%m-%dT%H:%M", validators=[
        InputRequired(message=_l("Please give the end."))])
    capacity = IntegerField(_l("Seats"), default=12, validators=[
        InputRequired(message=_l("Please give the number of seats.")),
        NumberRange(min=1, message=_l("The capacity is at least one person."))])
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Markdown: **bold**, lists, links."))
    image = FileField(_l("Image"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("A photo in JPEG, PNG or WebP."))],
        description=_l("JPEG, PNG or WebP, 10 MB at most. Leave empty to keep the current one."))
    requires_membership = BooleanField(_l("For members only"))
    registration_opens_at = DateTimeLocalField(_l("Registrations open"), format="%Y-%m-%dT%H:%M",
                                               validators=[Optional()],
                                               description=_l("Empty: open now."))
    registration_closes_at = DateTimeLocalField(_l("Registrations close"), format="%Y-%m-%dT%H:%M",
                                                validators=[Optional()],
                                                description=_l("Empty: at the start."))
    animator_ids = CheckboxesField(_l("Animators"), coerce=int, validators=[Optional()])
    volunteers = StringField(_l("Volunteer animators"), validators=[Optional(), Length(max=1000)],
                             description=_l("Members who help: their e-mail addresses or card "
                                            "codes, separated by commas."))
    training_ids = CheckboxesField(_l("Trainings granted to the participants"), coerce=int,
                                       validators=[Optional()],
                                       description=_l("For a training session: attending grants these trainings."))
    scope = SelectField(_l("Apply to"), choices=[("one", _l("This event only")),
                                                 ("following", _l("This event and the following ones"))],
                        default="one")
    submit = SubmitField(_l("Save"))


class SeriesForm(EventForm):
    rule = SelectField(_l("Repeats"), choices=[("weekly", _l("Every week")),
                                               ("monthly", _l("Once a month"))])
    weekday = SelectField(_l("Day"), coerce=int, choices=WEEKDAYS)
    nth = SelectField(_l("Week of the month"), coerce=int, default=1,
                      choices=[(1, _l("First")), (2, _l("Second")), (3, _l("Third")),
                               (4, _l("Fourth"))])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=_l("Please give the start."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(message=_l("Please give the end."))])
    first_day = DateField(_l("First day"), validators=[
        InputRequired(message=_l("Please give the first day."))])
    last_day = DateField(_l("Last day"), validators=[
        InputRequired(message=_l("Please give the last day."))])
    allows_enrolment = BooleanField(_l("Members can enrol for the whole season"))
    publish_now = BooleanField(_l("Publish the sessions now"))
    submit = SubmitField(_l("Create the series"))


class ParticipantsForm(FlaskForm):
    """Who to register: the member and/or their children (values "me" or a child id)."""

    participants = CheckboxesField(_l("Who takes part?"), choices=[])
    submit = SubmitField(_l("Register"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Cancel the event"))


class RepairItemForm(FlaskForm):
    category_id = SelectField(_l("Category"), coerce=int)
    brand = StringField(_l("Brand"), validators=[Optional(), Length(max=80)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=120)])
    year_of_manufacture = IntegerField(_l("Year of manufacture"), validators=[Optional()],
                                       description=_l("When known, even roughly."))
    weight_kg = DecimalField(_l("Weight (kg)"), places=None, validators=[Optional()],
                             description=_l("Its own weight, if weighed: it counts instead of "
                                            "its category's reference weight."))
    problem = TextAreaField(_l("Problem"), validators=[
        DataRequired(message=_l("Please describe the problem in a few words.")),
        Length(max=2000)])
    outcome = SelectField(_l("Outcome"))
    barrier = SelectField(_l("Barrier to repair"), default="",
                          description=_l("When the object is not fixed."))
    owner = StringField(_l("Owner: member's e-mail address or card code"),
                        validators=[Optional(), Length(max=254)])
    owner_first_name = StringField(_l("Or the visitor's first name"),
                                   validators=[Optional(), Length(max=80)])
    repairer_id = SelectField(_l("Repairer"), coerce=int, default=0)
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Log the object"))


class RepairCorrectionForm(RepairItemForm):
    submit = SubmitField(_l("Save the correction"))
