"""Account rules: registration, e-mail confirmation, login, password reset,
profiles, children, organisations, roles and the GDPR export and erasure."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from fablab.accounts import gdpr
from fablab.accounts.models import (SKILL_LEVELS, Child, Organisation, OrganisationMember,
                                    PublicProfile, Skill, SkillMessage, User, new_card_code)
from fablab.core import audit
from fablab.core.errors import DomainError, ensure_unique
from fablab.core.mail import absolute_url, queue_email
from fablab.core.models import AuditLog, OutboxMessage
from fablab.core.permissions import ROLES
from fablab.core.timeutil import local_today, utcnow
from fablab.extensions import db

CONFIRM_SALT = "fablab.email-confirm"
RESET_SALT = "fablab.password-reset"


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> User | None:
    email = normalize_email(email)
    if not email:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def check_password_strength(password: str) -> None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise DomainError(
            _("The password must be at least %(n)d characters long.", n=minimum), "password"
        )


# --- registration and confirmation -------------------------------------------------


def register(name: str, email: str, password: str, locale: str = "fr") -> User:
    """Create a member account and send the confirmation link."""
    name = (name or "").strip()
    email = normalize_email(email)
    if not name:
        raise DomainError(_("Please give your name."), "name")
    check_password_strength(password)
    if find_by_email(email):
        raise DomainError(_("An account already uses this e-mail address."), "email")
    user = User(name=name, email=email, locale=locale if locale in ("fr", "en") else "fr")
    user.set_password(password)
    db.session.add(user)
    _flush_unique_email(user)
    send_confirmation(user)
    return user


def _flush_unique_email(user: User) -> None:
    """The unique index settles a race between two sign-ups with one address."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("An account already uses this e-mail address."), "email") from error


def confirmation_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})


def send_confirmation(user: User) -> None:
    link = absolute_url("accounts.confirm_email", token=confirmation_token(user))
    queue_email(user.email, "confirm_email", locale=user.locale, kind="account.confirm",
                user=user, link=link)


def _load_token(salt: str, token: str, max_age_setting: str, expired: str,
                invalid: str) -> dict:
    """The signed data of an e-mailed link, or a readable refusal."""
    try:
        data = _serializer(salt).loads(token, max_age=current_app.config[max_age_setting])
    except SignatureExpired as error:
        raise DomainError(expired) from error
    except BadSignature as error:
        raise DomainError(invalid) from error
    if not isinstance(data, dict):
        raise DomainError(invalid)
    return data


