"""Tariff categories and membership periods."""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.extensions import db

PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "free")


class Tariff(TimestampMixin, db.Model):
    """A price category: standard, solidarity, student, child… editable by admins."""

    __tablename__ = "tariffs"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    price_cents: Mapped[int] = mapped_column(default=0)  # per year
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Membership(TimestampMixin, db.Model):
    """A paid or free membership period (both days inclusive). A member is active
    while one covers today.

    Two periods of one member never overlap: the database refuses it, with an
    exclusion constraint on PostgreSQL and triggers on SQLite, both named
    ``ex_memberships_no_overlap`` and created by the migration 537a0f4ca516.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period_ordered"),
        CheckConstraint("amount_cents >= 0", name="amount_positive"),
        CheckConstraint(
            "payment_method IN ('cash', 'card', 'cheque', 'transfer', 'free')",
            name="payment_method_valid",
        ),
        Index("ix_memberships_member_period", "member_id", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id", ondelete="RESTRICT"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(default=0)
    payment_method: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(300), default="", info={"personal": True})
    recorded_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    member = relationship("User", foreign_keys=[member_id], backref="memberships")
    tariff: Mapped[Tariff] = relationship()
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on
