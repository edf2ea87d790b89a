"""The outbox keeps every message until SMTP takes it, and sends each once."""

import re
import socket
from datetime import datetime, timedelta, timezone

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


def send_until(app, clock, start, stop_after: timedelta):
    """Fail every attempt (SMTP down) on a frozen clock moved from one due time to the
    next, until the message fails or ``stop_after`` has passed; return the waits
    between attempts and the (time since start, status) after each attempt."""
    from fablab.extensions import db

    waits, history = [], []
    with app.app_context():
        while True:
            assert send_pending() == (0, 1)
            message = db.session.scalar(select(OutboxMessage))
            history.append((utcnow() - start, message.status))
            if message.status == "failed" or utcnow() - start >= stop_after:
                return waits, history
            waits.append(message.next_attempt_at - utcnow())
            clock.move_to(message.next_attempt_at - timedelta(seconds=1))
            assert send_pending() == (0, 0)  # not due yet: the delay holds
            clock.move_to(message.next_attempt_at)


def test_smtp_down_for_four_days_retries_with_a_growing_capped_delay_then_fails(smtp_app):
    start = datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc)  # a Friday evening
    with freeze_time(start) as clock:
        queue(smtp_app)
        waits, history = send_until(smtp_app, clock, start, timedelta(days=30))
    minutes = [wait.total_seconds() / 60 for wait in waits]
    assert minutes[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert minutes == sorted(minutes) and max(minutes) == 60
    # Still kept, and tried every hour, through a weekend and more: failed only once
    # OUTBOX_GIVE_UP_HOURS (96) have passed since the first attempt.
    kept = [elapsed for elapsed, status in history if status == "pending"]
    assert max(kept) >= timedelta(hours=95) and len(kept) > 90
    assert history[-1][1] == "failed"
    assert timedelta(hours=96) <= history[-1][0] < timedelta(hours=97)
    assert all(status == "pending" for elapsed, status in history[:-1])
    ((status, attempts, error),) = messages(smtp_app)
    assert status == "failed" and attempts == len(history) and "Connection" in error


def test_after_a_71_hour_outage_the_message_is_sent_once(smtp_app):
    start = utcnow() - timedelta(hours=80)
    with freeze_time(start) as clock:
        queue(smtp_app)
        _waits, history = send_until(smtp_app, clock, start, timedelta(hours=71))
    assert {status for _elapsed, status in history} == {"pending"}
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_app.config["MAIL_PORT"])
    controller.start()
    try:
        with smtp_app.app_context():
            assert send_pending() == (1, 0)
            assert send_pending() == (0, 0)
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    assert messages(smtp_app) == [("sent", len(history) + 1, "")]


def test_the_give_up_time_is_a_setting(make_app):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                   MAIL_TIMEOUT=2, OUTBOX_GIVE_UP_HOURS=1)
    start = datetime(2026, 12, 4, 17, 0, tzinfo=timezone.utc)
    with freeze_time(start) as clock:
        queue(app)
        _waits, history = send_until(app, clock, start, timedelta(days=1))
    assert history[-1][1] == "failed"
    assert timedelta(hours=1) <= history[-1][0] < timedelta(hours=2)


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4, 5, 6, 7)] == [
        1, 2, 4, 8, 16, 32, 60]
    assert backoff(100) == backoff(10_000) == timedelta(hours=1)
    assert backoff(30, cap_minutes=360) == timedelta(hours=6)


def test_a_rolled_back_change_sends_no_email(app):
    from fablab.extensions import db

    with app.test_request_context():
        queue_email("x@example.org", "membership_expiring", kind="test",
                    user=type("U", (), {"name": "X"})(),
                    membership=type("M", (), {"ends_on": utcnow().date()})())
        db.session.rollback()
    assert messages(app) == []


def test_outbox_send_command_in_development_prints_and_marks_sent(app, runner):
    queue(app)
    result = runner.invoke(args=["outbox", "send"])
    assert "To: someone@example.org" in result.output and "Camille" in result.output
    assert "1 sent" in result.output
    assert messages(app)[0][0] == "sent"


# --- development: each e-mail printed whole when its request commits ------------------------

REGISTRATION = {"name": "Nina Nouvelle", "email": "nina@example.org",
                "password": "a-long-enough-password"}


