"""Models shared by every domain: sites and their closures, the audit log and the e-mail
outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db


class Site(TimestampMixin, db.Model):
    """A place run by the lab. A single-site lab never sees a site picker."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Read by the public agenda's validator: the feeds show a site's name and address.
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, default=utcnow,
                                                          onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Site {self.slug}>"


class Closure(TimestampMixin, db.Model):
    """Days a site is closed (holidays): no open slot is made then (booking), and a
    loan's due date moves to the next open day (loans)."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    site = relationship("Site")


class AuditLog(db.Model):
    """Who did what to which object: every staff and admin action."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[Optional[int]]
    summary: Mapped[str] = mapped_column(String(300), default="", info={"personal": True})
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor = relationship("User", foreign_keys=[actor_id])


class OutboxMessage(TimestampMixin, db.Model):
    """An e-mail written in the same transaction as the change that caused it,
    and sent later by ``flask outbox send`` (or in-process in development)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status_valid"),
        CheckConstraint("attempts >= 0", name="attempts_positive"),
        # The give-up deadline counts from the first attempt: it must be known.
        CheckConstraint("attempts = 0 OR first_attempt_at IS NOT NULL",
                        name="first_attempt_known"),
        Index("ix_outbox_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), info={"personal": True})
    subject: Mapped[str] = mapped_column(String(300), info={"personal": True})
    body: Mapped[str] = mapped_column(Text, info={"personal": True})
    # Attachments as [{"filename", "content_type", "content"}] (text content).
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # A tag such as "account.confirm" lets tests and reports find a message.
    kind: Mapped[str] = mapped_column(String(60), default="", index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
