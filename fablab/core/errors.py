"""Domain errors: a rule refused, with a sentence a person can read."""

from sqlalchemy import func, select

from fablab.extensions import db


class DomainError(Exception):
    """Raised by services; views flash it or show it next to a field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def ensure_unique(column, value, current, message: str, field: str,
                  ignore_case: bool = False) -> None:
    """Refuse ``value`` if another row than ``current`` has it in ``column``.

    The unique index still settles races; this gives the usual case a sentence.
    """
    model = column.class_
    condition = func.lower(column) == value.lower() if ignore_case else column == value
    duplicate = db.session.scalar(select(model).where(condition).limit(1))
    if duplicate is not None and duplicate is not current:
        raise DomainError(message, field)