def test_development_prints_each_email_whole_when_its_request_commits(make_app, capsys):
    app = make_app(OUTBOX_IN_PROCESS=True)
    capsys.readouterr()
    response = app.test_client().post("/register", data=REGISTRATION)
    assert response.status_code == 302
    printed = capsys.readouterr().out
    assert "To: nina@example.org" in printed
    assert "Subject: Confirmez votre adresse e-mail" in printed
    from fablab.extensions import db

    with app.app_context():
        message = db.session.scalar(select(OutboxMessage))
        link = re.search(r"http://localhost/confirm/\S+", message.body).group(0)
        assert (message.status, message.attempts) == ("sent", 1)
    assert len(link) > 80
    assert link in printed.splitlines()  # the whole link, alone on its line
    # The link printed confirms the account.
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 302
    with app.app_context():
        from fablab.accounts.models import User

        assert db.session.scalar(select(User)).email_confirmed_at is not None


def test_tests_keep_messages_pending_and_print_nothing(app, client, capsys):
    capsys.readouterr()
    client.post("/register", data=REGISTRATION)
    assert "nina@example.org" not in capsys.readouterr().out
    assert [m[:2] for m in messages(app)] == [("pending", 0)]


def test_the_smtp_backend_never_sends_in_process(make_app):
    app = make_app(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(),
                   OUTBOX_IN_PROCESS=True)
    app.test_client().post("/register", data=REGISTRATION)
    assert messages(app) == [("pending", 0, "")]


def queue_in_command(app, *, uncommitted_site: bool = False):
    """What a command (cron) does: queue in an app context, no request; a reminder
    builds its links in a test request context, its work not committed yet."""
    from fablab.core.models import Site
    from fablab.extensions import db

    with app.app_context():
        queue_email("x@example.org", "membership_expiring", kind="test",
                    user=type("U", (), {"name": "X"})(),
                    membership=type("M", (), {"ends_on": utcnow().date()})())
        db.session.add(Site(name="Atelier", slug="atelier"))
        with app.test_request_context("/"):
            pass  # not the end of the command: nothing sent, nothing rolled back
        assert [m[0] for m in messages(app)] == []  # not committed, not sent
        db.session.commit()


def test_development_prints_what_a_command_queued_once_it_is_over(make_app, capsys):
    app = make_app(OUTBOX_IN_PROCESS=True)
    capsys.readouterr()
    queue_in_command(app)
    assert "To: x@example.org" in capsys.readouterr().out
    assert [m[:2] for m in messages(app)] == [("sent", 1)]
    from fablab.core.models import Site
    from fablab.extensions import db

    with app.app_context():
        assert db.session.scalar(select(Site.slug)) == "atelier"


def test_a_request_that_queues_nothing_sends_nothing(make_app, capsys):
    queue_in_command(make_app())  # tests: kept pending
    app = make_app(OUTBOX_IN_PROCESS=True)
    capsys.readouterr()
    assert app.test_client().get("/").status_code == 200
    assert capsys.readouterr().out == ""
    assert messages(app)[0][0] == "pending"


# --- send again: the command ---------------------------------------------------------------


def fail(app, count=1):
    from fablab.extensions import db

    with app.app_context():
        db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id <= count).values(
            status="failed", attempts=90, first_attempt_at=utcnow() - timedelta(hours=97),
            last_error="ConnectionRefusedError: [Errno 111] Connection refused"))
        db.session.commit()


def audit_actions(app):
    from fablab.core.models import AuditLog
    from fablab.extensions import db

    with app.app_context():
        return [(a.action, a.object_id) for a in db.session.scalars(
            select(AuditLog).order_by(AuditLog.id))]


def test_requeue_command_puts_one_failed_message_back(app, runner):
    queue(app)
    queue(app, "other@example.org")
    fail(app, 2)
    result = runner.invoke(args=["outbox", "requeue", "--id", "1"])
    assert result.exit_code == 0, result.output
    assert "#1" in result.output
    assert [m[:2] for m in messages(app)] == [("pending", 0), ("failed", 90)]
    assert audit_actions(app) == [("outbox.requeue", 1)]
    result = runner.invoke(args=["outbox", "send"])
    assert "1 sent" in result.output
    assert [m[:2] for m in messages(app)] == [("sent", 1), ("failed", 90)]


def test_requeue_command_all_failed(app, runner):
    for _n in range(3):
        queue(app)
    fail(app, 2)
    result = runner.invoke(args=["outbox", "requeue", "--all-failed"])
    assert result.exit_code == 0 and "2 message(s)" in result.output
    assert [m[:2] for m in messages(app)] == [("pending", 0)] * 3
    assert audit_actions(app) == [("outbox.requeue_all", None)]


@pytest.mark.parametrize("args", [[], ["--id", "1", "--all-failed"], ["--id", "1"],
                                  ["--id", "99"], ["--id", "abc"]])
def test_requeue_command_refuses_what_it_cannot_do(app, runner, args):
    queue(app)  # pending, not failed
    result = runner.invoke(args=["outbox", "requeue", *args])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert messages(app)[0][:2] == ("pending", 0)
    assert audit_actions(app) == []
