"""The audit log: one line per staff or admin action."""

from __future__ import annotations

from typing import Any

from fablab.core.models import AuditLog
from fablab.extensions import db


def record(actor, action: str, obj=None, summary: str = "", **details: Any) -> AuditLog:
    """Write who did ``action`` to ``obj``; flushed with the change itself."""
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        summary=summary[:300],
        details={k: _jsonable(v) for k, v in details.items()},
    )
    db.session.add(entry)
    return entry


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
