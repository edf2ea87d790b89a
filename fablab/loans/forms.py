from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (BooleanField, DecimalField, IntegerField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp

from fablab.loans.services import LENDABLE_LABELS, MANUAL_STATUSES, STATUS_LABELS

money_validators = [Optional(), NumberRange(min=0, max=100000,
                                            message=_l("Please give an amount from 0 €."))]


class ItemForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the item's name.")), Length(max=120)])
    code = StringField(_l("Label code"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))],
        description=_l("Printed on the label, e.g. OBJ-0042. Empty: the next free code."))
    category = StringField(_l("Category"), validators=[Optional(), Length(max=60)])
    site_id = SelectField(_l("Site"), coerce=int)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)],
                                description=_l("Markdown: **bold**, lists, links."))
    photo = FileField(_l("Photo"), validators=[
        FileAllowed(["jpg", "jpeg", "png", "webp"], _l("A photo in JPEG, PNG or WebP."))],
        description=_l("JPEG, PNG or WebP, 10 MB at most. Leave empty to keep the current one."))
    value = DecimalField(_l("Value (€)"), places=2, validators=money_validators)
    deposit = DecimalField(_l("Deposit (€)"), places=2, validators=money_validators)
    loan_days = IntegerField(_l("Loan period (days)"), default=14, validators=[
        InputRequired(message=_l("Please give the loan period.")),
        NumberRange(min=1, max=365, message=_l("From 1 to 365 days."))])
    max_renewals = IntegerField(_l("Renewals allowed"), default=1, validators=[
        InputRequired(message=_l("Please give the number of renewals.")),
        NumberRange(min=0, max=20, message=_l("From 0 to 20."))])
    condition_id = SelectField(_l("Condition"), coerce=int)
    location = StringField(_l("Shelf or location"), validators=[Optional(), Length(max=120)])
    lendable_to = SelectField(_l("Who may borrow it"), choices=list(LENDABLE_LABELS.items()))
    training_id = SelectField(_l("Training required"), coerce=int)
    submit = SubmitField(_l("Save"))


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[(s, STATUS_LABELS[s]) for s in MANUAL_STATUSES])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Change the status"))


class ConditionForm(FlaskForm):
    name = StringField(_l("New condition"), validators=[
        InputRequired(message=_l("Please give the condition's name.")), Length(max=60)])
    submit = SubmitField(_l("Add"))


class ReturnForm(FlaskForm):
    condition_id = SelectField(_l("Condition on return"), coerce=int)
    damaged = BooleanField(_l("Damaged: send it to maintenance"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save the return"))
