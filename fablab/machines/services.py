"""Rules of resources, trainings and incidents."""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from fablab.core import audit
from fablab.core.errors import DomainError, ensure_unique
from fablab.core.sites import slugify
from fablab.core.timeutil import utcnow
from fablab.extensions import db
from fablab.machines import signals
from fablab.machines.models import (RESOURCE_KINDS, RESOURCE_STATUSES, Incident, Resource,
                                    ResourcePrice, Training, TrainingGrant)

STATUS_LABELS = {
    "available": _l("Available"),
    "maintenance": _l("In maintenance"),
    "out_of_order": _l("Out of order"),
}
KIND_LABELS = {"machine": _l("Machine"), "room": _l("Room")}


# --- resources -----------------------------------------------------------------------


def list_resources(kind: str | None = None, site_id: int | None = None,
                   category: str | None = None, include_inactive: bool = False) -> list[Resource]:
    stmt = (select(Resource)
            .options(selectinload(Resource.prices).selectinload(ResourcePrice.tariff),
                     selectinload(Resource.training), selectinload(Resource.site))
            .order_by(Resource.kind, Resource.category, Resource.name))
    if not include_inactive:
        stmt = stmt.where(Resource.active.is_(True))
    if kind in RESOURCE_KINDS:
        stmt = stmt.where(Resource.kind == kind)
    if site_id:
        stmt = stmt.where(Resource.site_id == site_id)
    if category:
        stmt = stmt.where(Resource.category == category)
    return db.session.scalars(stmt).all()


def categories() -> list[str]:
    return db.session.scalars(
        select(Resource.category).where(Resource.active.is_(True), Resource.category != "")
        .distinct().order_by(Resource.category)).all()


def resource_by_slug(slug: str) -> Resource | None:
    return db.session.scalar(select(Resource).where(Resource.slug == slug))


RESOURCE_FIELDS = ("site_id", "kind", "name", "category", "summary", "description",
                   "safety_notes", "photo", "training_id", "granularity_minutes", "min_duration_minutes",
                   "max_duration_minutes", "requires_approval", "capacity", "active")


def save_resource(actor, resource: Resource | None, prices: dict[int, int] | None = None,
                  **fields) -> Resource:
    name = (fields.get("name") or "").strip()
    if not name:
        raise DomainError(_("Please give the name."), "name")
    if fields.get("kind") not in RESOURCE_KINDS:
        raise DomainError(_("Please choose machine or room."), "kind")
    granularity = fields.get("granularity_minutes") or 0
    minimum, maximum = fields.get("min_duration_minutes") or 0, fields.get("max_duration_minutes") or 0
    if granularity <= 0 or granularity % 15:
        raise DomainError(_("The booking step is a multiple of 15 minutes."), "granularity_minutes")
    if minimum <= 0 or minimum % granularity or maximum % granularity:
        raise DomainError(_("Durations are multiples of the booking step."), "min_duration_minutes")
    if maximum < minimum:
        raise DomainError(_("The longest booking cannot be shorter than the shortest."),
                          "max_duration_minutes")
    creating = resource is None
    if creating:
        resource = Resource(slug=_free_slug(slugify(name)))
        db.session.add(resource)
    for key in RESOURCE_FIELDS:
        if key in fields and not (key == "photo" and not fields[key]):
            value = fields[key]
            setattr(resource, key, value.strip() if isinstance(value, str) else value)
    if prices is not None:
        _set_prices(resource, prices)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("These settings are not valid.")) from error
    audit.record(actor, "resource.create" if creating else "resource.update", resource,
                 summary=name)
    return resource


def _set_prices(resource: Resource, prices: dict[int, int]) -> None:
    current = {price.tariff_id: price for price in resource.prices}
    for tariff_id, cents in prices.items():
        if cents is None:
            if tariff_id in current:
                resource.prices.remove(current[tariff_id])
            continue
        if cents < 0:
            raise DomainError(_("A price cannot be negative."))
        if tariff_id in current:
            current[tariff_id].price_cents_per_hour = cents
        else:
            resource.prices.append(ResourcePrice(tariff_id=tariff_id, price_cents_per_hour=cents))


def _free_slug(base: str) -> str:
    slug, n = base[:70], 1
    while db.session.scalar(select(Resource.id).where(Resource.slug == slug)) is not None:
        n += 1
        slug = f"{base[:70]}-{n}"
    return slug


def set_status(actor, resource: Resource, status: str, reason: str = "") -> int:
    """Change a resource's status; out of order or in maintenance cancels its
    future bookings and tells the members. Returns how many were cancelled."""
    if status not in RESOURCE_STATUSES:
        raise DomainError(_("Unknown status."), "status")
    reason = (reason or "").strip()
    if status != "available" and not reason:
        raise DomainError(_("Please say why, for the members."), "reason")
    previous = resource.status
    resource.status, resource.status_reason = status, reason if status != "available" else ""
    cancelled = 0
    if status != "available":  # the booking domain cancels the future bookings
        cancelled = sum(count or 0 for _receiver, count in signals.resource_unavailable.send(
            resource, actor=actor, reason=reason))
    audit.record(actor, "resource.status", resource, summary=f"{previous} → {status}",
                 reason=reason, cancelled=cancelled)
    return cancelled


