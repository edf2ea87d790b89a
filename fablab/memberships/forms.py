from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DecimalField, IntegerField, SelectField,
                     StringField, SubmitField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fablab.memberships.services import PAYMENT_LABELS, tariff_label


class MembershipForm(FlaskForm):
    tariff = SelectField(_l("Tariff"), coerce=int,
                         validators=[InputRequired(message=_l("Please choose a tariff."))])
    starts_on = DateField(_l("First day"), validators=[
        InputRequired(message=_l("Please give the first day."))])
    ends_on = DateField(_l("Last day"), validators=[
        InputRequired(message=_l("Please give the last day."))])
    amount = DecimalField(_l("Amount paid (€)"), places=2, validators=[
        InputRequired(message=_l("Please give the amount paid (0 if free).")),
        NumberRange(min=0, message=_l("The amount cannot be negative."))])
    payment_method = SelectField(_l("Payment method"),
                                 choices=list(PAYMENT_LABELS.items()))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record the membership"))


class TariffForm(FlaskForm):
    code = StringField(_l("Code"), validators=[
        InputRequired(message=_l("Please give a code.")), Length(max=40)],
        description=_l("A short identifier, for instance “solidarity”."))
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the tariff's name.")), Length(max=80)])
    price = DecimalField(_l("Price per year (€)"), places=2, validators=[
        InputRequired(message=_l("Please give the price (0 if free).")),
        NumberRange(min=0, message=_l("The price cannot be negative."))])
    description = StringField(_l("Who it is for"), validators=[Optional(), Length(max=300)])
    position = IntegerField(_l("Order in lists"), default=0, validators=[Optional()])
    active = BooleanField(_l("Offered"), default=True)
    submit = SubmitField(_l("Save"))


def with_price_fields(form_class, tariffs, label):
    """A form class with one optional ``price_<tariff id>`` field per tariff;
    ``label(tariff_name)`` gives each field's label (machines and events price per tariff)."""

    class WithPrices(form_class):
        pass

    for tariff in tariffs:
        setattr(WithPrices, f"price_{tariff.id}", DecimalField(
            label(tariff_label(tariff)), places=2,
            validators=[Optional(), NumberRange(min=0, message=_l("A price cannot be negative."))],
            description=_l("Leave empty if it is free for this tariff.")))
    return WithPrices


def price_data(form, tariffs) -> dict[int, int | None]:
    """The prices typed in a form built by :func:`with_price_fields`, in cents."""
    prices = {}
    for tariff in tariffs:
        value = getattr(form, f"price_{tariff.id}").data
        prices[tariff.id] = None if value is None else int(value * 100)
    return prices