def confirm_email(token: str) -> User:
    data = _load_token(CONFIRM_SALT, token, "EMAIL_CONFIRM_MAX_AGE",
                       _("This confirmation link has expired. Ask for a new one."),
                       _("This confirmation link is not valid."))
    user = db.session.get(User, data.get("id"))
    if user is None or user.email != data.get("email") or user.anonymised_at:
        raise DomainError(_("This confirmation link is not valid."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def resend_confirmation(email: str) -> None:
    """Same answer whether or not the address has an account."""
    user = find_by_email(email)
    if user and user.is_active and not user.email_confirmed:
        send_confirmation(user)


# --- login ---------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User:
    user = find_by_email(email)
    if user is None or not user.check_password(password or ""):
        raise DomainError(_("Wrong e-mail address or password."))
    if not user.is_active:
        raise DomainError(_("This account is deactivated. Please contact the staff."))
    if not user.email_confirmed:
        raise DomainError(
            _("Please confirm your e-mail address first: follow the link we sent you.")
        )
    user.last_login_at = utcnow()
    return user


# --- password reset ------------------------------------------------------------------


def _password_fingerprint(user: User) -> str:
    # The token carries a digest of the current hash: once the password
    # changes, every earlier link stops working (single use).
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"id": user.id, "fp": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Send a reset link if the address has an active account; say nothing either way."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        return
    link = absolute_url("accounts.reset_password", token=reset_token(user))
    queue_email(user.email, "reset_password", locale=user.locale, kind="account.reset",
                user=user, link=link)


def user_for_reset_token(token: str) -> User:
    data = _load_token(RESET_SALT, token, "PASSWORD_RESET_MAX_AGE",
                       _("This link has expired. Ask for a new one."),
                       _("This link is not valid or has already been used."))
    user = db.session.get(User, data.get("id"))
    if user is None or not user.is_active or data.get("fp") != _password_fingerprint(user):
        raise DomainError(_("This link is not valid or has already been used."))
    return user


def reset_password(token: str, password: str) -> User:
    user = user_for_reset_token(token)
    check_password_strength(password)
    user.set_password(password)
    # Following the link proves the address too.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise DomainError(_("The current password is wrong."), "current_password")
    check_password_strength(new)
    user.set_password(new)


# --- profile and children ------------------------------------------------------------

PROFILE_FIELDS = ("name", "phone", "commune", "birth_year", "locale")


def update_profile(user: User, **fields: Any) -> None:
    name = (fields.get("name") or "").strip()
    if not name:
        raise DomainError(_("Please give your name."), "name")
    birth_year = fields.get("birth_year")
    if birth_year is not None and not 1900 <= birth_year <= local_today().year:
        raise DomainError(_("Please give a valid birth year."), "birth_year")
    locale = fields.get("locale") or user.locale
    if locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_("Unknown language."), "locale")
    user.name = name
    user.phone = (fields.get("phone") or "").strip()
    user.commune = (fields.get("commune") or "").strip()
    user.birth_year = birth_year
    user.locale = locale


def add_child(guardian: User, first_name: str, birth_year: int | None) -> Child:
    first_name = (first_name or "").strip()
    this_year = local_today().year
    if not first_name:
        raise DomainError(_("Please give the child's first name."), "first_name")
    if birth_year is None or not this_year - 18 < birth_year <= this_year:
        raise DomainError(_("A child must be under 18: please check the birth year."),
                          "birth_year")
    for child in guardian.children:
        if child.first_name.lower() == first_name.lower() and child.birth_year == birth_year:
            raise DomainError(_("This child is already declared."), "first_name")
    child = Child(guardian=guardian, first_name=first_name, birth_year=birth_year)
    db.session.add(child)
    db.session.flush()
    return child


def remove_child(guardian: User, child_id: int) -> None:
    child = db.session.get(Child, child_id)
    if child is None or child.guardian_id != guardian.id:
        raise DomainError(_("This child is not on your account."))
    db.session.delete(child)


# --- GDPR ----------------------------------------------------------------------------


def export_data(user: User) -> dict[str, Any]:
    """Everything the application holds about the member, as plain JSON data.

    Every domain adds its part (registered at setup in ``fablab.accounts.gdpr``).
    """
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "name": user.name,
            "email": user.email,
            "phone": user.phone,
            "commune": user.commune,
            "birth_year": user.birth_year,
            "language": user.locale,
            "role": user.role,
            "card_code": user.card_code,
            "created_at": user.created_at.isoformat(),
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "children": [
            {"first_name": c.first_name, "birth_year": c.birth_year} for c in user.children
        ],
        "organisations": [
            {"name": link.organisation.name, "responsible": link.is_responsible}
            for link in user.organisation_links
        ],
    }
    for part in gdpr.parts():
        if part.export is not None:
            data[part.name] = part.export(user)
    return data


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def delete_account(user: User, password: str) -> None:
    """Anonymise the account: name, e-mail and contact details go, history stays
    (counted anonymously in the figures)."""
    if not user.check_password(password or ""):
        raise DomainError(_("The password is wrong."), "password")
    if user.is_admin and count_admins() <= 1:
        raise DomainError(_("You are the last administrator: name another one first."))
    anonymise(user)


def anonymise(user: User) -> None:
    """Every domain erases its part (registered at setup in ``fablab.accounts.gdpr``): the
    higher domains first, the account itself last (the others may need its e-mail)."""
    for part in reversed(gdpr.parts()):
        if part.erase is not None:
            part.erase(user)


def erase_account(user: User) -> None:
    user.name = ""
    user.email = None
    user.phone = ""
    user.commune = ""
    user.password_hash = ""
    user.card_code = new_card_code()
    user.active = False
    user.role = "member"
    user.anonymised_at = utcnow()
    for child in user.children:
        child.first_name = ""
    user.organisation_links.clear()


def erase_traces(user: User) -> None:
    """The e-mails the member was sent, and their name or address as the summary of a
    line of the audit log (the line stays: who did what, without them)."""
    if user.email:
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == user.email))
    names = [value for value in (user.name, user.email) if value]
    if names:
        db.session.execute(update(AuditLog).where(AuditLog.summary.in_(names)).values(summary=""))
    children = [child.first_name for child in user.children if child.first_name]
    if children:  # a child's registration is logged under their first name
        db.session.execute(update(AuditLog).where(
            AuditLog.object_type == "Registration", AuditLog.summary.in_(children))
            .values(summary=""))


def count_admins() -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    )


# --- staff and admin -----------------------------------------------------------------


def search_members(query: str = "", limit: int = 50, offset: int = 0):
    stmt = select(User).where(User.anonymised_at.is_(None))
    query = (query or "").strip()
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(
                func.lower(User.name).like(like),
                User.email.like(like),
                func.lower(User.card_code) == query.lower(),
            )
        )
    return db.session.scalars(stmt.order_by(User.name).limit(limit).offset(offset)).all()


