"""The desk's forms: the "+1 visitor" control."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from fablab.desk.visits import AGE_GROUP_LABELS, REASON_LABELS


class WalkInForm(FlaskForm):
    site_id = HiddenField()
    reason = SelectField(_l("Reason for coming"), validators=[Optional()])
    age_group = SelectField(_l("Age group"), validators=[Optional()])
    commune = StringField(_l("Home town"), validators=[Optional(), Length(max=120)],
                          description=_l("Optional, anonymous."))
    submit = SubmitField(_l("+1 visitor"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unknown = [("", _l("Not given"))]
        self.reason.choices = unknown + list(REASON_LABELS.items())
        self.age_group.choices = unknown + list(AGE_GROUP_LABELS.items())
