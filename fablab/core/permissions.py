"""Who may call a route. Roles are ordered: member < staff < admin."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

ROLES = ("member", "staff", "admin")


def role_at_least(user, role: str) -> bool:
    return (
        getattr(user, "is_authenticated", False)
        and ROLES.index(user.role) >= ROLES.index(role)
    )


def role_required(role: str):
    """Login first (redirect), then the role (403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not role_at_least(current_user, role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = role_required("staff")
admin_required = role_required("admin")
