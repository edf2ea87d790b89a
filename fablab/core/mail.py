"""The e-mail outbox.

Services call :func:`queue_email` inside their transaction, so that a message
exists if and only if the change that caused it was committed. The worker
(``flask --app fablab outbox send``) sends what is pending, retrying with a growing
delay (1, 2, 4… minutes, at most ``OUTBOX_MAX_DELAY_MINUTES``) while SMTP is down,
and gives a message up only ``OUTBOX_GIVE_UP_HOURS`` after its first attempt.

In development (the ``log`` backend) nothing is sent: each message is printed whole
to the console at the end of the request or command that queued it (:func:`init_app`).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import click
from flask import Flask, current_app, g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.models import OutboxMessage
from fablab.core.timeutil import utcnow
from fablab.extensions import db

log = logging.getLogger("fablab.mail")

STATUS_LABELS = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}


def queue_email(
    recipient: str,
    template: str,
    locale: str | None = None,
    kind: str = "",
    attachments: list[dict[str, str]] | None = None,
    **context,
) -> OutboxMessage:
    """Render ``templates/email/<template>.txt`` in the recipient's language and
    add it to the outbox. The template's first line is the subject."""
    with force_locale(locale or current_app.config["DEFAULT_LOCALE"]):
        text = render_template(f"email/{template}.txt", **context)
    subject, _sep, body = text.strip().partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip(),
        body=body.strip() + "\n",
        kind=kind or template,
        attachments=attachments or [],
    )
    db.session.add(message)
    g.outbox_queued = True  # delivered at the end of the request in development (init_app)
    return message


def build_message(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    # A stable Message-ID lets a receiving server drop a duplicate resend.
    domain = config["MAIL_DEFAULT_SENDER"].rpartition("@")[2].rstrip(">") or "fablab"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    email.set_content(message.body)
    for attachment in message.attachments or []:
        maintype, _sep, subtype = attachment["content_type"].partition("/")
        email.add_attachment(
            attachment["content"].encode("utf-8"),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
        )
    return email


def _smtp_send(email: EmailMessage) -> None:
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"],
                    timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def print_message(message: OutboxMessage) -> None:
    """The ``log`` backend: the message whole on the console, its lines as written (a
    link is never wrapped, so it can be copied), whatever the logging level."""
    rule = "-" * 20
    lines = [f"{rule} E-mail #{message.id} ({message.kind}) {rule}",
             f"To: {message.recipient}", f"Subject: {message.subject}"]
    lines += [f"Attachment: {a['filename']} ({a['content_type']})"
              for a in message.attachments or []]
    lines += ["", message.body.rstrip("\n"), f"{rule} end of e-mail #{message.id} {rule}"]
    click.echo("\n".join(lines))


def backoff(attempts: int, cap_minutes: int = 60) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, 8… minutes, at most the cap."""
    return timedelta(minutes=min(2 ** min(max(attempts - 1, 0), 30), cap_minutes))


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send the messages that are due; return (sent, failed this round).

    Each message is committed on its own, so a crash loses at most the one
    being sent (it is then sent again: the Message-ID stays the same).
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = failed = 0
    for message in db.session.scalars(query).all():
        if _attempt(message):
            sent += 1
        else:
            failed += 1
        db.session.commit()
    return sent, failed


def _attempt(message: OutboxMessage) -> bool:
    """Try to send one message and record the outcome; True when it went."""
    now = utcnow()
    message.attempts += 1
    message.first_attempt_at = message.first_attempt_at or now
    try:
        if current_app.config["MAIL_BACKEND"] == "smtp":
            _smtp_send(build_message(message))
        else:
            print_message(message)
    except (OSError, smtplib.SMTPException) as error:
        _record_failure(message, f"{type(error).__name__}: {error}", now)
        return False
    message.status = "sent"
    message.sent_at = now
    message.last_error = ""
    return True


def _record_failure(message: OutboxMessage, error: str, now) -> None:
    """Retry later, with a growing delay, until the give-up time has passed."""
    config = current_app.config
    message.last_error = error[:2000]
    if now - message.first_attempt_at >= timedelta(hours=config["OUTBOX_GIVE_UP_HOURS"]):
        message.status = "failed"
        log.warning("E-mail #%s to %s given up after %s attempts: %s", message.id,
                    message.recipient, message.attempts, message.last_error)
    else:
        message.next_attempt_at = now + backoff(message.attempts,
                                                config["OUTBOX_MAX_DELAY_MINUTES"])


# --- development: delivered in-process ---------------------------------------------------


def delivers_in_process() -> bool:
    """Whether a request or command sends what it queued: only with the ``log`` backend
    (printing never waits for a server); SMTP is always the worker's job."""
    config = current_app.config
    if config["MAIL_BACKEND"] != "log":
        return False
    wanted = config["OUTBOX_IN_PROCESS"]
    return not current_app.testing if wanted is None else bool(wanted)


def shows_text() -> bool:
    """Whether the admin pages show a message's text: only in development, since in
    production it may hold a password-reset link."""
    return current_app.debug or current_app.config["MAIL_BACKEND"] == "log"


def _deliver_at_teardown(error: BaseException | None) -> None:
    """At the end of the request (or command) that queued a message. The end of the
    app context, not of a request context: a command that pushes a test request
    context for url_for, with its work still uncommitted, is not over yet."""
    if error is not None or not g.pop("outbox_queued", False) or not delivers_in_process():
        return
    try:
        # End its session as the next teardown would: only committed messages exist,
        # and they are sent from a fresh session.
        db.session.remove()
        send_pending()
    except SQLAlchemyError as failure:
        # The page is already answered; the messages stay pending for the next time.
        log.warning("The outbox could not be delivered in-process: %s", failure)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_deliver_at_teardown)


