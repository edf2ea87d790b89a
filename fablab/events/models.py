"""Events (workshops, repair cafés, club sessions, training sessions, talks),
their series, prices, animators, and the registrations of members and children.

One live registration (confirmed or waitlisted) per participant and event is a
partial unique index; seats are counted under a lock on the event row
(PostgreSQL) or the database write lock (SQLite), so they are never oversold.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Optional

from sqlalchemy import (CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text,
                        Time, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db

EVENT_KINDS = ("workshop", "repair_cafe", "club", "training", "talk", "other")
AUDIENCES = ("children", "teens", "adults", "families", "everyone")
EVENT_STATUSES = ("draft", "published", "cancelled")
REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
LIVE_REGISTRATION = ("confirmed", "waitlisted")

event_animators = Table(
    "event_animators", db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

event_trainings = Table(
    "event_trainings", db.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("training_id", ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True),
)


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class EventSeries(TimestampMixin, db.Model):
    """A recurring club or workshop over a season; each occurrence is an Event."""

    __tablename__ = "event_series"
    __table_args__ = (
        CheckConstraint("rule IN ('weekly', 'monthly')", name="rule_valid"),
        CheckConstraint("last_day >= first_day", name="days_ordered"),
        CheckConstraint("end_time > start_time", name="times_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    rule: Mapped[str] = mapped_column(String(10), default="weekly")
    weekday: Mapped[int]  # ISO weekday, 1 = Monday
    nth: Mapped[Optional[int]]  # monthly: 1 = the first <weekday> of the month
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    # Season enrolment: one registration to every future session.
    allows_enrolment: Mapped[bool] = mapped_column(default=False)

    events: Mapped[list[Event]] = relationship(back_populates="series",
                                               order_by="Event.starts_at")


class Event(TimestampMixin, db.Model):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(EVENT_KINDS)}", name="kind_valid"),
        CheckConstraint(f"audience IN {_in(AUDIENCES)}", name="audience_valid"),
        CheckConstraint(f"status IN {_in(EVENT_STATUSES)}", name="status_valid"),
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
                        name="ages_ordered"),
        Index("ix_events_status_start", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    series_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("event_series.id", ondelete="SET NULL"), index=True)
    room_id: Mapped[Optional[int]] = mapped_column(ForeignKey("resources.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(15), default="workshop")
    audience: Mapped[str] = mapped_column(String(10), default="everyone")
    min_age: Mapped[Optional[int]]
    max_age: Mapped[Optional[int]]
    title: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[Optional[str]] = mapped_column(String(200))  # under UPLOAD_DIR
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(default=12)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    requires_membership: Mapped[bool] = mapped_column(default=False)
    registration_opens_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")
    # Grows when the date, time or place changes (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    site = relationship("Site")
    room = relationship("Resource")
    series: Mapped[Optional[EventSeries]] = relationship(back_populates="events")
    animators = relationship("User", secondary=event_animators, order_by="User.name")
    trainings = relationship("Training", secondary=event_trainings, order_by="Training.name")
    prices: Mapped[list[EventPrice]] = relationship(back_populates="event",
                                                    cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class EventPrice(db.Model):
    __tablename__ = "event_prices"
    __table_args__ = (
        UniqueConstraint("event_id", "tariff_id", name="uq_event_prices_pair"),
        CheckConstraint("price_cents >= 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("tariffs.id", ondelete="CASCADE"))
    price_cents: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="prices")
    tariff = relationship("Tariff")


class Registration(TimestampMixin, db.Model):
    """A seat (or a place in the waiting list) for a member or one of their children."""

    __tablename__ = "registrations"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(REGISTRATION_STATUSES)}", name="status_valid"),
        # One live registration per participant and event ("m:<user>" or "c:<child>").
        Index("uq_registrations_live_participant", "event_id", "participant_key", unique=True,
              sqlite_where=text(f"status IN {_in(LIVE_REGISTRATION)}"),
              postgresql_where=text(f"status IN {_in(LIVE_REGISTRATION)}")),
        Index("ix_registrations_event_status", "event_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[Optional[int]] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="confirmed")
    promoted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attended_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    via_enrolment: Mapped[bool] = mapped_column(default=False)
    reminder_sent_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    member = relationship("User", foreign_keys=[member_id])
    child = relationship("Child")

    @property
    def participant_name(self) -> str:
        return self.child.first_name if self.child_id else self.member.name

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REGISTRATION


REPAIR_OUTCOMES = ("fixed", "repairable", "end_of_life")
# The Open Repair Data Standard's barriers to repair, in its order (see events/ords.py).
REPAIR_BARRIERS = ("spare_parts_unavailable", "spare_parts_too_expensive", "cannot_open",
                   "no_repair_information", "lack_of_equipment", "too_worn_out")
# An object's own weight, when weighed: more than this is a typing mistake.
REPAIR_MAX_WEIGHT_KG = 200
REPAIR_MIN_YEAR = 1900
ORDS_CATEGORY_IDS = (1, 40)  # the ids of the standard's product categories


class RepairCategory(db.Model):
    """A kind of object brought to the repair café, with the reference weight and
    CO2e footprint used to count what a repair avoids."""

    __tablename__ = "repair_categories"
    __table_args__ = (
        CheckConstraint("weight_kg >= 0 AND co2e_kg >= 0", name="figures_positive"),
        CheckConstraint("ords_category_id IS NULL OR ords_category_id BETWEEN "
                        f"{ORDS_CATEGORY_IDS[0]} AND {ORDS_CATEGORY_IDS[1]}",
                        name="ords_category_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    weight_kg: Mapped[float] = mapped_column(default=0)
    co2e_kg: Mapped[float] = mapped_column(default=0)
    powered: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Its Open Repair Data Standard product category (events/ords.py); none for an
    # unpowered kind of object, which the standard does not list.
    ords_category_id: Mapped[Optional[int]] = mapped_column()


class RepairItem(TimestampMixin, db.Model):
    """One object brought to a repair café and what became of it."""

    __tablename__ = "repair_items"
    __table_args__ = (
        CheckConstraint(f"outcome IN {_in(REPAIR_OUTCOMES)}", name="outcome_valid"),
        CheckConstraint(f"barrier IS NULL OR barrier IN {_in(REPAIR_BARRIERS)}",
                        name="barrier_valid"),
        CheckConstraint("barrier IS NULL OR outcome != 'fixed'", name="barrier_only_if_not_fixed"),
        CheckConstraint(f"year_of_manufacture IS NULL OR year_of_manufacture >= {REPAIR_MIN_YEAR}",
                        name="year_of_manufacture_valid"),
        CheckConstraint(f"weight_kg IS NULL OR (weight_kg > 0 AND weight_kg <= "
                        f"{REPAIR_MAX_WEIGHT_KG})", name="weight_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    owner_member_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    owner_first_name: Mapped[str] = mapped_column(String(80), default="")  # a visitor
    category_id: Mapped[int] = mapped_column(ForeignKey("repair_categories.id",
                                                        ondelete="RESTRICT"), index=True)
    brand: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(120), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(15))
    barrier: Mapped[Optional[str]] = mapped_column(String(30))
    repairer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    year_of_manufacture: Mapped[Optional[int]] = mapped_column()
    # Its own weight when weighed, counted instead of its category's reference weight.
    weight_kg: Mapped[Optional[float]] = mapped_column()
    # The export's record_date: when the record was last written.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship()
    category: Mapped[RepairCategory] = relationship()
    owner = relationship("User", foreign_keys=[owner_member_id])
    repairer = relationship("User", foreign_keys=[repairer_id])
