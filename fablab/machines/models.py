"""Resources (machines and rooms), their prices, the trainings they require,
the trainings granted to members, and the incidents members report."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db

RESOURCE_KINDS = ("machine", "room")
RESOURCE_STATUSES = ("available", "maintenance", "out_of_order")


class Training(TimestampMixin, db.Model):
    """A habilitation: the right to use one machine or a group of machines."""

    __tablename__ = "trainings"
    __table_args__ = (
        CheckConstraint("validity_months IS NULL OR validity_months > 0", name="validity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # None: the training never expires.
    validity_months: Mapped[Optional[int]]

    resources: Mapped[list[Resource]] = relationship(back_populates="training",
                                                     order_by="Resource.name")


class Resource(TimestampMixin, db.Model):
    """What members book: a machine or a room, at a site."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint("kind IN ('machine', 'room')", name="kind_valid"),
        CheckConstraint("status IN ('available', 'maintenance', 'out_of_order')",
                        name="status_valid"),
        CheckConstraint("granularity_minutes > 0 AND granularity_minutes % 15 = 0",
                        name="granularity_quarter_hours"),
        CheckConstraint("min_duration_minutes > 0 AND min_duration_minutes <= max_duration_minutes",
                        name="durations_ordered"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_resources_site_kind", "site_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10), default="machine")
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(60), default="")
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    safety_notes: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[Optional[str]] = mapped_column(String(200))  # a file under static/ or uploads
    status: Mapped[str] = mapped_column(String(15), default="available")
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    training_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("trainings.id", ondelete="SET NULL"), index=True)
    granularity_minutes: Mapped[int] = mapped_column(default=30)
    min_duration_minutes: Mapped[int] = mapped_column(default=30)
    max_duration_minutes: Mapped[int] = mapped_column(default=240)
    # Rooms may need staff approval: bookings start as pending requests.
    requires_approval: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[Optional[int]]  # people, for a room
    active: Mapped[bool] = mapped_column(default=True)

    site = relationship("Site")
    training: Mapped[Optional[Training]] = relationship(back_populates="resources")
    prices: Mapped[list[ResourcePrice]] = relationship(
        back_populates="resource", cascade="all, delete-orphan")

    @property
    def is_bookable(self) -> bool:
        return self.active and self.status == "available"


class ResourcePrice(db.Model):
    """Price per hour of a resource for a tariff (none: free for that tariff)."""

    __tablename__ = "resource_prices"
    __table_args__ = (
        UniqueConstraint("resource_id", "tariff_id", name="uq_resource_prices_pair"),
        CheckConstraint("price_cents_per_hour >= 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id", ondelete="CASCADE"))
    price_cents_per_hour: Mapped[int] = mapped_column(default=0)

    resource: Mapped[Resource] = relationship(back_populates="prices")
    tariff = relationship("Tariff")


class TrainingGrant(db.Model):
    """A training granted to a member by staff; valid until it expires or is revoked."""

    __tablename__ = "training_grants"
    __table_args__ = (
        # One standing grant per member and training: granting again renews it.
        Index("uq_training_grants_standing", "member_id", "training_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"),
              postgresql_where=text("revoked_at IS NULL")),
        CheckConstraint("expires_at IS NULL OR expires_at > granted_at", name="expiry_after_grant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"),
                                             index=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")

    member = relationship("User", foreign_keys=[member_id])
    granted_by = relationship("User", foreign_keys=[granted_by_id])
    training: Mapped[Training] = relationship()

    def is_valid(self, at: datetime | None = None) -> bool:
        at = at or utcnow()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


class Incident(TimestampMixin, db.Model):
    """A problem reported on a resource, until staff resolve it."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             index=True)
    reported_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(Text)
    resolved_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    resolved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(Text, default="")

    resource: Mapped[Resource] = relationship()
    reported_by = relationship("User", foreign_keys=[reported_by_id])
    resolved_by = relationship("User", foreign_keys=[resolved_by_id])
