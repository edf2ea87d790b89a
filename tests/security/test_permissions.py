"""Who may call which route: one permission matrix for the whole url_map.

``MATRIX`` names, for every (endpoint, HTTP method) of the application, the outcome
expected for each role. ``test_matrix_covers_every_route`` fails when a route has no
entry (a route added later must be classified here) or when an entry names a route
that no longer exists. ``test_permission`` then requests every (route, method, role).

Outcomes:

* ``ok``: 2xx, or a 3xx that is not the "please log in" redirect; for a POST, 400
  (an invalid form) is fine too. Never a 5xx.
* ``login``: 302 to ``/login?next=<the requested path>``.
* ``forbidden``: 403.
* ``notfound``: 404.

Every answer other than ``ok`` must leave the database untouched: POSTs carry a valid
form (``form_for``) so that a missing check would show as a change.

Adding a route: give it a ``MATRIX`` entry; if its URL has a new variable, create the
object in ``build_world`` and name it in ``World.url_values``; if it takes a form,
a valid one in ``form_for``. The CSRF tests (test_csrf.py) pick it up by themselves.

The same module checks the security headers, the session cookie flags, the JSON
404 of /api/... and that anonymous visitors and plain members never see another
member's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from fablab import create_app
from fablab.extensions import db as _db
from tests.conftest import base_config, empty_tables

ROLES = ("anonymous", "member", "staff", "admin")
IGNORED_ENDPOINTS = {"static", "bootstrap.static"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}

PUBLIC = {"anonymous": "ok", "member": "ok", "staff": "ok", "admin": "ok"}
LOGGED_IN = {"anonymous": "login", "member": "ok", "staff": "ok", "admin": "ok"}
STAFF = {"anonymous": "login", "member": "forbidden", "staff": "ok", "admin": "ok"}
ADMIN = {"anonymous": "login", "member": "forbidden", "staff": "forbidden", "admin": "ok"}
# Another member's booking: staff may cancel it; a member is not told it exists.
SOMEONE_ELSES_BOOKING = {"anonymous": "login", "member": "notfound", "staff": "ok",
                         "admin": "ok"}
# Another member's child: nobody may remove it through their own account, whatever
# their role, and its existence is not confirmed.
SOMEONE_ELSES = {"anonymous": "login", "member": "notfound", "staff": "notfound",
                 "admin": "notfound"}

MATRIX: dict[tuple[str, str], dict[str, str]] = {
    # --- public ---------------------------------------------------------------------
    ("core.home", "GET"): PUBLIC,
    ("core.healthz", "GET"): PUBLIC,
    ("core.uploaded_file", "GET"): {role: "notfound" for role in ROLES},  # no such file
    ("core.set_language", "POST"): PUBLIC,
    ("accounts.register", "GET"): PUBLIC,  # logged-in users are redirected: ok
    ("accounts.register", "POST"): PUBLIC,
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("accounts.logout", "POST"): PUBLIC,
    ("accounts.resend_confirmation", "GET"): PUBLIC,
    ("accounts.resend_confirmation", "POST"): PUBLIC,
    ("accounts.request_reset", "GET"): PUBLIC,
    ("accounts.request_reset", "POST"): PUBLIC,
    ("accounts.confirm_email", "GET"): PUBLIC,  # garbage token: redirect
    ("accounts.reset_password", "GET"): PUBLIC,  # garbage token: redirect
    ("accounts.reset_password", "POST"): PUBLIC,
    # --- any logged-in user, on their own account ---------------------------------
    ("accounts.account", "GET"): LOGGED_IN,
    ("accounts.edit_profile", "GET"): LOGGED_IN,
    ("accounts.edit_profile", "POST"): LOGGED_IN,
    ("accounts.change_password", "GET"): LOGGED_IN,
    ("accounts.change_password", "POST"): LOGGED_IN,
    ("accounts.add_child", "POST"): LOGGED_IN,
    ("accounts.remove_child", "POST"): SOMEONE_ELSES,
    ("accounts.export_data", "GET"): LOGGED_IN,
    ("accounts.delete_account", "GET"): LOGGED_IN,
    ("accounts.delete_account", "POST"): LOGGED_IN,
    # --- staff and admins ---------------------------------------------------------
    ("accounts.members", "GET"): STAFF,
    ("accounts.create_member", "GET"): STAFF,
    ("accounts.create_member", "POST"): STAFF,
    ("accounts.member", "GET"): STAFF,
    ("accounts.organisations", "GET"): STAFF,
    ("accounts.create_organisation", "GET"): STAFF,
    ("accounts.create_organisation", "POST"): STAFF,
    ("accounts.edit_organisation", "GET"): STAFF,
    ("accounts.edit_organisation", "POST"): STAFF,
    ("accounts.organisation", "GET"): STAFF,
    ("accounts.add_organisation_member", "POST"): STAFF,
    ("accounts.remove_organisation_member", "POST"): STAFF,
    ("memberships.overview", "GET"): STAFF,
    ("memberships.record", "GET"): STAFF,
    ("memberships.record", "POST"): STAFF,
    # --- admins only --------------------------------------------------------------
    ("accounts.admin_users", "GET"): ADMIN,
    ("accounts.admin_set_role", "POST"): ADMIN,
    ("accounts.admin_deactivate", "POST"): ADMIN,
    ("accounts.admin_activate", "POST"): ADMIN,
    ("accounts.admin_audit", "GET"): ADMIN,
    ("memberships.admin_tariffs", "GET"): ADMIN,
    ("memberships.admin_create_tariff", "GET"): ADMIN,
    ("memberships.admin_create_tariff", "POST"): ADMIN,
    ("memberships.admin_edit_tariff", "GET"): ADMIN,
    ("memberships.admin_edit_tariff", "POST"): ADMIN,
    ("core.admin_sites", "GET"): ADMIN,
    ("core.admin_create_site", "GET"): ADMIN,
    ("core.admin_create_site", "POST"): ADMIN,
    ("core.admin_edit_site", "GET"): ADMIN,
    ("core.admin_edit_site", "POST"): ADMIN,
    ("core.admin_outbox", "GET"): ADMIN,
    ("core.admin_outbox_message", "GET"): ADMIN,  # the victim's failed reset e-mail
    ("core.admin_outbox_requeue", "POST"): ADMIN,
    # --- machines, trainings, incidents ----------------------------------------------
    ("machines.index", "GET"): PUBLIC,
    ("machines.detail", "GET"): PUBLIC,
    ("machines.report_incident", "POST"): LOGGED_IN,
    ("machines.create", "GET"): STAFF,
    ("machines.create", "POST"): STAFF,
    ("machines.edit", "GET"): STAFF,
    ("machines.edit", "POST"): STAFF,
    ("machines.change_status", "POST"): STAFF,
    ("machines.incidents", "GET"): STAFF,
    ("machines.resolve_incident", "POST"): STAFF,
    ("machines.trainings", "GET"): STAFF,
    ("machines.create_training", "GET"): STAFF,
    ("machines.create_training", "POST"): STAFF,
    ("machines.edit_training", "GET"): STAFF,
    ("machines.edit_training", "POST"): STAFF,
    ("machines.training", "GET"): STAFF,
    ("machines.grant", "POST"): STAFF,
    ("machines.revoke", "POST"): STAFF,
    # --- bookings, slots, closures -------------------------------------------------------
    ("booking.my_bookings", "GET"): LOGGED_IN,
    ("booking.book", "POST"): LOGGED_IN,  # refused by the rules without membership: ok
    ("booking.cancel", "POST"): SOMEONE_ELSES_BOOKING,
    ("booking.day", "GET"): STAFF,
    ("booking.check_in", "POST"): STAFF,
    ("booking.decide", "POST"): STAFF,
    ("booking.slots", "GET"): STAFF,
    ("booking.create_slot", "GET"): STAFF,
    ("booking.create_slot", "POST"): STAFF,
    ("booking.create_series", "GET"): STAFF,
    ("booking.create_series", "POST"): STAFF,
    ("booking.cancel_slot", "POST"): STAFF,
    ("booking.create_closure", "GET"): STAFF,
    ("booking.create_closure", "POST"): STAFF,
    # --- workshops and events ------------------------------------------------------------
    ("events.index", "GET"): PUBLIC,
    ("events.detail", "GET"): PUBLIC,
    ("events.register", "POST"): LOGGED_IN,
    ("events.enrol", "POST"): LOGGED_IN,
    ("events.my_registrations", "GET"): LOGGED_IN,
    # The victim's registration: staff may cancel it; a member is not told it exists.
    ("events.cancel_registration", "POST"): SOMEONE_ELSES_BOOKING,
    ("events.create", "GET"): STAFF,
    ("events.create", "POST"): STAFF,
    ("events.edit", "GET"): STAFF,
    ("events.edit", "POST"): STAFF,
    ("events.create_series", "GET"): STAFF,
    ("events.create_series", "POST"): STAFF,
    ("events.publish", "POST"): STAFF,
    ("events.cancel", "POST"): STAFF,
    ("events.registrations", "GET"): STAFF,
    ("events.attend", "POST"): STAFF,
    ("events.repair_cafe", "GET"): PUBLIC,
    ("events.repair_items_csv", "GET"): PUBLIC,  # objects only, never their owners
    ("events.repairs", "GET"): STAFF,
    ("events.repairs", "POST"): STAFF,
    ("events.edit_repair", "GET"): STAFF,
    ("events.edit_repair", "POST"): STAFF,
    # --- lending library -----------------------------------------------------------------
    ("loans.catalogue", "GET"): PUBLIC,
    ("loans.item", "GET"): PUBLIC,  # the item on loan to the victim: her name never shows
    ("loans.place_hold", "POST"): LOGGED_IN,  # refused by the rules without membership: ok
    # The victim's hold and loan: staff may cancel or renew them; a member is not told
    # they exist.
    ("loans.cancel_hold", "POST"): SOMEONE_ELSES_BOOKING,
    ("loans.renew", "POST"): SOMEONE_ELSES_BOOKING,
    ("loans.my_loans", "GET"): LOGGED_IN,
    ("loans.overview", "GET"): STAFF,
    ("loans.member_loans", "GET"): STAFF,
    ("loans.create", "GET"): STAFF,
    ("loans.create", "POST"): STAFF,
    ("loans.edit", "GET"): STAFF,
    ("loans.edit", "POST"): STAFF,
    ("loans.set_status", "POST"): STAFF,
    ("loans.conditions", "GET"): STAFF,
    ("loans.conditions", "POST"): STAFF,
    ("loans.labels_choice", "GET"): STAFF,
    ("loans.label_css", "GET"): PUBLIC,
    ("loans.label_sheet", "GET"): STAFF,  # no format chosen: redirect to the choice
    # --- the desk: QR codes, member cards, the scan station --------------------------
    ("desk.resolve", "GET"): PUBLIC,  # the item's code: redirect to its page
    ("desk.qr_image", "GET"): PUBLIC,  # the item's QR
    ("desk.my_card", "GET"): LOGGED_IN,
    ("desk.member_card", "GET"): STAFF,
    ("desk.scan", "GET"): STAFF,
    ("desk.scan", "POST"): STAFF,  # lends the second item to the victim
    ("desk.finish", "POST"): STAFF,  # e-mails the victim her receipt
    ("desk.record_return", "POST"): STAFF,
    # --- projects (open documentation) --------------------------------------------------
    # The victim's published project: public pages show her public name only.
    ("projects.gallery", "GET"): PUBLIC,
    ("projects.feed", "GET"): PUBLIC,
    ("projects.detail", "GET"): PUBLIC,
    ("projects.history", "GET"): PUBLIC,
    ("projects.revision", "GET"): PUBLIC,
    ("projects.download", "GET"): PUBLIC,
    ("projects.image", "GET"): {role: "notfound" for role in ROLES},  # no such image
    ("projects.export_zip", "GET"): PUBLIC,
    ("projects.okh", "GET"): PUBLIC,
    ("projects.readme", "GET"): PUBLIC,
    ("projects.bom_csv", "GET"): PUBLIC,
    ("projects.report", "GET"): LOGGED_IN,
    ("projects.report", "POST"): LOGGED_IN,
    ("projects.my_projects", "GET"): LOGGED_IN,
    ("projects.create", "GET"): LOGGED_IN,
    ("projects.create", "POST"): LOGGED_IN,
    # Editing the victim's project: staff may; to a member who is not an author it
    # does not exist.
    ("projects.edit", "GET"): SOMEONE_ELSES_BOOKING,
    ("projects.edit", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.add_step", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.edit_step", "GET"): SOMEONE_ELSES_BOOKING,
    ("projects.edit_step", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.move_step", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.delete_step", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.upload", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.delete_file", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.set_cover", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.add_bom_line", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.delete_bom_line", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.invite", "POST"): SOMEONE_ELSES_BOOKING,
    ("projects.publish", "POST"): SOMEONE_ELSES_BOOKING,  # already published: refused, ok
    ("projects.unpublish", "POST"): SOMEONE_ELSES_BOOKING,
    # An invitation is answered by the invited member only.
    ("projects.answer_invitation", "POST"): SOMEONE_ELSES,
    ("projects.reports", "GET"): STAFF,
    ("projects.moderate", "POST"): STAFF,
    ("projects.feature", "POST"): STAFF,
    # --- the skills directory (accounts) ------------------------------------------------
    ("accounts.skills_directory", "GET"): PUBLIC,
    ("accounts.skills_member", "GET"): PUBLIC,  # the victim is listed, under her public name
    ("accounts.skills_member", "POST"): LOGGED_IN,
    ("accounts.skills_profile", "GET"): LOGGED_IN,
    ("accounts.skills_profile", "POST"): LOGGED_IN,
    ("accounts.remove_skill", "POST"): SOMEONE_ELSES,
    # --- the agenda, its iCalendar feeds and the open-data API ---------------------------
    ("agenda.index", "GET"): PUBLIC,
    ("agenda.week", "GET"): PUBLIC,
    ("agenda.month", "GET"): PUBLIC,
    ("agenda.public_feed", "GET"): PUBLIC,
    ("agenda.machine_feed", "GET"): PUBLIC,  # the victim's booking: "Booked", no name
    ("agenda.event_ics", "GET"): PUBLIC,
    # A garbage token: 404 for everyone, logged in or not.
    ("agenda.personal_feed", "GET"): {role: "notfound" for role in ROLES},
    ("agenda.booking_ics", "GET"): SOMEONE_ELSES_BOOKING,  # the victim's booking
    ("agenda.regenerate_token", "POST"): LOGGED_IN,
    ("api.events", "GET"): PUBLIC,
    ("api.slots", "GET"): PUBLIC,
    ("api.machines", "GET"): PUBLIC,
    ("api.items", "GET"): PUBLIC,
    ("api.repair_cafe_impact", "GET"): PUBLIC,
    ("api.projects", "GET"): PUBLIC,
    ("api.openapi", "GET"): PUBLIC,
    # --- the desk's today screen, visits, activity reports ---------------------------
    ("desk.index", "GET"): STAFF,
    ("desk.check_in_booking", "POST"): STAFF,  # the victim's booking (too early: refused)
    ("desk.attend", "POST"): STAFF,  # the victim's seat (too early: refused)
    ("desk.add_visitor", "POST"): STAFF,  # counts a walk-in visitor
    ("reports.index", "GET"): STAFF,
    ("reports.export_csv", "GET"): STAFF,  # no table named: back to the report
}

# (endpoint, method, role) -> reason, for app bugs found by these tests (strict xfail).
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


# --- the objects the URLs point to ------------------------------------------------------

VICTIM_NAME = "Zoé Secrète"
VICTIM_EMAIL = "zoe.secrete@example.org"
VICTIM_PHONE = "06 71 82 93 04"
VICTIM_CHILD = "Philomène"
GARBAGE_TOKEN = "not-a-real-token.garbage"


@dataclass
class World:
    """Ids of the objects the routes act on. The victim (Zoé) is a plain member
    with a membership, a child and an organisation link: the target of every
    /members/<id>, /admin/users/<id>, child and link route."""

    member_id: int
    staff_id: int
    admin_id: int
    victim_id: int
    victim_card: str
    child_id: int
    organisation_id: int
    link_id: int
    tariff_id: int
    tariff_code: str
    site_id: int
    resource_slug: str
    training_id: int
    grant_id: int
    incident_id: int
    slot_id: int
    booking_id: int
    event_slug: str
    series_id: int
    registration_id: int
    repair_category_id: int
    repair_id: int
    item_code: str
    free_item_code: str
    loan_id: int
    hold_id: int
    condition_id: int
    today: date  # the lab's day when the world was built: its slot, events and loan count from it
    # Projects and skills (the victim's published project and listed profile).
    project_id: int = 0
    step_id: int = 0
    project_file_id: int = 0
    bom_line_id: int = 0
    skill_id: int = 0
    outbox_message_id: int = 0

    def url_values(self) -> dict[str, object]:
        """URL variables by name; a new variable name must be added here."""
        return {
            "user_id": self.victim_id,
            "child_id": self.child_id,
            "organisation_id": self.organisation_id,
            "link_id": self.link_id,
            "tariff_id": self.tariff_id,
            "site_id": self.site_id,
            "token": GARBAGE_TOKEN,
            "name": "no-such-upload.jpg",
            "slug": self.resource_slug,
            "training_id": self.training_id,
            "grant_id": self.grant_id,
            "incident_id": self.incident_id,
            "slot_id": self.slot_id,
            "booking_id": self.booking_id,
            # "slug" serves the machine and the event routes: both carry the same
            # slug (different tables), see build_world.
            "series_id": self.series_id,
            "registration_id": self.registration_id,
            "repair_id": self.repair_id,  # an object logged at the event of "slug"
            # The item on loan to the victim (items and the /q/ resolver, its QR).
            "code": self.item_code,
            "kind": "png",
            "loan_id": self.loan_id,
            "hold_id": self.hold_id,
            "project_id": self.project_id,
            "step_id": self.step_id,
            "file_id": self.project_file_id,
            "line_id": self.bom_line_id,
            "number": 1,
            "skill_id": self.skill_id,
            "message_id": self.outbox_message_id,
        }

    def role_user_id(self, role: str) -> int | None:
        return {"member": self.member_id, "staff": self.staff_id,
                "admin": self.admin_id}.get(role)


def build_world(app) -> World:
    """Create the users and objects in the database (no password: hashing is slow)."""
    from fablab.accounts.models import Child, Organisation, OrganisationMember, User
    from fablab.core.models import Site
    from fablab.core.timeutil import local_today, utcnow
    from fablab.booking.models import Booking, OpenSlot
    from fablab.booking.services import local_to_utc
    from fablab.events.models import Event, EventSeries, Registration, RepairCategory, RepairItem
    from fablab.machines.models import Incident, Resource, Training, TrainingGrant
    from fablab.memberships.models import Membership, Tariff

    with app.app_context():
        now = utcnow()

        def user(name, email, role="member", **fields):
            u = User(name=name, email=email, role=role, locale="fr", email_confirmed_at=now,
                     **fields)
            _db.session.add(u)
            return u

        member = user("Marie Membre", "marie@example.org")
        staff = user("Samir Staff", "samir@example.org", "staff")
        admin = user("Alice Admin", "alice@example.org", "admin")
        victim = user(VICTIM_NAME, VICTIM_EMAIL, phone=VICTIM_PHONE, commune="Trifouillis",
                      birth_year=1985)
        tariff = Tariff(code="standard-test", name="Standard test", price_cents=3000)
        site = Site(name="Atelier Central", slug="atelier-central", timezone="Europe/Paris",
                    address="1 rue des Ateliers")
        organisation = Organisation(name="Association des Bricoleurs", kind="association")
        _db.session.add_all([tariff, site, organisation])
        _db.session.flush()
        today = local_today()
        child = Child(guardian=victim, first_name=VICTIM_CHILD, birth_year=today.year - 8)
        link = OrganisationMember(organisation=organisation, user=victim, is_responsible=True)
        # The plain member shares the organisation with the victim: a page that
        # listed fellow members would leak her.
        _db.session.add_all([
            child, link,
            OrganisationMember(organisation=organisation, user=member),
            Membership(member=victim, tariff=tariff, starts_on=today - timedelta(days=30),
                       ends_on=today + timedelta(days=10), amount_cents=3000,
                       payment_method="card"),
        ])
        training = Training(name="Découpe laser test", validity_months=12)
        resource = Resource(site=site, name="Laser test", slug="laser-test", training=training,
                            category="Découpe laser")
        _db.session.add_all([training, resource])
        _db.session.flush()
        grant = TrainingGrant(member_id=victim.id, training_id=training.id)
        incident = Incident(resource_id=resource.id, reported_by_id=victim.id,
                            description="Le laser ne coupe plus.")
        slot_day = today + timedelta(days=3)
        slot = OpenSlot(site_id=site.id, capacity=10,
                        starts_at=local_to_utc(slot_day, time(14), ZoneInfo("Europe/Paris")),
                        ends_at=local_to_utc(slot_day, time(18), ZoneInfo("Europe/Paris")))
        _db.session.add_all([grant, incident, slot])
        _db.session.flush()
        booking = Booking(resource_id=resource.id, member_id=victim.id, slot_id=slot.id,
                          starts_at=slot.starts_at, ends_at=slot.starts_at + timedelta(hours=1),
                          status="confirmed", purpose="Coupe privée de Zoé")
        _db.session.add(booking)
        # Events: a published repair café in the future with the machine's slug (the
        # one "slug" URL value fits both routes), a club series that takes season
        # enrolments with one session, the victim's seat at the repair café and an
        # object she brought to it.
        paris = ZoneInfo("Europe/Paris")
        event_day = today + timedelta(days=10)
        event = Event(site_id=site.id, kind="repair_cafe", audience="everyone",
                      title="Repair café test",
                      slug=resource.slug, status="published", capacity=8,
                      starts_at=local_to_utc(event_day, time(14), paris),
                      ends_at=local_to_utc(event_day, time(17), paris),
                      animators=[staff])  # a staff animator: their first name is public
        series_day = today + timedelta(days=12)
        series = EventSeries(title="Club test", rule="weekly", weekday=series_day.isoweekday(),
                             start_time=time(17), end_time=time(19), first_day=series_day,
                             last_day=series_day, allows_enrolment=True)
        _db.session.add_all([event, series])
        _db.session.flush()
        club_session = Event(site_id=site.id, series_id=series.id, kind="club",
                             audience="teens", title="Club test", slug="club-test",
                             status="published", capacity=8,
                             starts_at=local_to_utc(series_day, time(17), paris),
                             ends_at=local_to_utc(series_day, time(19), paris))
        registration = Registration(event=event, member_id=victim.id,
                                    participant_key=f"m:{victim.id}", status="confirmed")
        category = RepairCategory(name="Grille-pain test", weight_kg=1.5, co2e_kg=20)
        _db.session.add_all([club_session, registration, category])
        _db.session.flush()
        repair = RepairItem(event_id=event.id, category_id=category.id,
                            owner_member_id=victim.id, brand="Moulinex",
                            problem="Ne chauffe plus.", outcome="fixed", repairer_id=staff.id)
        _db.session.add(repair)
        # The lending library: an item on loan to the victim (renewable), another one
        # she waits for, and a condition of the list.
        from fablab.core.models import OutboxMessage
        from fablab.loans.models import Hold, Item, ItemCondition, Loan

        condition = ItemCondition(name="Bon état", position=1)
        lent = Item(code="OBJ-0001", site_id=site.id, name="Perceuse test", category="Outillage",
                    status="on_loan", loan_days=14, max_renewals=2)
        free = Item(code="OBJ-0002", site_id=site.id, name="Ponceuse test",
                    category="Outillage", status="available")
        _db.session.add_all([condition, lent, free])
        _db.session.flush()
        loan = Loan(item_id=lent.id, member_id=victim.id, due_on=today + timedelta(days=5),
                    checked_out_by_id=staff.id)
        hold = Hold(item_id=free.id, member_id=victim.id, status="waiting", created_at=now)
        # A password-reset e-mail to the victim that SMTP refused for good.
        message = OutboxMessage(recipient=VICTIM_EMAIL, subject="Choisissez un mot de passe",
                                body="Bonjour Zoé,\nhttp://localhost/reset/secret\n",
                                kind="account.reset", status="failed", attempts=90,
                                first_attempt_at=now - timedelta(hours=97),
                                last_error="SMTPServerDisconnected")
        _db.session.add_all([loan, hold, message])
        _db.session.commit()
        world = World(
            member_id=member.id, staff_id=staff.id, admin_id=admin.id, victim_id=victim.id,
            victim_card=victim.card_code, child_id=child.id,
            organisation_id=organisation.id, link_id=link.id, tariff_id=tariff.id,
            tariff_code=tariff.code, site_id=site.id, resource_slug=resource.slug,
            training_id=training.id, grant_id=grant.id, incident_id=incident.id,
            slot_id=slot.id, booking_id=booking.id, event_slug=event.slug,
            series_id=series.id, registration_id=registration.id,
            repair_category_id=category.id, repair_id=repair.id, item_code=lent.code,
            free_item_code=free.code, loan_id=loan.id, hold_id=hold.id,
            condition_id=condition.id, outbox_message_id=message.id, today=today)
        build_projects_world(app, world, victim, resource)
        _db.session.remove()
    return world


VICTIM_PUBLIC_NAME = "Soudeuse du Nord"


def build_projects_world(app, world: World, victim, resource) -> None:
    """The victim's published project (a step, an STL file, a BOM line, a revision,
    the laser as its machine) and her listing in the skills directory, under a
    public name that is not her name."""
    from decimal import Decimal

    from fablab.accounts.models import PublicProfile, Skill
    from fablab.core.timeutil import utcnow
    from fablab.projects import storage
    from fablab.projects.models import (BomLine, Project, ProjectAuthor, ProjectFile,
                                        ProjectRevision, ProjectStep)

    now = utcnow()
    _db.session.add(PublicProfile(user_id=victim.id, display_name=VICTIM_PUBLIC_NAME,
                                  in_directory=True))
    skill = Skill(user_id=victim.id, name="soudure", level="confirmed")
    project = Project(title="Lampe test", slug="lampe-test", summary="Une lampe.",
                      intro="Introduction.", status="published", published_at=now,
                      updated_at=now, revision_count=1, search_text="Découper lamelles")
    project.machines = [resource]
    _db.session.add_all([skill, project])
    _db.session.flush()
    step = ProjectStep(project_id=project.id, position=1, title="Découper", body="lamelles")
    line = BomLine(project_id=project.id, name="Contreplaqué", quantity=Decimal("1"),
                   unit="feuille")
    with app.test_request_context():
        stored = storage.store_upload(__import__("io").BytesIO(
            b"solid a\n facet normal 0 0 1\n endfacet\nendsolid a\n"), "lampe.stl", 10000)
    item = ProjectFile(project_id=project.id, stored_name=stored.stored_name,
                       filename=stored.filename, kind=stored.kind, size=stored.size,
                       sha256=stored.sha256)
    _db.session.add_all([
        step, line, item,
        ProjectAuthor(project_id=project.id, user_id=victim.id, is_owner=True, accepted_at=now),
        ProjectRevision(project_id=project.id, number=1, author_id=victim.id,
                        changes=["created"], snapshot={"title": "Lampe test", "summary": "",
                                                       "intro": "", "steps": []}),
    ])
    _db.session.commit()
    world.project_id, world.step_id, world.project_file_id = project.id, step.id, item.id
    world.bom_line_id, world.skill_id = line.id, skill.id


def form_for(endpoint: str, world: World) -> dict[str, object]:
    """A valid form where one exists, so that a missing permission check would
    change something; other POSTs get an empty form. Its days count from the world's
    day (the lab's), not the machine's date.today(): from midnight to 01:00 or 02:00
    in Paris that was the day before, and the victim's renewal, overlapping her
    membership, was refused whoever sent it."""
    today = world.today
    slot_day = (today + timedelta(days=3)).isoformat()
    machine = {"kind": "machine", "site_id": world.site_id, "training_id": "0",
               "granularity_minutes": "30", "min_duration_minutes": "30",
               "max_duration_minutes": "120", "active": "y"}
    event_day = today + timedelta(days=20)
    event = {"site_id": world.site_id, "room_id": "0", "kind": "workshop",
             "audience": "everyone", "capacity": "10", "scope": "one",
             "starts_at": f"{event_day.isoformat()}T14:00",
             "ends_at": f"{event_day.isoformat()}T16:00"}
    item = {"site_id": world.site_id, "category": "Outillage", "loan_days": "14",
            "max_renewals": "1", "condition_id": "0", "lendable_to": "all", "training_id": "0",
            "value": "80.00", "deposit": "20.00", "location": "Étagère B"}
    forms = {
        "core.set_language": {"lang": "en", "next": "/"},
        "core.admin_create_site": {"name": "Nouveau Site", "address": "2 rue Neuve",
                                   "timezone": "Europe/Paris", "is_active": "y"},
        "core.admin_edit_site": {"name": "Site Renommé", "address": "3 rue Neuve",
                                 "timezone": "Europe/Paris", "is_active": "y"},
        "accounts.register": {"name": "Nouvelle Personne", "email": "nouvelle@example.org",
                              "password": "a-long-enough-password"},
        "accounts.resend_confirmation": {"email": VICTIM_EMAIL},
        "accounts.request_reset": {"email": VICTIM_EMAIL},
        "accounts.reset_password": {"password": "a-long-enough-password"},
        "accounts.edit_profile": {"name": "Nom Modifié", "phone": "0102030405",
                                  "commune": "Ailleurs", "locale": "en"},
        "accounts.add_child": {"first_name": "Léon", "birth_year": today.year - 5},
        "accounts.create_member": {"name": "Nouvel Adhérent", "email": "nouvel@example.org",
                                   "phone": "", "locale": "fr"},
        "accounts.create_organisation": {"name": "Nouvelle Asso", "kind": "school"},
        "accounts.edit_organisation": {"name": "Asso Renommée", "kind": "school",
                                       "notes": "changed"},
        "accounts.add_organisation_member": {"member": "alice@example.org",
                                             "responsible": "y"},
        "memberships.record": {"tariff": world.tariff_id,
                               "starts_on": (today + timedelta(days=11)).isoformat(),
                               "ends_on": (today + timedelta(days=375)).isoformat(),
                               "amount": "30.00", "payment_method": "cash",
                               "note": "test"},
        "accounts.admin_set_role": {"role": "admin"},
        "memberships.admin_create_tariff": {"code": "new-tariff", "name": "Nouveau tarif",
                                            "price": "12.50", "position": "1",
                                            "active": "y"},
        "memberships.admin_edit_tariff": {"code": world.tariff_code, "name": "Tarif renommé",
                                          "price": "1.00", "position": "2"},
        "machines.report_incident": {"incident-description": "La table est bancale."},
        "machines.create": {**machine, "name": "Nouvelle machine"},
        "machines.edit": {**machine, "name": "Laser renommé"},
        "machines.change_status": {"status-status": "maintenance",
                                   "status-reason": "Révision annuelle"},
        "machines.resolve_incident": {"resolution": "Buse changée"},
        "machines.create_training": {"name": "Nouvelle habilitation", "validity_months": "6"},
        "machines.edit_training": {"name": "Habilitation renommée"},
        "machines.grant": {"member": "marie@example.org", "note": "test"},
        "booking.book": {"day": slot_day, "start": "15:00", "end": "16:00"},
        "booking.cancel": {"reason": "test"},
        "booking.decide": {"decision": "reject", "reason": "test"},
        "booking.create_slot": {"site_id": world.site_id, "day": slot_day, "start_time": "10:00",
                                "end_time": "12:00", "capacity": "5", "staff_id": "0"},
        "booking.create_series": {"site_id": world.site_id, "weekdays": ["3"],
                                  "start_time": "14:00", "end_time": "18:00",
                                  "first_day": today.isoformat(),
                                  "last_day": (today + timedelta(days=30)).isoformat(),
                                  "capacity": "8", "staff_id": "0"},
        "booking.cancel_slot": {"reason": "Animateur malade"},
        "booking.create_closure": {"site_id": world.site_id,
                                   "first_day": (today + timedelta(days=40)).isoformat(),
                                   "last_day": (today + timedelta(days=45)).isoformat(),
                                   "reason": "Vacances"},
        "events.register": {"participants": ["me"]},
        "events.enrol": {"participants": ["me"]},
        "events.cancel_registration": {"back": "account"},
        "events.create": {**event, "title": "Nouvel atelier"},
        "events.edit": {**event, "title": "Atelier renommé"},
        "events.create_series": {
            **{k: v for k, v in event.items() if k not in ("starts_at", "ends_at", "scope")},
            "title": "Nouveau club", "rule": "weekly", "weekday": str(event_day.isoweekday()),
            "nth": "1", "start_time": "17:00", "end_time": "19:00",
            "first_day": event_day.isoformat(),
            "last_day": (event_day + timedelta(days=20)).isoformat(),
            "allows_enrolment": "y", "publish_now": "y"},
        "events.cancel": {"reason": "Animateur malade"},
        "events.attend": {"attended": "1"},
        "events.repairs": {"category_id": world.repair_category_id, "outcome": "repairable",
                           "barrier": "spare_parts_unavailable", "owner": "",
                           "owner_first_name": "Paul", "brand": "Seb", "model": "X1",
                           "problem": "Le moteur force.", "repairer_id": "0", "notes": ""},
        "events.edit_repair": {"category_id": world.repair_category_id, "outcome": "repairable",
                               "barrier": "too_worn_out", "owner": "", "owner_first_name": "Paul",
                               "brand": "Seb", "model": "X2", "problem": "Le moteur force.",
                               "repairer_id": "0", "notes": "", "year_of_manufacture": "2011",
                               "weight_kg": "1.8"},
        "loans.create": {**item, "code": "OBJ-0100", "name": "Nouvel objet"},
        "loans.edit": {**item, "code": world.item_code, "name": "Perceuse renommée"},
        "loans.set_status": {"status": "missing", "reason": "Introuvable"},
        "loans.conditions": {"name": "Comme neuf"},
        "desk.scan": {"code": world.free_item_code, "borrower_id": world.victim_id,
                      "loan_ids": ""},
        "desk.finish": {"borrower_id": world.victim_id, "loan_ids": str(world.loan_id)},
        "desk.record_return": {"condition_id": world.condition_id, "damaged": "y",
                               "note": "Cassé"},
        "projects.report": {"reason": "Des photos qui ne sont pas les leurs."},
        "projects.create": {"title": "Nouveau projet", "summary": "Un résumé."},
        "projects.edit": {"title": "Lampe renommée", "summary": "Autre", "intro": "x",
                          "difficulty": "hard", "licence": "MIT", "language": "fr",
                          "tags": "bois"},
        "projects.add_step": {"step-title": "Nouvelle étape", "step-body": "Texte"},
        "projects.edit_step": {"title": "Étape renommée", "body": "Texte"},
        "projects.move_step": {"direction": "up"},  # the only step: refused, nothing changes
        "projects.add_bom_line": {"bom-name": "Vis", "bom-quantity": "4", "bom-unit": "pcs"},
        "projects.invite": {"email": "marie@example.org"},
        "projects.answer_invitation": {"answer": "accept"},
        "projects.moderate": {"action": "hide", "reason": "Contenu signalé."},
        "projects.feature": {"featured": "1"},
        "accounts.skills_member": {"body": "Bonjour, peux-tu m'aider pour une soudure ?"},
        "accounts.skills_profile": {"form": "skill", "skill-name": "couture",
                                    "skill-level": "beginner"},
        "desk.add_visitor": {"site_id": world.site_id, "reason": "open_lab",
                             "age_group": "18-25", "commune": "Bron"},
    }
    return forms.get(endpoint, {})


class Lab:
    """One app for a module (its templates are compiled once) and one world that
    every test gets back intact: before each test the database is compared, row by
    row, with the state just after ``build_world``; when anything differs (a POST
    that succeeded, a test that added rows) the tables are emptied and the world
    built again. Each test thus starts from the same state, at the cost of one
    snapshot instead of one app and one world per test."""

    def __init__(self, app):
        self.app = app
        self.world: World | None = None
        self.pristine: dict | None = None
        self.test_number = 0  # counted by the module's autouse fixture
        self.found_clean_in = -1  # the last test whose changes() found none

    def fresh_world(self) -> World:
        # The previous test ended on changes() finding nothing: no need to look again.
        trusted = self.found_clean_in == self.test_number - 1
        if self.world is None or not (trusted or snapshot(self.app) == self.pristine):
            delete_all_rows(self.app)
            self.world = build_world(self.app)
            self.pristine = snapshot(self.app)
        return self.world

    def changes(self) -> dict[str, str]:
        """What differs now from the world as fresh_world gave it. Call it last in
        a test: when it finds nothing, the next test reuses the world unchecked."""
        changes = diff(self.pristine, snapshot(self.app))
        if not changes:
            self.found_clean_in = self.test_number
        return changes


def delete_all_rows(app) -> None:
    """Faster than conftest's empty_tables (TRUNCATE, new connections) for a few
    rows; ids are not reset, which World does not need."""
    with app.app_context():
        for table in reversed(_db.metadata.sorted_tables):
            _db.session.execute(table.delete())
        _db.session.commit()
        _db.session.remove()


def make_lab(database_url: str, **overrides):
    lab = Lab(create_app({**base_config(database_url), **overrides}))
    yield lab
    empty_tables(lab.app)  # as conftest's make_app: the next module starts empty


@pytest.fixture(scope="module")
def lab(database_url, tmp_path_factory):
    # Uploads (the projects' files) in a folder of the test run, not in instance/.
    yield from make_lab(database_url, UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")))


@pytest.fixture(autouse=True)
def _count_tests(lab):
    lab.test_number += 1


@pytest.fixture
def app(lab):
    """Overrides conftest's ``app`` in this module: the module's app, so that
    conftest's helpers (client, create_member...) use it too."""
    return lab.app


@pytest.fixture
def world(lab) -> World:
    return lab.fresh_world()


def session_login(client, user_id: int) -> None:
    """Log in through the session, as conftest's login helper does."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True


def client_for(app, world: World, role: str):
    client = app.test_client()
    user_id = world.role_user_id(role)
    if user_id is not None:
        session_login(client, user_id)
    return client


def rules_by_endpoint(app) -> dict[str, object]:
    rules = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in IGNORED_ENDPOINTS:
            rules[rule.endpoint] = rule
    return rules


def route_keys(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules() if rule.endpoint not in IGNORED_ENDPOINTS
        for method in rule.methods - IGNORED_METHODS
    }


def build_url(app, endpoint: str, values: dict[str, object], placeholders: bool = False) -> str:
    """The rule's URL with ``values``; with ``placeholders``, a variable that has
    no value gets an unknown id (int converters) or slug (others)."""
    rules = rules_by_endpoint(app)
    assert endpoint in rules, f"no route {endpoint!r} any more: update the MATRIX"
    rule = rules[endpoint]
    values = dict(values)
    for name in set(rule.arguments) - set(values):
        assert placeholders, f"{rule.rule}: no test value for {name!r} (see World.url_values)"
        converter = type(rule._converters[name]).__name__
        values[name] = 999999 if converter == "IntegerConverter" else "no-such-thing"
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def snapshot(app) -> dict[str, list[tuple]]:
    """Every row of every table: what a refused request must leave untouched."""
    with app.app_context():
        rows = {}
        for table in _db.metadata.sorted_tables:
            stmt = select(table).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(row) for row in _db.session.execute(stmt)]
        _db.session.remove()
    return rows


def diff(before: dict, after: dict) -> dict[str, str]:
    return {name: f"{len(before[name])} rows -> {len(after[name])} rows"
            if len(before[name]) != len(after[name]) else "rows changed"
            for name in before if before[name] != after[name]}


def outcome(response, method: str) -> str:
    code = response.status_code
    if code == 403:
        return "forbidden"
    if code == 404:
        return "notfound"
    if 300 <= code < 400:
        location = urlsplit(response.headers.get("Location", ""))
        if location.path == "/login" and "next" in parse_qs(location.query):
            return "login"
        return "ok"  # e.g. to /login without next after a successful sign-up
    if 200 <= code < 300:
        return "ok"
    if code == 400 and method == "POST":
        return "ok"  # an invalid (empty) form
    return f"HTTP {code}"


def request(client, method: str, url: str, data: dict | None = None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data=data or {})


# --- the matrix is complete and current -------------------------------------------------


def test_matrix_covers_every_route(app):
    routes = route_keys(app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes with no entry in the permission matrix: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def test_matrix_entries_are_well_formed():
    allowed = {"ok", "login", "forbidden", "notfound"}
    for key, expected in MATRIX.items():
        assert set(expected) == set(ROLES), key
        assert set(expected.values()) <= allowed, key
    for endpoint, method, role in KNOWN_BUGS:
        assert (endpoint, method) in MATRIX and role in ROLES


def test_every_route_variable_has_a_test_value(app, world):
    values = world.url_values()
    rules = rules_by_endpoint(app)
    for endpoint in sorted({endpoint for endpoint, _ in MATRIX} & set(rules)):
        build_url(app, endpoint, values)


# --- every (route, method, role) ----------------------------------------------------------


def _cases():
    for (endpoint, method), expected in MATRIX.items():
        for role in ROLES:
            marks = []
            bug = KNOWN_BUGS.get((endpoint, method, role))
            if bug:
                marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {bug}"))
            yield pytest.param(endpoint, method, role, expected[role], marks=marks,
                               id=f"{endpoint}-{method}-{role}")


@pytest.mark.parametrize(("endpoint", "method", "role", "expected"), list(_cases()))
def test_permission(lab, app, world, endpoint, method, role, expected):
    url = build_url(app, endpoint, world.url_values())
    client = client_for(app, world, role)
    refused = expected != "ok"

    response = request(client, method, url, form_for(endpoint, world))

    assert response.status_code < 500, f"{method} {url} as {role}: HTTP {response.status_code}"
    got = outcome(response, method)
    assert got == expected, (
        f"{method} {url} as {role}: expected {expected}, got {got} "
        f"(HTTP {response.status_code} {response.headers.get('Location', '')})")
    if expected == "login":
        next_url = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
        assert urlsplit(next_url).path == url
    if refused:
        changes = lab.changes()
        assert not changes, f"{method} {url} as {role} was refused but changed {changes}"


def test_token_routes_redirect_on_a_bad_token(lab, app, world):
    """/confirm/<token> and /reset/<token> redirect (never 500) on a bad token:
    garbage, or well signed but for no account or a stale one, or made for the
    other route (every token is tried on both)."""
    from itsdangerous import URLSafeTimedSerializer

    from fablab.accounts.services import CONFIRM_SALT, RESET_SALT

    def signed(salt, data):
        return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt).dumps(data)

    tokens = [GARBAGE_TOKEN, "x", "a" * 300, "eyJpZCI6MX0.AAAA.BBBB", "%00", "..%2F..%2Fetc",
              signed(CONFIRM_SALT, {"id": 999999, "email": "nobody@example.org"}),
              signed(CONFIRM_SALT, {"id": world.victim_id, "email": "other@example.org"}),
              signed(RESET_SALT, {"id": 999999, "fp": "0" * 16}),
              signed(RESET_SALT, {"id": world.victim_id, "fp": "0" * 16})]
    routes = [("accounts.confirm_email", "GET", "/confirm"),
              ("accounts.reset_password", "GET", "/reset"),
              ("accounts.reset_password", "POST", "/reset")]
    failures = []
    for role in ROLES:
        client = client_for(app, world, role)
        for token in tokens:
            for endpoint, method, target in routes:
                url = build_url(app, endpoint, {"token": token})
                response = request(client, method, url, {"password": "a-long-enough-password"})
                location = urlsplit(response.headers.get("Location", "")).path
                if response.status_code != 302 or location != target:
                    failures.append((role, method, url[:60], response.status_code, location))
    assert not failures, failures
    assert not lab.changes()


def test_missing_objects(app, world):
    """An unknown id answers 404 to whoever has the right, and the usual refusal
    (login or 403) to the others: the role check comes first, so a refused user
    does not learn whether the object exists."""
    values = {name: (999999 if isinstance(value, int) else value)
              for name, value in world.url_values().items()}
    rules = rules_by_endpoint(app)
    checked = 0
    for (endpoint, method), expected in MATRIX.items():
        if endpoint not in rules or not any(isinstance(world.url_values().get(arg), int)
                                            for arg in rules[endpoint].arguments):
            continue
        url = build_url(app, endpoint, values)
        for role in ROLES:
            wanted = "notfound" if expected[role] in ("ok", "notfound") else expected[role]
            response = request(client_for(app, world, role), method, url,
                               form_for(endpoint, world))
            got = outcome(response, method)
            assert got == wanted, f"{method} {url} as {role}: expected {wanted}, got {got}"
            checked += 1
    assert checked


def test_member_may_remove_their_own_child(app, world):
    """The counterpart of remove_child's 404 on someone else's child."""
    from fablab.accounts.models import Child

    with app.app_context():
        child = Child(guardian_id=world.member_id, first_name="Jules",
                      birth_year=date.today().year - 4)
        _db.session.add(child)
        _db.session.commit()
        child_id = child.id
    client = client_for(app, world, "member")
    response = client.post(build_url(app, "accounts.remove_child", {"child_id": child_id}))
    assert response.status_code == 302
    with app.app_context():
        assert _db.session.get(Child, child_id) is None
        assert _db.session.get(Child, world.child_id) is not None


# --- security headers, cookies, JSON errors ------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response):
    csp = response.headers.get("Content-Security-Policy")
    assert csp, "no Content-Security-Policy"
    directives = csp_directives(csp)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src, csp
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, csp
    assert "*" not in script_src, csp
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert directives.get("object-src") == ["'none'"], csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in (
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")


def test_security_headers_on_pages_and_errors(app, world):
    anonymous = app.test_client()
    member = client_for(app, world, "member")
    responses = {
        "home": anonymous.get("/"),
        "login redirect": anonymous.get("/account"),
        "403 page": member.get("/admin/users"),
        "404 page": anonymous.get("/no-such-page"),
        "JSON 404": anonymous.get("/api/no-such-thing"),
        "JSON health": anonymous.get("/healthz"),
    }
    assert responses["home"].status_code == 200
    assert responses["403 page"].status_code == 403
    for name, response in responses.items():
        try:
            assert_security_headers(response)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from error


@pytest.mark.parametrize("path", ["/api/no-such-thing", "/api/v1/members/1", "/api/"])
def test_unknown_api_url_answers_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == 404 and body["error"]
    assert "<html" not in response.get_data(as_text=True).lower()


def set_cookies(response) -> dict[str, str]:
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookies[header.split("=", 1)[0]] = header
    return cookies


def assert_cookie_flags(header: str):
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "httponly" in attributes, header
    assert "samesite=lax" in attributes, header


def test_session_cookie_is_httponly_and_samesite_lax(app, world):
    # Anonymous: the login redirect flashes a message into the session.
    response = app.test_client().get("/account")
    assert response.status_code == 302
    cookie = set_cookies(response).get(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie, response.headers.getlist("Set-Cookie")
    assert_cookie_flags(cookie)


# A hash of "a-long-enough-password" that is quick to check (the app's scrypt is slow).
CHEAP_HASH = generate_password_hash("a-long-enough-password", method="pbkdf2:sha256:1")


def test_https_deployment_marks_cookies_secure_and_sends_hsts(make_app):
    app = make_app(BASE_URL="https://fablab.example.org")
    response = app.test_client().get("/account")  # flashes: sets the session cookie
    cookie = set_cookies(response)[app.config.get("SESSION_COOKIE_NAME", "session")]
    assert_cookie_flags(cookie)
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_login_cookies_are_httponly_and_samesite_lax(app, create_member):
    user = create_member(email="cookie@example.org", password_hash=CHEAP_HASH)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email,
                                           "password": "a-long-enough-password",
                                           "remember": "y"})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/account"
    cookies = set_cookies(response)
    session_name = app.config.get("SESSION_COOKIE_NAME", "session")
    assert session_name in cookies, cookies
    assert_cookie_flags(cookies[session_name])
    remember_name = app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    assert remember_name in cookies, cookies
    assert_cookie_flags(cookies[remember_name])


OFF_SITE_TARGETS = ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                    "\\\\evil.example/", "/\t/evil.example/", " //evil.example/",
                    "javascript:alert(1)", "http:/evil.example", "/%2F/evil.example"]


def assert_stays_on_site(location: str, target: str):
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, (target, location)
    assert location.startswith("/") and not location.startswith(("//", "/\\")), (target,
                                                                                  location)


def test_language_switch_never_redirects_off_site(app):
    client = app.test_client()
    for target in OFF_SITE_TARGETS:
        response = client.post("/language", data={"lang": "en", "next": target})
        assert response.status_code == 302
        assert_stays_on_site(response.headers["Location"], target)


def test_login_next_never_redirects_off_site(app, create_member):
    user = create_member(email="next@example.org", password_hash=CHEAP_HASH)
    for target in OFF_SITE_TARGETS:
        client = app.test_client()
        response = client.post("/login", query_string={"next": target},
                               data={"email": user.email, "password": "a-long-enough-password",
                                     "next": target})
        assert response.status_code == 302, target
        assert_stays_on_site(response.headers["Location"], target)


# --- nothing private leaks to anonymous visitors and plain members ----------------------


def victim_markers(world: World) -> list[str]:
    return [VICTIM_NAME, "Zoé", "Secrète", VICTIM_EMAIL, "zoe.secrete", VICTIM_PHONE,
            "Trifouillis", VICTIM_CHILD, world.victim_card]


def _escaped(text: str) -> set[str]:
    from markupsafe import escape

    return {text, str(escape(text)), text.encode("ascii", "xmlcharrefreplace").decode(),
            text.encode("unicode_escape").decode()}


@pytest.mark.parametrize("role", ["anonymous", "member"])
def test_nothing_private_leaks(app, world, role):
    values = world.url_values()
    client = client_for(app, world, role)
    markers = [form for marker in victim_markers(world) for form in _escaped(marker)]
    seen, leaks = [], []
    for (endpoint, method), expected in MATRIX.items():
        if method != "GET" or expected[role] != "ok":
            continue
        url = build_url(app, endpoint, values)
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.status_code)
        body = response.get_data().decode("utf-8", "replace")  # a QR PNG is bytes
        seen.append(url)
        leaks += [(url, marker) for marker in markers if marker.lower() in body.lower()]
    assert len(seen) >= (7 if role == "anonymous" else 12), seen
    assert not leaks, f"another member's data shown to {role}: {leaks}"
