"""Sites: the places a lab runs. Forms and rules for the admins' pages."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from fablab.core import audit
from fablab.core.errors import DomainError, ensure_unique
from fablab.core.models import Closure, Site
from fablab.extensions import db


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        InputRequired(message=_l("Please give the site's name.")), Length(max=120)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    timezone = StringField(_l("Time zone"), default="Europe/Paris",
                           validators=[InputRequired(message=_l("Please give a time zone.")),
                                       Length(max=60)],
                           description=_l("For instance Europe/Paris."))
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Optional(), Length(max=2000)])
    is_active = BooleanField(_l("Open to the public"), default=True)
    submit = SubmitField(_l("Save"))


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "site"


def active_sites() -> list[Site]:
    return db.session.scalars(select(Site).where(Site.is_active.is_(True)).order_by(Site.id)).all()


def save_site(actor, site: Site | None, name: str, address: str = "", timezone: str = "Europe/Paris",
              opening_hours: str = "", is_active: bool = True) -> Site:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please give the site's name."), "name")
    if timezone not in available_timezones():
        raise DomainError(_("Unknown time zone: use a name such as Europe/Paris."), "timezone")
    ensure_unique(Site.name, name, site, _("Another site has this name."), "name",
                  ignore_case=True)
    creating = site is None
    if creating:
        site = Site(name=name, slug=_free_slug(slugify(name)))
        db.session.add(site)
    site.name, site.address, site.timezone = name, (address or "").strip(), timezone
    site.opening_hours, site.is_active = (opening_hours or "").strip(), is_active
    db.session.flush()
    audit.record(actor, "site.create" if creating else "site.update", site, summary=name)
    return site


def _free_slug(base: str) -> str:
    slug, n = base, 1
    while db.session.scalar(select(Site.id).where(Site.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def closure_covering(site_id: int, day: date) -> Closure | None:
    """The closure of the site that covers ``day``, if any."""
    return db.session.scalar(select(Closure).where(
        Closure.site_id == site_id, Closure.first_day <= day, Closure.last_day >= day).limit(1))
