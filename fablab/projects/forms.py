from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DecimalField, EmailField, HiddenField, SelectField,
                     SelectMultipleField, StringField, SubmitField, TextAreaField)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from fablab.projects.models import LICENCES

MARKDOWN_HELP = _l("Markdown: **bold**, lists, links, tables.")


class NewProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(message=_l("Please give the project a title.")), Length(max=120)])
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=300)],
                          description=_l("One sentence: what it is, what it does."))
    submit = SubmitField(_l("Create the draft"))


class ProjectForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        InputRequired(message=_l("Please give the project a title.")), Length(max=120)])
    summary = StringField(_l("Summary"), validators=[Optional(), Length(max=300)],
                          description=_l("One sentence: what it is, what it does."))
    intro = TextAreaField(_l("Introduction"), validators=[Optional(), Length(max=20000)],
                          description=MARKDOWN_HELP)
    difficulty = SelectField(_l("Difficulty"))
    duration_hours = DecimalField(_l("Time needed (hours)"), places=1, validators=[
        Optional(), NumberRange(min=0.1, max=10000, message=_l("From 0.1 to 10,000 hours."))])
    cost = DecimalField(_l("Cost of materials (€)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=1000000, message=_l("Please give an amount from 0 €."))])
    licence = SelectField(_l("Licence"), choices=[(k, v[0]) for k, v in LICENCES.items()],
                          description=_l("Under which terms others may reuse your work."))
    language = SelectField(_l("Language of the documentation"),
                           choices=[("fr", "Français"), ("en", "English")])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)],
                       description=_l("Separated by commas, e.g. arduino, laser, upcycling."))
    machines = SelectMultipleField(_l("Machines used"), coerce=int,
                                   description=_l("Hold Ctrl (or Cmd) to choose several."))
    submit = SubmitField(_l("Save"))


class StepForm(FlaskForm):
    title = StringField(_l("Step title"), validators=[
        InputRequired(message=_l("Please give the step a title.")), Length(max=120)])
    body = TextAreaField(_l("Instructions"), validators=[Optional(), Length(max=20000)],
                         description=MARKDOWN_HELP)
    image = FileField(_l("Image (optional)"),
                      description=_l("JPEG, PNG or WebP; its location data is removed."))
    remove_image = BooleanField(_l("Remove the image"))
    submit = SubmitField(_l("Save the step"))


class FileForm(FlaskForm):
    upload = FileField(_l("File or image"), validators=[
        InputRequired(message=_l("Please choose a file."))],
        description=_l("STL, 3MF, STEP, DXF, SVG, SCAD, FCStd, Gerber ZIP, INO, PDF, or an "
                       "image (JPEG, PNG, WebP)."))
    submit = SubmitField(_l("Upload"))


class BomForm(FlaskForm):
    name = StringField(_l("Material or part"), validators=[
        InputRequired(message=_l("Please name the material or part.")), Length(max=120)])
    quantity = StringField(_l("Quantity"), validators=[
        InputRequired(message=_l("Please give a quantity, e.g. 2 or 0.5.")), Length(max=20)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)],
                       description=_l("e.g. pcs, m, g, sheet 60×30 cm"))
    source = StringField(_l("Source or note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Add the line"))


class InviteForm(FlaskForm):
    email = EmailField(_l("Co-author's e-mail address"), validators=[
        InputRequired(message=_l("Please give an e-mail address.")), Length(max=254)],
        description=_l("They must have an account; they will be able to edit the project."))
    submit = SubmitField(_l("Invite"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[
        InputRequired(message=_l("Please give a reason.")), Length(max=2000)])
    submit = SubmitField(_l("Send"))


class MoveForm(FlaskForm):
    direction = HiddenField()
