"""Demo data of the agenda: every demo account gets its personal calendar
address, so that the account page shows a working feed at once."""

from __future__ import annotations

from sqlalchemy import select

from fablab.accounts.models import User
from fablab.agenda.services import ensure_tokens
from fablab.extensions import db


def load_agenda_demo() -> int:
    users = db.session.scalars(select(User).where(User.active.is_(True))).all()
    return ensure_tokens(users)
