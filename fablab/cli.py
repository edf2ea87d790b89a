"""Command-line tools: ``flask --app fablab <command>``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from fablab.accounts import services as accounts
from fablab.accounts.models import User
from fablab.booking import services as booking
from fablab.core.backup import BackupError, backup, restore
from fablab.core.errors import DomainError
from fablab.core.mail import send_pending
from fablab.core.timeutil import utcnow
from fablab.demo import load_demo
from fablab.events import services as events
from fablab.extensions import db
from fablab.loans.services import expire_holds, send_overdue_notices
from fablab.memberships.services import send_expiry_reminders


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_admin)
    app.cli.add_command(demo)
    app.cli.add_command(outbox)
    app.cli.add_command(memberships_cli)
    app.cli.add_command(booking_cli)
    app.cli.add_command(events_cli)
    app.cli.add_command(loans_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrateur", help="Display name.")
@click.password_option(help="The password (asked when not given).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account, or make an existing account admin."""
    try:
        accounts.check_password_strength(password)
    except DomainError as error:
        raise click.ClickException(str(error)) from error
    user = accounts.find_by_email(email)
    if user is None:
        user = User(name=name, email=accounts.normalize_email(email))
        db.session.add(user)
    user.role = "admin"
    user.active = True
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    user.set_password(password)
    db.session.commit()
    click.echo(f"Administrator {user.email} is ready.")


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts.")
def demo(if_empty: bool) -> None:
    """Load realistic French demo data (never on a production database)."""
    if db.session.scalar(select(func.count(User.id))):
        if if_empty:
            click.echo("The database already has data: demo data not loaded.")
            return
        raise click.ClickException("The database is not empty: demo data goes in an empty one.")
    try:
        load_demo()
        db.session.commit()
    except Exception as error:  # all or nothing: whatever failed, nothing stays
        db.session.rollback()
        raise click.ClickException(
            f"The demo data could not be loaded ({type(error).__name__}: {error}). Nothing "
            "was written: the database is still empty. Run the command again; if it fails "
            "again, please report this message with the date and time.") from error
    click.echo("Demo data loaded. Accounts: admin@example.org, staff@example.org, "
               "member@example.org (password: demo-password).")


@click.group("outbox", cls=AppGroup)
def outbox() -> None:
    """The e-mail outbox."""


@outbox.command("send")
@click.option("--loop", is_flag=True, help="Keep running, sending every --interval seconds.")
@click.option("--interval", default=30, show_default=True)
def outbox_send(loop: bool, interval: int) -> None:
    """Send the pending e-mails (with retries and back-off)."""
    import time

    while True:
        sent, failed = send_pending()
        click.echo(f"{sent} sent, {failed} failed (kept for a retry).")
        if not loop:
            return
        time.sleep(interval)


@outbox.command("requeue")
@click.option("--id", "message_id", type=int, help="The failed message to send again.")
@click.option("--all-failed", is_flag=True, help="Send every failed message again.")
def outbox_requeue(message_id: int | None, all_failed: bool) -> None:
    """Put failed e-mails back in the queue (as "send again" on the admin page)."""
    from fablab.core import mail
    from fablab.core.errors import DomainError
    from fablab.core.models import OutboxMessage

    if (message_id is None) == (not all_failed):
        raise click.UsageError("Give either --id N or --all-failed.")
    if all_failed:
        count = mail.requeue_all_failed(None)
        db.session.commit()
        click.echo(f"{count} message(s) will be sent again.")
        return
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise click.ClickException(f"No message #{message_id} in the outbox.")
    try:
        mail.requeue(None, message)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"#{message_id}: {error}") from error
    db.session.commit()
    click.echo(f"Message #{message_id} will be sent again.")


@click.group("memberships", cls=AppGroup)
def memberships_cli() -> None:
    """Membership tasks."""


@memberships_cli.command("remind")
def memberships_remind() -> None:
    """E-mail the members whose membership is about to end (run it daily)."""
    count = send_expiry_reminders()
    db.session.commit()
    click.echo(f"{count} reminder(s) queued.")


@click.group("booking", cls=AppGroup)
def booking_cli() -> None:
    """Booking tasks."""


@booking_cli.command("close-slots")
def booking_close_slots() -> None:
    """Mark the bookings nobody checked in, once their slot is over, as no-shows
    (run it hourly; the staff day view does it too)."""
    count = booking.mark_no_shows()
    db.session.commit()
    click.echo(f"{count} no-show(s) recorded.")


@booking_cli.command("remind")
def booking_remind() -> None:
    """E-mail the members whose booking starts within 24 hours (run it hourly)."""
    count = booking.send_reminders()
    db.session.commit()
    click.echo(f"{count} reminder(s) queued.")


@click.group("events", cls=AppGroup)
def events_cli() -> None:
    """Event tasks."""


@events_cli.command("remind")
def events_remind() -> None:
    """E-mail the people with a seat at an event of the next 24 hours (run it hourly)."""
    count = events.send_reminders()
    db.session.commit()
    click.echo(f"{count} reminder(s) queued.")


@click.group("loans", cls=AppGroup)
def loans_cli() -> None:
    """Lending library tasks."""


@loans_cli.command("daily")
def loans_daily() -> None:
    """End the holds not collected in time and queue the overdue notices (run it daily)."""
    expired = expire_holds()
    notices = send_overdue_notices()
    db.session.commit()
    click.echo(f"{expired} hold(s) expired, {notices} notice(s) queued.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write the database and the uploads into PATH (a .tar.gz file)."""
    from pathlib import Path

    from flask import current_app

    try:
        written = backup(current_app, Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {written}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.confirmation_option(prompt="This replaces the whole database and the uploads. Go on?")
@with_appcontext
def restore_command(path: str) -> None:
    """Replace the database and the uploads with those of the backup PATH."""
    from pathlib import Path

    from flask import current_app

    try:
        restore(current_app, Path(path))
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored from {path}.")
