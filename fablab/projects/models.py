"""Documented projects, their steps, files, bill of materials, authors,
revisions and reports.

Full-text search: on SQLite an FTS5 table ``projects_fts`` (external content:
the ``projects`` rows, kept in sync by triggers created in the migration); on
PostgreSQL a GIN index over a ``tsvector`` expression (``ix_projects_search``,
also created in the migration). ``search_text`` holds what lives in other
tables (steps, tags), copied there by the services at each save.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import (JSON, CheckConstraint, Column, ForeignKey, Index, Numeric, String,
                        Table, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db

PROJECT_STATUSES = ("draft", "published", "hidden")
DIFFICULTIES = ("easy", "medium", "hard")
# SPDX identifiers -> (name, link). The first one is the default.
LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-SA-4.0": ("Creative Commons Attribution-ShareAlike 4.0",
                     "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero 1.0 (public domain)",
                "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CERN-OHL-S-2.0": ("CERN Open Hardware Licence v2 – Strongly Reciprocal",
                       "https://ohwr.org/cern_ohl_s_v2.txt"),
    "CERN-OHL-W-2.0": ("CERN Open Hardware Licence v2 – Weakly Reciprocal",
                       "https://ohwr.org/cern_ohl_w_v2.txt"),
    "CERN-OHL-P-2.0": ("CERN Open Hardware Licence v2 – Permissive",
                       "https://ohwr.org/cern_ohl_p_v2.txt"),
    "GPL-3.0-or-later": ("GNU General Public License v3.0 or later",
                         "https://www.gnu.org/licenses/gpl-3.0.html"),
    "MIT": ("MIT License", "https://opensource.org/license/mit"),
}
DEFAULT_LICENCE = "CC-BY-SA-4.0"
FILE_KINDS = ("image", "stl", "3mf", "step", "dxf", "svg", "scad", "fcstd", "gerber", "ino",
              "pdf")


def _in(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


project_machines = Table(
    "project_machines", db.Model.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Project(TimestampMixin, db.Model):
    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(PROJECT_STATUSES)})", name="status_valid"),
        CheckConstraint(f"difficulty IN ({_in(DIFFICULTIES)})", name="difficulty_valid"),
        CheckConstraint(f"licence IN ({_in(LICENCES)})", name="licence_valid"),
        CheckConstraint("duration_minutes IS NULL OR duration_minutes > 0",
                        name="duration_positive"),
        CheckConstraint("cost_cents IS NULL OR cost_cents >= 0", name="cost_positive"),
        CheckConstraint("status != 'published' OR published_at IS NOT NULL",
                        name="published_has_date"),
        Index("ix_projects_status_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), default="")
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    intro: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    status: Mapped[str] = mapped_column(String(10), default="draft")
    hidden_reason: Mapped[str] = mapped_column(String(1000), default="")
    difficulty: Mapped[str] = mapped_column(String(10), default="easy")
    duration_minutes: Mapped[Optional[int]]
    cost_cents: Mapped[Optional[int]]
    licence: Mapped[str] = mapped_column(String(30), default=DEFAULT_LICENCE)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    cover_name: Mapped[Optional[str]] = mapped_column(String(80))  # one of its images
    featured: Mapped[bool] = mapped_column(default=False)
    revision_count: Mapped[int] = mapped_column(default=0)
    # Step titles and texts, tags: what the full-text index needs from other tables.
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    authors: Mapped[list[ProjectAuthor]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectAuthor.id")
    steps: Mapped[list[ProjectStep]] = relationship(
        back_populates="project", cascade="all, delete-orphan",
        order_by="(ProjectStep.position, ProjectStep.id)")
    bom: Mapped[list[BomLine]] = relationship(
        back_populates="project", cascade="all, delete-orphan",
        order_by="(BomLine.position, BomLine.id)")
    files: Mapped[list[ProjectFile]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectFile.id")
    tags: Mapped[list[ProjectTag]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectTag.tag")
    machines = relationship("Resource", secondary=project_machines, order_by="Resource.name")

    @property
    def is_public(self) -> bool:
        return self.status == "published"

    @property
    def licence_name(self) -> str:
        return LICENCES.get(self.licence, (self.licence, ""))[0]

    @property
    def licence_url(self) -> str:
        return LICENCES.get(self.licence, ("", ""))[1]

    @property
    def accepted_authors(self) -> list[ProjectAuthor]:
        return [a for a in self.authors if a.accepted_at is not None]

    @property
    def images(self) -> list[ProjectFile]:
        return [f for f in self.files if f.kind == "image"]

    @property
    def documents(self) -> list[ProjectFile]:
        return [f for f in self.files if f.kind != "image"]

    @property
    def version(self) -> str:
        """Semantic Versioning 2.0.0 (MAJOR.MINOR.PATCH), as OKH-LOSH asks: 1.0.0 at the
        first save of the text, the minor number counting the saves after it."""
        return f"1.{max(self.revision_count, 1) - 1}.0"


class ProjectAuthor(db.Model):
    """An author of a project; a co-author is invited and accepts."""

    __tablename__ = "project_authors"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_authors_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_owner: Mapped[bool] = mapped_column(default=False)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    project: Mapped[Project] = relationship(back_populates="authors")
    user = relationship("User")


class ProjectStep(db.Model):
    __tablename__ = "project_steps"
    __table_args__ = (Index("ix_project_steps_project_position", "project_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    image_name: Mapped[Optional[str]] = mapped_column(String(80))  # one of the project's images

    project: Mapped[Project] = relationship(back_populates="steps")


class BomLine(db.Model):
    """A line of the bill of materials: a real quantity with its unit."""

    __tablename__ = "project_bom_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(20), default="")
    source: Mapped[str] = mapped_column(String(300), default="")  # supplier, link or note

    project: Mapped[Project] = relationship(back_populates="bom")


class ProjectFile(TimestampMixin, db.Model):
    """An uploaded file or image, stored under a random name (``stored_name``)
    in UPLOAD_DIR/projects; ``filename`` is the cleaned name offered on download."""

    __tablename__ = "project_files"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint(f"kind IN ({_in(FILE_KINDS)})", name="kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    filename: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship(back_populates="files")


class ProjectTag(db.Model):
    __tablename__ = "project_tags"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

    project: Mapped[Project] = relationship(back_populates="tags")


class ProjectRevision(db.Model):
    """A save of the project's text: who, when, what changed, and the text then."""

    __tablename__ = "project_revisions"
    __table_args__ = (UniqueConstraint("project_id", "number",
                                       name="uq_project_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    number: Mapped[int]
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changes: Mapped[list[str]] = mapped_column(JSON, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    author = relationship("User")


class ProjectReport(TimestampMixin, db.Model):
    """"Report this project": read by staff, who may unpublish it."""

    __tablename__ = "project_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"),
                                            index=True)
    reporter_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(2000))
    handled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    project: Mapped[Project] = relationship()
    reporter = relationship("User", foreign_keys=[reporter_id])
