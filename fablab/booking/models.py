"""Open-access slots (créneaux d'accès libre), their weekly series, and bookings of a
resource inside a slot. Closures (a site's closed days) are core's: loans use them too.

No two live bookings (pending or confirmed) of one resource overlap: the
database refuses it, with an exclusion constraint on PostgreSQL and triggers on
SQLite (where writers are serialised, see ``core.db.configure_sqlite_transactions``).
Both are created by the migration that adds the ``bookings`` table.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.extensions import db

BOOKING_STATUSES = ("pending", "confirmed", "rejected", "cancelled")
LIVE_STATUSES = ("pending", "confirmed")


class SlotSeries(TimestampMixin, db.Model):
    """A weekly pattern of open slots over a season, in the site's local time."""

    __tablename__ = "slot_series"
    __table_args__ = (
        CheckConstraint("end_time > start_time", name="times_ordered"),
        CheckConstraint("last_day >= first_day", name="days_ordered"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    weekdays: Mapped[str] = mapped_column(String(20))  # ISO weekdays, "3,6" = Wed and Sat
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(default=12)
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")

    site = relationship("Site")


class OpenSlot(TimestampMixin, db.Model):
    """Opening hours during which members book machines."""

    __tablename__ = "open_slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        Index("ix_open_slots_site_start", "site_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    series_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("slot_series.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=12)  # people in the space
    staff_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")

    site = relationship("Site")
    staff = relationship("User", foreign_keys=[staff_id])
    series: Mapped[Optional[SlotSeries]] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Booking(TimestampMixin, db.Model):
    """A member's (or an organisation's) use of a resource for a time range."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("status IN ('pending', 'confirmed', 'rejected', 'cancelled')",
                        name="status_valid"),
        Index("ix_bookings_resource_start", "resource_id", "starts_at"),
        Index("ix_bookings_member_start", "member_id", "starts_at"),
        Index("ix_bookings_start", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"))
    slot_id: Mapped[Optional[int]] = mapped_column(ForeignKey("open_slots.id", ondelete="SET NULL"),
                                                   index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    purpose: Mapped[str] = mapped_column(String(300), default="", info={"personal": True})
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    quota_override: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    no_show: Mapped[bool] = mapped_column(default=False)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(String(300), default="")
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    resource = relationship("Resource")
    member = relationship("User", foreign_keys=[member_id])
    organisation = relationship("Organisation")
    slot: Mapped[Optional[OpenSlot]] = relationship()

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def duration_hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600
