"""The e-mail outbox.

Services call :func:`queue_email` inside their transaction, so that a message
exists if and only if the change that caused it was committed. The worker
(``flask --app fablab outbox send``) sends what is pending, retrying with an
exponential back-off, and keeps each message with its last error when SMTP is
down.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from fablab.core.models import OutboxMessage
from fablab.core.timeutil import utcnow
from fablab.extensions import db

log = logging.getLogger("fablab.mail")


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
    subject, _, body = text.strip().partition("\n")
    message = OutboxMessage(
        recipient=recipient,
        subject=subject.strip(),
        body=body.strip() + "\n",
        kind=kind or template,
        attachments=attachments or [],
    )
    db.session.add(message)
    if current_app.config["MAIL_BACKEND"] == "log":
        log.info("E-mail queued for %s: %s\n%s", recipient, message.subject, message.body)
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
        maintype, _, subtype = attachment["content_type"].partition("/")
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


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes, capped at six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def send_pending(limit: int = 100) -> tuple[int, int]:
    """Send the messages that are due; return (sent, failed this round).

    Each message is committed on its own, so a crash loses at most the one
    being sent (it is then sent again: the Message-ID stays the same).
    """
    config = current_app.config
    now = utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = failed = 0
    for message in db.session.scalars(query).all():
        try:
            if config["MAIL_BACKEND"] == "smtp":
                _smtp_send(build_message(message))
            else:
                log.info("E-mail to %s: %s\n%s", message.recipient, message.subject, message.body)
        except (OSError, smtplib.SMTPException) as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                message.status = "failed"
            else:
                message.next_attempt_at = utcnow() + backoff(message.attempts)
            failed += 1
        else:
            message.attempts += 1
            message.status = "sent"
            message.sent_at = utcnow()
            message.last_error = ""
            sent += 1
        db.session.commit()
    return sent, failed


def absolute_url(endpoint: str, **values) -> str:
    """An address for an e-mail, from a request or from a command (cron)."""
    from flask import has_request_context, url_for

    base = current_app.config["BASE_URL"].rstrip("/")
    if has_request_context():
        return base + url_for(endpoint, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)