def create_member_at_desk(actor: User, name: str, email: str, phone: str = "",
                          locale: str = "fr") -> User:
    """Staff create an account for someone at the desk; the person gets a link
    to choose a password."""
    name = (name or "").strip()
    email = normalize_email(email)
    if not name:
        raise DomainError(_("Please give the member's name."), "name")
    if find_by_email(email):
        raise DomainError(_("An account already uses this e-mail address."), "email")
    user = User(name=name, email=email, phone=(phone or "").strip(), locale=locale)
    db.session.add(user)
    _flush_unique_email(user)
    audit.record(actor, "member.create", user, summary=email)
    link = absolute_url("accounts.reset_password", token=reset_token(user))
    queue_email(user.email, "welcome_desk", locale=user.locale, kind="account.welcome",
                user=user, link=link)
    return user


def set_role(actor: User, user: User, role: str) -> None:
    if role not in ROLES:
        raise DomainError(_("Unknown role."), "role")
    if user.id == actor.id and role != "admin":
        raise DomainError(_("You cannot remove your own administrator role."))
    if user.anonymised_at:
        raise DomainError(_("This account has been deleted."))
    previous = user.role
    user.role = role
    audit.record(actor, "user.role", user, summary=f"{previous} → {role}",
                 previous=previous, role=role)


def set_active(actor: User, user: User, active: bool) -> None:
    if user.id == actor.id:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.anonymised_at:
        raise DomainError(_("This account has been deleted."))
    user.active = active
    audit.record(actor, "user.activate" if active else "user.deactivate", user)


# --- organisations -------------------------------------------------------------------


def save_organisation(actor: User, organisation: Organisation | None, **fields: Any) -> Organisation:
    name = (fields.get("name") or "").strip()
    if not name:
        raise DomainError(_("Please give the organisation's name."), "name")
    ensure_unique(Organisation.name, name, organisation,
                  _("An organisation already has this name."), "name", ignore_case=True)
    creating = organisation is None
    if creating:
        organisation = Organisation(name=name)
        db.session.add(organisation)
    organisation.name = name
    organisation.kind = fields.get("kind") or "association"
    for key in ("email", "phone", "address", "notes"):
        setattr(organisation, key, (fields.get(key) or "").strip())
    db.session.flush()
    audit.record(actor, "organisation.create" if creating else "organisation.update",
                 organisation, summary=name)
    return organisation


def add_organisation_member(actor: User, organisation: Organisation, member: User | None,
                            responsible: bool = False) -> OrganisationMember:
    if member is None or member.anonymised_at:
        raise DomainError(_("No member has this e-mail address or card code."), "member")
    if any(link.user_id == member.id for link in organisation.member_links):
        raise DomainError(_("This member already belongs to the organisation."), "member")
    link = OrganisationMember(organisation=organisation, user=member, is_responsible=responsible)
    db.session.add(link)
    db.session.flush()
    audit.record(actor, "organisation.add_member", organisation, summary=member.name,
                 member_id=member.id)
    return link


def remove_organisation_member(actor: User, organisation: Organisation, link_id: int) -> None:
    link = db.session.get(OrganisationMember, link_id)
    if link is None or link.organisation_id != organisation.id:
        raise DomainError(_("This member does not belong to the organisation."))
    audit.record(actor, "organisation.remove_member", organisation, member_id=link.user_id)
    db.session.delete(link)


def member_by_email_or_card(value: str) -> User | None:
    value = (value or "").strip()
    if not value:
        return None
    return db.session.scalar(
        select(User).where(
            User.anonymised_at.is_(None),
            or_(User.email == normalize_email(value), User.card_code == value.upper()),
        )
    )


def age_on(birth_year: int, day: date) -> int:
    """Age reached during the year of ``day`` (we only keep the birth year)."""
    return day.year - birth_year


# --- the skills directory and public profiles (issue 6) --------------------------------



def skill_level_labels() -> dict[str, str]:
    return {"beginner": _("beginner"), "confirmed": _("confirmed"), "expert": _("expert")}


def default_display_name(user: User) -> str:
    """A first proposal the member can change: first name and initial."""
    words = (user.name or "").split()
    if not words:
        return _("Member %(num)d", num=user.id)
    if len(words) == 1:
        return words[0][:60]
    return f"{words[0]} {words[-1][0]}."[:60]


def public_profile(user: User, create: bool = True):
    profile = db.session.get(PublicProfile, user.id)
    if profile is None and create:
        profile = PublicProfile(user_id=user.id, display_name=default_display_name(user),
                                in_directory=False, updated_at=utcnow())
        db.session.add(profile)
        db.session.flush()
    return profile