# --- what admins and the desk see ----------------------------------------------------------


@dataclass
class OutboxHealth:
    failed: int
    delayed: int  # pending for longer than OUTBOX_DELAYED_MINUTES

    @property
    def alarming(self) -> bool:
        return bool(self.failed or self.delayed)


def outbox_health() -> OutboxHealth:
    """Failed messages, and pending ones waiting too long (SMTP down, no worker): one
    query on the pending index."""
    since = utcnow() - timedelta(minutes=current_app.config["OUTBOX_DELAYED_MINUTES"])
    failed, delayed = db.session.execute(select(
        func.count().filter(OutboxMessage.status == "failed"),
        func.count().filter(OutboxMessage.status == "pending",
                            OutboxMessage.created_at < since),
    ).where(OutboxMessage.status.in_(("failed", "pending")))).one()
    return OutboxHealth(failed=failed, delayed=delayed)


def status_counts() -> dict[str, int]:
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return {status: counts.get(status, 0) for status in STATUS_LABELS}


def recent_messages(status: str | None, limit: int, offset: int = 0) -> list[OutboxMessage]:
    """Newest first, of one status or all."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit).offset(offset)
    if status:
        query = query.where(OutboxMessage.status == status)
    return db.session.scalars(query).all()


def requeue(actor, message: OutboxMessage) -> OutboxMessage:
    """Send a failed message again: pending now, with a fresh give-up time."""
    if message.status != "failed":
        raise DomainError(_("Only a message that failed can be sent again."))
    message.status = "pending"
    message.attempts = 0
    message.first_attempt_at = None
    message.next_attempt_at = utcnow()
    audit.record(actor, "outbox.requeue", message, summary=message.subject)
    db.session.flush()
    return message


def requeue_all_failed(actor) -> int:
    """Every failed message back to pending; returns how many."""
    result = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, first_attempt_at=None,
                next_attempt_at=utcnow()))
    if result.rowcount:
        audit.record(actor, "outbox.requeue_all", summary=f"{result.rowcount} message(s)",
                     count=result.rowcount)
    return result.rowcount


def absolute_url(endpoint: str, **values) -> str:
    """An address for an e-mail, from a request or from a command (cron)."""
    from flask import has_request_context, url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)
