"""Count the SQL statements the app runs while serving one page."""

from __future__ import annotations

import threading

from sqlalchemy import event

from fablab.extensions import db as _db


def count_queries(app, client, url: str) -> tuple[list[str], str]:
    """The SQL statements the app runs while serving ``url``, and the page.

    Only the statements of this thread are counted (``before_cursor_execute`` on
    the app's engine, during the request); the page must answer 200."""
    with app.app_context():
        engine = _db.engine
    statements: list[str] = []
    here = threading.get_ident()

    def count(conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() == here:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, (url, response.status_code)
    return statements, response.get_data(as_text=True)