def save_public_profile(user: User, display_name: str, about: str, in_directory: bool):
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise DomainError(_("Please choose the name shown to the public."), "display_name")
    if len(display_name) > 60:
        raise DomainError(_("60 characters at most."), "display_name")
    profile = public_profile(user)
    profile.display_name = display_name
    profile.about = (about or "").strip()[:500]
    profile.in_directory = bool(in_directory)
    profile.updated_at = utcnow()
    return profile


def normalise_skill(name: str) -> str:
    return " ".join((name or "").lower().split())[:60]


def add_skill(user: User, name: str, level: str):
    name = normalise_skill(name)
    if not name:
        raise DomainError(_("Please name the skill."), "name")
    if level not in SKILL_LEVELS:
        raise DomainError(_("Please choose a level."), "level")
    existing = db.session.scalar(select(Skill).where(Skill.user_id == user.id,
                                                     Skill.name == name))
    if existing is not None:
        existing.level = level
        return existing
    if db.session.scalar(select(func.count(Skill.id)).where(Skill.user_id == user.id)) >= 30:
        raise DomainError(_("30 skills at most."), "name")
    skill = Skill(user_id=user.id, name=name, level=level)
    db.session.add(skill)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise DomainError(_("This skill is already on your list."), "name") from error
    return skill


def remove_skill(user: User, skill_id: int) -> None:
    skill = db.session.get(Skill, skill_id)
    if skill is None or skill.user_id != user.id:
        raise DomainError(_("This skill is not on your list."))
    db.session.delete(skill)


def _listed():
    return (select(PublicProfile).join(User, User.id == PublicProfile.user_id)
            .where(PublicProfile.in_directory.is_(True), User.active.is_(True),
                   User.anonymised_at.is_(None)))


def skills_directory(q: str = "", limit: int = 30, offset: int = 0):
    """Listed members (display names and skills only), searchable by skill or name."""
    from sqlalchemy.orm import selectinload

    query = _listed()
    q = normalise_skill(q)
    if q:
        pattern = "%" + q.replace("\\", "").replace("%", "").replace("_", "") + "%"
        query = query.where(or_(
            func.lower(PublicProfile.display_name).like(pattern),
            PublicProfile.user_id.in_(select(Skill.user_id).where(Skill.name.like(pattern)))))
    query = (query.options(selectinload(PublicProfile.user).selectinload(User.skills))
             .order_by(func.lower(PublicProfile.display_name), PublicProfile.user_id)
             .limit(limit).offset(offset))
    return db.session.scalars(query).all()


def listed_profile(user_id: int):
    return db.session.scalar(_listed().where(PublicProfile.user_id == user_id))


def send_skill_message(sender: User, recipient_id: int, body: str) -> None:
    """Through the outbox; the recipient's address is never shown to the sender,
    and the sender's is given to the recipient so that they can answer."""
    from datetime import timedelta

    profile = listed_profile(recipient_id)
    if profile is None:
        raise DomainError(_("This member is not in the skills directory."))
    if recipient_id == sender.id:
        raise DomainError(_("You cannot write to yourself."), "body")
    body = (body or "").strip()
    if len(body) < 10:
        raise DomainError(_("Please write a few words (10 characters at least)."), "body")
    if len(body) > 3000:
        raise DomainError(_("3,000 characters at most."), "body")
    since = utcnow() - timedelta(days=1)
    sent = db.session.scalar(select(func.count(SkillMessage.id)).where(
        SkillMessage.sender_id == sender.id, SkillMessage.created_at >= since))
    if sent >= current_app.config["SKILL_MESSAGES_PER_DAY"]:
        raise DomainError(_("You have sent many messages today: please try again tomorrow."))
    recipient = profile.user
    db.session.add(SkillMessage(sender_id=sender.id, recipient_id=recipient.id))
    queue_email(recipient.email, "skill_message", locale=recipient.locale, kind="skills.message",
                recipient_name=profile.display_name,
                sender_name=public_profile(sender).display_name, sender_email=sender.email,
                body=body, directory_url=absolute_url("accounts.skills_profile"))


def export_skills(user: User) -> dict[str, Any]:
    profile = db.session.get(PublicProfile, user.id)
    return {
        "display_name": profile.display_name if profile else None,
        "about": profile.about if profile else None,
        "in_directory": bool(profile and profile.in_directory),
        "skills": [{"name": s.name, "level": s.level} for s in user.skills],
        "messages_sent": db.session.scalar(select(func.count(SkillMessage.id)).where(
            SkillMessage.sender_id == user.id)),
    }


def erase_skills(user: User) -> None:
    for skill in list(user.skills):
        db.session.delete(skill)
    profile = db.session.get(PublicProfile, user.id)
    if profile is not None:
        db.session.delete(profile)
    db.session.execute(SkillMessage.__table__.delete().where(
        or_(SkillMessage.sender_id == user.id, SkillMessage.recipient_id == user.id)))