def price_for(resource: Resource, tariff_id: int | None) -> int | None:
    for price in resource.prices:
        if price.tariff_id == tariff_id:
            return price.price_cents_per_hour
    return None


# --- trainings -----------------------------------------------------------------------


def save_training(actor, training: Training | None, name: str, description: str = "",
                  validity_months: int | None = None) -> Training:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Please give the training's name."), "name")
    if validity_months is not None and validity_months <= 0:
        raise DomainError(_("The validity is a number of months, or empty."), "validity_months")
    ensure_unique(Training.name, name, training, _("Another training has this name."), "name",
                  ignore_case=True)
    creating = training is None
    if creating:
        training = Training(name=name)
        db.session.add(training)
    training.name, training.description = name, (description or "").strip()
    training.validity_months = validity_months
    db.session.flush()
    audit.record(actor, "training.create" if creating else "training.update", training,
                 summary=name)
    return training


def standing_grant(member, training_id: int) -> TrainingGrant | None:
    return db.session.scalar(select(TrainingGrant).where(
        TrainingGrant.member_id == member.id, TrainingGrant.training_id == training_id,
        TrainingGrant.revoked_at.is_(None)))


def has_valid_training(member, training_id: int | None, at: datetime | None = None) -> bool:
    if training_id is None:
        return True
    grant = standing_grant(member, training_id)
    return grant is not None and grant.is_valid(at)


def grant_training(actor, member, training: Training, note: str = "",
                   granted_at: datetime | None = None) -> TrainingGrant:
    """Grant (or renew) a training; it expires after the training's validity."""
    if member is None or member.anonymised_at or not member.active:
        raise DomainError(_("This member cannot be trained: the account is not active."), "member")
    granted_at = granted_at or utcnow()
    expires_at = (granted_at + relativedelta(months=training.validity_months)
                  if training.validity_months else None)
    grant = standing_grant(member, training.id)
    creating = grant is None
    if creating:
        grant = TrainingGrant(member_id=member.id, training_id=training.id)
    grant.granted_at, grant.expires_at = granted_at, expires_at
    grant.granted_by_id, grant.note = getattr(actor, "id", None), (note or "").strip()
    try:
        # Added inside the savepoint: a concurrent grant rolls back the savepoint only.
        with db.session.begin_nested():
            if creating:
                db.session.add(grant)
            db.session.flush()
    except IntegrityError as error:  # a concurrent grant of the same training
        raise DomainError(_("This member was trained at the same moment; reload the page.")) \
            from error
    audit.record(actor, "training.grant", training, summary=member.name, member_id=member.id)
    return grant


def revoke_training(actor, grant: TrainingGrant) -> None:
    if grant.revoked_at is not None:
        raise DomainError(_("This training is already revoked."))
    grant.revoked_at, grant.revoked_by_id = utcnow(), getattr(actor, "id", None)
    audit.record(actor, "training.revoke", grant.training, summary=grant.member.name,
                 member_id=grant.member_id)


def grants_of_training(training: Training) -> list[TrainingGrant]:
    return db.session.scalars(
        select(TrainingGrant).where(TrainingGrant.training_id == training.id,
                                    TrainingGrant.revoked_at.is_(None))
        .options(selectinload(TrainingGrant.member))
        .order_by(TrainingGrant.granted_at.desc())).all()


def grants_of_member(member) -> list[TrainingGrant]:
    return db.session.scalars(
        select(TrainingGrant).where(TrainingGrant.member_id == member.id,
                                    TrainingGrant.revoked_at.is_(None))
        .options(selectinload(TrainingGrant.training).selectinload(Training.resources))
        .order_by(TrainingGrant.granted_at.desc())).all()


def list_trainings() -> list[Training]:
    return db.session.scalars(select(Training).options(selectinload(Training.resources))
                              .order_by(Training.name)).all()


# --- incidents -----------------------------------------------------------------------


def report_incident(reporter, resource: Resource, description: str) -> Incident:
    description = (description or "").strip()
    if len(description) < 5:
        raise DomainError(_("Please describe the problem in a few words."), "description")
    incident = Incident(resource=resource, reported_by_id=getattr(reporter, "id", None),
                        description=description[:5000])
    db.session.add(incident)
    db.session.flush()
    return incident


def resolve_incident(actor, incident: Incident, resolution: str = "") -> None:
    if incident.resolved_at is not None:
        raise DomainError(_("This incident is already resolved."))
    incident.resolved_at, incident.resolved_by_id = utcnow(), actor.id
    incident.resolution = (resolution or "").strip()
    audit.record(actor, "incident.resolve", incident, summary=incident.resource.name)


def open_incidents(resource: Resource | None = None) -> list[Incident]:
    stmt = (select(Incident).where(Incident.resolved_at.is_(None))
            .options(selectinload(Incident.resource), selectinload(Incident.reported_by))
            .order_by(Incident.created_at.desc()))
    if resource is not None:
        stmt = stmt.where(Incident.resource_id == resource.id)
    return db.session.scalars(stmt).all()


def export_trainings(member) -> list[dict]:
    return [{"training": g.training.name, "granted_at": g.granted_at.isoformat(),
             "expires_at": g.expires_at.isoformat() if g.expires_at else None}
            for g in grants_of_member(member)]
