from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, IntegerField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TimeField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from fablab.core.forms import WEEKDAYS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BookingForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Please give the day."))])
    start = TimeField(_l("From"), validators=[InputRequired(message=_l("Please give the start."))],
                      render_kw={"step": 900})
    end = TimeField(_l("To"), validators=[InputRequired(message=_l("Please give the end."))],
                    render_kw={"step": 900})
    organisation_id = SelectField(_l("On behalf of"), coerce=int, default=0)
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=300)])
    # Staff only: book for a member, and go past the quotas.
    member = StringField(_l("Member's e-mail address or card code"),
                         validators=[Optional(), Length(max=254)])
    override = BooleanField(_l("Override the quotas (written to the audit log)"))
    submit = SubmitField(_l("Book"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Confirm"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Answer"), choices=[("accept", _l("Accept")), ("reject", _l("Refuse"))])
    reason = StringField(_l("Message to the member"), validators=[Optional(), Length(max=300)],
                         description=_l("Required for a refusal."))
    submit = SubmitField(_l("Send the answer"))


class SlotForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int)
    day = DateField(_l("Day"), validators=[InputRequired(message=_l("Please give the day."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(message=_l("Please give the start."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(message=_l("Please give the end."))])
    capacity = IntegerField(_l("Capacity (people in the space)"), default=12, validators=[
        InputRequired(message=_l("Please give the capacity.")),
        NumberRange(min=1, message=_l("The capacity is at least one person."))])
    staff_id = SelectField(_l("Staff on duty"), coerce=int, default=0)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Open the slot"))


class SeriesForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int)
    weekdays = MultiCheckboxField(_l("Every"), coerce=int, choices=WEEKDAYS)
    start_time = TimeField(_l("From"), validators=[InputRequired(message=_l("Please give the start."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(message=_l("Please give the end."))])
    first_day = DateField(_l("First day"), validators=[
        InputRequired(message=_l("Please give the first day."))])
    last_day = DateField(_l("Last day"), validators=[
        InputRequired(message=_l("Please give the last day."))])
    capacity = IntegerField(_l("Capacity (people in the space)"), default=12, validators=[
        InputRequired(message=_l("Please give the capacity.")),
        NumberRange(min=1, message=_l("The capacity is at least one person."))])
    staff_id = SelectField(_l("Staff on duty"), coerce=int, default=0)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Create the series"))


class ClosureForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int)
    first_day = DateField(_l("First day"), validators=[
        InputRequired(message=_l("Please give the first day."))])
    last_day = DateField(_l("Last day"), validators=[
        InputRequired(message=_l("Please give the last day."))])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=200)],
                         description=_l("For instance: Christmas holidays."))
    submit = SubmitField(_l("Close the site"))
