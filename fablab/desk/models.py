"""Visits: who came to a site on a day, members and anonymous walk-in visitors.

A member (or a member's child) counts at most once per site and day: partial unique
indexes settle races between the scan station, a booking check-in and an event's
attendance marked at the same moment. Walk-in visitors have no member and are
counted one row each, with optional anonymous details.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db

VISIT_REASONS = ("open_lab", "workshop", "repair_cafe", "coworking", "other")
AGE_GROUPS = ("0-11", "12-17", "18-25", "26-59", "60+")
VISIT_SOURCES = ("scan", "booking", "event", "walk_in")


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Visit(TimestampMixin, db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint(f"reason IS NULL OR reason IN {_in(VISIT_REASONS)}", name="reason_valid"),
        CheckConstraint(f"age_group IS NULL OR age_group IN {_in(AGE_GROUPS)}",
                        name="age_group_valid"),
        CheckConstraint(f"source IN {_in(VISIT_SOURCES)}", name="source_valid"),
        CheckConstraint("member_id IS NULL OR child_id IS NULL", name="one_person"),
        Index("uq_visits_member_day", "site_id", "day", "member_id", unique=True,
              sqlite_where=text("member_id IS NOT NULL"),
              postgresql_where=text("member_id IS NOT NULL")),
        Index("uq_visits_child_day", "site_id", "day", "child_id", unique=True,
              sqlite_where=text("child_id IS NOT NULL"),
              postgresql_where=text("child_id IS NOT NULL")),
        # Covers every column the reports count, so that a year is read from the index.
        Index("ix_visits_day_site", "day", "site_id", "source", "reason", "member_id",
              "child_id", "age_group", "commune"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # in the site's time zone
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A member (kept after a GDPR erasure: the account is anonymised, not deleted).
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                     index=True)
    child_id: Mapped[Optional[int]] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(10))
    reason: Mapped[Optional[str]] = mapped_column(String(15))
    # Walk-in visitors only, both optional and anonymous.
    age_group: Mapped[Optional[str]] = mapped_column(String(10))
    commune: Mapped[str] = mapped_column(String(120), default="")
    recorded_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
