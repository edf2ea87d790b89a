"""Column types and mixins shared by the models."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from fablab.core.timeutil import utcnow


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every engine.

    SQLite keeps no time zone: values go in as naive UTC and come back aware.
    A naive datetime is refused, so that local times never slip in unconverted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def configure_sqlite_transactions(engine) -> None:
    """Make SQLite's writers queue instead of failing.

    pysqlite opens transactions lazily and as DEFERRED: two requests that both
    read, then write, end with one "database is locked" error. Here a request
    that may write (any method but GET/HEAD/OPTIONS) opens its transaction with
    BEGIN IMMEDIATE, so it waits (busy_timeout) for the other writer and then
    sees its committed rows: checks followed by inserts are race-free, as the
    database triggers that guard the invariants expect. Reads stay DEFERRED and
    never wait, thanks to WAL.
    """
    from flask import has_request_context, request
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves

    @event.listens_for(engine, "begin")
    def _begin(connection):
        writing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
