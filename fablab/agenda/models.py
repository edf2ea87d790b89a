"""The secret address of each member's personal calendar feed.

A member has at most one live token (a unique index on ``user_id``); the
random token itself is stored (so that the account page can show the address
again) under a unique index. Regenerating replaces the row's token in place:
the old address answers 404 from the next request on.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fablab.core.db import TimestampMixin, UTCDateTime
from fablab.core.timeutil import utcnow
from fablab.extensions import db


def new_feed_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(TimestampMixin, db.Model):
    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    regenerated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user = relationship("User")
