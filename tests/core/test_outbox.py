"""The outbox keeps every message until SMTP takes it, and sends each once."""

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from freezegun import freeze_time
from sqlalchemy import select

from fablab.core.mail import backoff, queue_email, send_pending
from fablab.core.models import OutboxMessage
from fablab.core.timeutil import utcnow


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_app(make_app):
    port = free_port()
    return make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=2)


def queue(app, recipient="someone@example.org"):
    from fablab.extensions import db

    with app.test_request_context():
        queue_email(recipient, "membership_expiring", locale="fr", kind="test",
                    user=type("U", (), {"name": "Camille"})(),
                    membership=type("M", (), {"ends_on": utcnow().date()})())
        db.session.commit()


def messages(app):
    from fablab.extensions import db

    with app.app_context():
        return [(m.status, m.attempts, m.last_error) for m in
                db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_smtp_down_keeps_the_message_then_sends_it_once(smtp_app):
    from fablab.extensions import db

    queue(smtp_app)
    # The clock stopped, then moved by hand: a slow machine may take the minute of
    # back-off between two calls.
    with smtp_app.app_context(), freeze_time(utcnow()) as clock:
        assert send_pending() == (0, 1)
        clock.tick(30)
        assert send_pending() == (0, 0)  # not due yet: the back-off holds the retry
    ((status, attempts, error),) = messages(smtp_app)
    assert (status, attempts) == ("pending", 1) and "Connection" in error

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_app.config["MAIL_PORT"])
    controller.start()
    try:
        with smtp_app.app_context():
            message = db.session.scalar(select(OutboxMessage))
            message.next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            assert send_pending() == (1, 0)
            assert send_pending() == (0, 0)
    finally:
        controller.stop()
    assert [("sent", 2, "")] == messages(smtp_app)
    (envelope,) = inbox.messages
    assert envelope.rcpt_tos == ["someone@example.org"]
    body = envelope.content.decode()
    assert "Camille" in body and "Subject:" in body


def test_a_message_fails_for_good_after_the_maximum_attempts(smtp_app):
    from fablab.extensions import db

    smtp_app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    queue(smtp_app)
    with smtp_app.app_context():
        for _ in range(2):
            send_pending()
            db.session.execute(db.update(OutboxMessage).values(next_attempt_at=utcnow()))
            db.session.commit()
    assert messages(smtp_app)[0][:2] == ("failed", 2)


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == timedelta(hours=6)


def test_a_rolled_back_change_sends_no_email(app):
    from fablab.extensions import db

    with app.test_request_context():
        queue_email("x@example.org", "membership_expiring", kind="test",
                    user=type("U", (), {"name": "X"})(),
                    membership=type("M", (), {"ends_on": utcnow().date()})())
        db.session.rollback()
    assert messages(app) == []


def test_outbox_send_command_in_development_logs_and_marks_sent(app, runner, caplog):
    queue(app)
    result = runner.invoke(args=["outbox", "send"])
    assert "1 sent" in result.output
    assert messages(app)[0][0] == "sent"
