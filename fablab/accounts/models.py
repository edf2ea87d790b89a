"""Users (members, staff, admins), their children and their organisations."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Optional

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.permissions import role_at_least
from fablab.extensions import db

ORGANISATION_KINDS = ("association", "school", "municipal", "company", "other")


def new_card_code() -> str:
    """A short code printed on the member card; unambiguous letters only."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "M-" + "".join(secrets.choice(alphabet) for _ in range(6))


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('member', 'staff', 'admin')", name="role_valid"),
        CheckConstraint("locale IN ('fr', 'en')", name="locale_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case (services normalise it); NULL once anonymised.
    email: Mapped[Optional[str]] = mapped_column(String(254), unique=True, info={"personal": True})
    name: Mapped[str] = mapped_column(String(120), info={"personal": True})
    password_hash: Mapped[str] = mapped_column(String(256), default="")
    role: Mapped[str] = mapped_column(String(10), default="member")
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    phone: Mapped[str] = mapped_column(String(40), default="", info={"personal": True})
    commune: Mapped[str] = mapped_column(String(120), default="", info={"personal": True})
    birth_year: Mapped[Optional[int]]
    card_code: Mapped[str] = mapped_column(String(20), unique=True, default=new_card_code)
    # A deactivated account cannot log in; an anonymised one has no name or e-mail left.
    active: Mapped[bool] = mapped_column(default=True)
    email_confirmed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    children: Mapped[list[Child]] = relationship(
        back_populates="guardian", cascade="all, delete-orphan", order_by="Child.first_name"
    )
    organisation_links: Mapped[list[OrganisationMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active and self.anonymised_at is None

    @property
    def is_staff(self) -> bool:
        return role_at_least(self, "staff")

    @property
    def is_admin(self) -> bool:
        return role_at_least(self, "admin")

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def organisations(self) -> list[Organisation]:
        return [link.organisation for link in self.organisation_links]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"




class Child(TimestampMixin, db.Model):
    """A minor declared by their guardian; never a login account."""

    __tablename__ = "children"
    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1990 AND 2200", name="birth_year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guardian_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(80), info={"personal": True})
    birth_year: Mapped[int]

    guardian: Mapped[User] = relationship(back_populates="children")


class Organisation(TimestampMixin, db.Model):
    """An association, school or municipal service borrowing in its own name."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('association', 'school', 'municipal', 'company', 'other')",
            name="kind_valid",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="association")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    notes: Mapped[str] = mapped_column(String(1000), default="")

    member_links: Mapped[list[OrganisationMember]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrganisationMember(TimestampMixin, db.Model):
    __tablename__ = "organisation_members"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id", name="uq_organisation_members_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The member who answers for the organisation (loans, room requests).
    is_responsible: Mapped[bool] = mapped_column(default=False)

    # Joined: a member's organisations (account page, booking form) come with their
    # links in one query, not one query per organisation.
    organisation: Mapped[Organisation] = relationship(back_populates="member_links",
                                                      lazy="joined")
    user: Mapped[User] = relationship(back_populates="organisation_links")


# --- the skills directory (issue 6) ----------------------------------------------------

SKILL_LEVELS = ("beginner", "confirmed", "expert")


class PublicProfile(db.Model):
    """What a member chose to show in public: a display name (as project author and
    in the skills directory) and whether they appear in ``/skills``. Never the
    member's name or e-mail."""

    __tablename__ = "public_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    display_name: Mapped[str] = mapped_column(String(60), info={"personal": True})
    about: Mapped[str] = mapped_column(String(500), default="", info={"personal": True})
    in_directory: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(backref=db.backref("public_profile", uselist=False,
                                                         cascade="all, delete-orphan"))


class Skill(TimestampMixin, db.Model):
    """A skill a member is willing to share: a free tag and a level."""

    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_skills_user_name"),
        CheckConstraint("level IN ('beginner', 'confirmed', 'expert')", name="level_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Stored lower-case and trimmed, so that "Arduino" and "arduino " are one skill.
    name: Mapped[str] = mapped_column(String(60), index=True, info={"personal": True})
    level: Mapped[str] = mapped_column(String(12), default="beginner")

    user: Mapped[User] = relationship(backref=db.backref(
        "skills", cascade="all, delete-orphan", order_by="Skill.name"))


class SkillMessage(TimestampMixin, db.Model):
    """A message sent through the directory: kept without its text (which went to
    the outbox), to rate-limit senders."""

    __tablename__ = "skill_messages"
    __table_args__ = (Index("ix_skill_messages_sender_created", "sender_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
