"""Items of the lending library, their loans, the holds members place on them,
and each item's history.

One open loan per item and one ready hold per item are partial unique indexes:
two staff checking out the same item at once end with one loan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db

ITEM_STATUSES = ("available", "on_loan", "held", "maintenance", "missing", "retired")
# Who may borrow an item.
LENDABLE_TO = ("members", "organisations", "all")
HOLD_STATUSES = ("waiting", "ready", "collected", "cancelled", "expired")
LIVE_HOLD_STATUSES = ("waiting", "ready")


class ItemCondition(db.Model):
    """An entry of the editable list of conditions (new, good, worn, damaged…)."""

    __tablename__ = "item_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Seeded conditions have a code (their name is translated); added ones have none.
    code: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class Item(TimestampMixin, db.Model):
    """A thing of the lending library, with the code printed on its label."""

    __tablename__ = "items"
    __table_args__ = (
        CheckConstraint(
            "status IN ('available', 'on_loan', 'held', 'maintenance', 'missing', 'retired')",
            name="status_valid"),
        CheckConstraint("lendable_to IN ('members', 'organisations', 'all')",
                        name="lendable_to_valid"),
        CheckConstraint("loan_days > 0", name="loan_days_positive"),
        CheckConstraint("max_renewals >= 0", name="max_renewals_positive"),
        CheckConstraint("deposit_cents >= 0 AND value_cents >= 0", name="amounts_positive"),
        Index("ix_items_status_category", "status", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # "OBJ-0042"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    photo: Mapped[Optional[str]] = mapped_column(String(200))
    value_cents: Mapped[int] = mapped_column(default=0)
    deposit_cents: Mapped[int] = mapped_column(default=0)
    loan_days: Mapped[int] = mapped_column(default=14)
    max_renewals: Mapped[int] = mapped_column(default=1)
    condition_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("item_conditions.id", ondelete="SET NULL"))
    location: Mapped[str] = mapped_column(String(120), default="")  # shelf
    status: Mapped[str] = mapped_column(String(12), default="available")
    status_reason: Mapped[str] = mapped_column(String(300), default="")
    lendable_to: Mapped[str] = mapped_column(String(15), default="all")
    training_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("trainings.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site = relationship("Site")
    condition: Mapped[Optional[ItemCondition]] = relationship()
    training = relationship("Training")

    @property
    def is_public(self) -> bool:
        return self.status not in ("missing", "retired")


class Loan(db.Model):
    """An item checked out to a member, or to an organisation through a member."""

    __tablename__ = "loans"
    __table_args__ = (
        Index("uq_loans_open_item", "item_id", unique=True,
              sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
        Index("ix_loans_open_due", "due_on", sqlite_where=text("returned_at IS NULL"),
              postgresql_where=text("returned_at IS NULL")),
        Index("ix_loans_member_open", "member_id", "returned_at"),
        CheckConstraint("renewals >= 0", name="renewals_positive"),
        CheckConstraint("deposit_cents >= 0", name="deposit_positive"),
        CheckConstraint("notices_sent BETWEEN 0 AND 3", name="notices_range"),
        CheckConstraint("returned_at IS NULL OR returned_at >= checked_out_at",
                        name="return_after_checkout"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # The borrower, or for an organisation the responsible member.
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    organisation_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True)
    checked_out_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_out_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    due_on: Mapped[date] = mapped_column(Date)  # a day in the site's time zone
    renewals: Mapped[int] = mapped_column(default=0)
    deposit_cents: Mapped[int] = mapped_column(default=0)
    deposit_returned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    returned_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    checked_in_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    condition_out_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("item_conditions.id", ondelete="SET NULL"))
    condition_in_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("item_conditions.id", ondelete="SET NULL"))
    return_note: Mapped[str] = mapped_column(Text, default="")
    # Overdue notices sent: 1 the day before, 2 the day after, 3 a week after.
    notices_sent: Mapped[int] = mapped_column(default=0)

    item: Mapped[Item] = relationship()
    member = relationship("User", foreign_keys=[member_id])
    organisation = relationship("Organisation")
    checked_out_by = relationship("User", foreign_keys=[checked_out_by_id])
    checked_in_by = relationship("User", foreign_keys=[checked_in_by_id])
    condition_out: Mapped[Optional[ItemCondition]] = relationship(foreign_keys=[condition_out_id])
    condition_in: Mapped[Optional[ItemCondition]] = relationship(foreign_keys=[condition_in_id])

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class Hold(TimestampMixin, db.Model):
    """A member's place in an item's queue; "ready" while the item waits for them."""

    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint(
            "status IN ('waiting', 'ready', 'collected', 'cancelled', 'expired')",
            name="status_valid"),
        CheckConstraint("status != 'ready' OR expires_on IS NOT NULL", name="ready_has_expiry"),
        Index("uq_holds_live_member", "item_id", "member_id", unique=True,
              sqlite_where=text("status IN ('waiting', 'ready')"),
              postgresql_where=text("status IN ('waiting', 'ready')")),
        Index("uq_holds_ready_item", "item_id", unique=True,
              sqlite_where=text("status = 'ready'"),
              postgresql_where=text("status = 'ready'")),
        Index("ix_holds_member_status", "member_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    ready_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    expires_on: Mapped[Optional[date]] = mapped_column(Date)  # last day to collect it
    ended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    item: Mapped[Item] = relationship()
    member = relationship("User")

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_HOLD_STATUSES


class ItemEvent(db.Model):
    """One line of an item's history: check-outs, returns, condition and status changes."""

    __tablename__ = "item_events"
    __table_args__ = (Index("ix_item_events_item_at", "item_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # created, edited, checked_out, checked_in, renewed, status, hold_ready, hold_expired
    kind: Mapped[str] = mapped_column(String(20))
    loan_id: Mapped[Optional[int]] = mapped_column(ForeignKey("loans.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="")
    condition_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("item_conditions.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(500), default="")

    actor = relationship("User")
    loan: Mapped[Optional[Loan]] = relationship()
    condition: Mapped[Optional[ItemCondition]] = relationship()
