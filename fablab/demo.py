"""Realistic French demo data: a fablab in a mid-sized town.

Each domain adds its part through a ``load_*`` function called from
:func:`load_demo`, with the moment the demo is loaded: every date is placed
relative to it (see :mod:`fablab.core.demo`), so that the demo loads at any hour
of any day. The demo accounts share the password ``demo-password``.
"""

from __future__ import annotations

import functools
import random
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from werkzeug.security import generate_password_hash

from fablab.accounts.models import Child, Organisation, OrganisationMember, User
from fablab.agenda.demo import load_agenda_demo
from fablab.booking.demo import load_booking_demo
from fablab.core.demo import DemoMoment
from fablab.core.models import OutboxMessage, Site
from fablab.core.timeutil import utcnow
from fablab.desk.demo import load_desk_demo
from fablab.events.demo import load_events_demo
from fablab.extensions import db
from fablab.loans.demo import load_loans_demo
from fablab.machines.demo import load_machines_demo
from fablab.memberships.models import Membership, Tariff
from fablab.memberships.services import one_year_from
from fablab.projects.demo import load_projects_demo

DEMO_PASSWORD = "demo-password"

TARIFFS = (
    ("standard", "Standard", 3000, "Adultes"),
    ("solidarity", "Solidaire", 1000, "Demandeurs d'emploi, minima sociaux"),
    ("student", "Étudiant", 1500, "Étudiants et apprentis"),
    ("child", "Enfant", 500, "Moins de 18 ans"),
)

MEMBERS = (
    ("Camille Martin", "camille.martin", "standard", "Villeurbanne", 1986),
    ("Léa Bernard", "lea.bernard", "student", "Lyon", 2003),
    ("Hugo Petit", "hugo.petit", "solidarity", "Villeurbanne", 1979),
    ("Chloé Durand", "chloe.durand", "standard", "Vaulx-en-Velin", 1991),
    ("Nathan Leroy", "nathan.leroy", "student", "Villeurbanne", 2001),
    ("Manon Moreau", "manon.moreau", "standard", "Bron", 1984),
    ("Lucas Simon", "lucas.simon", "solidarity", "Villeurbanne", 1968),
    ("Inès Laurent", "ines.laurent", "standard", "Lyon", 1995),
    ("Théo Lefebvre", "theo.lefebvre", "child", "Villeurbanne", 2011),
    ("Sarah Michel", "sarah.michel", "standard", "Villeurbanne", 1989),
    ("Karim Benali", "karim.benali", "solidarity", "Vaulx-en-Velin", 1975),
    ("Julie Garcia", "julie.garcia", "standard", "Lyon", 1993),
    ("Yanis Haddad", "yanis.haddad", "student", "Villeurbanne", 2004),
    ("Élodie Roux", "elodie.roux", "standard", "Bron", 1982),
)


def load_demo() -> None:
    """Add the demo to the session (the caller commits, or rolls back on error)."""
    rng = random.Random(42)
    site = Site(
        name="Fablab de la Ville",
        slug="fablab",
        address="12 rue des Ateliers, 69100 Villeurbanne",
        timezone="Europe/Paris",
        opening_hours="Mercredi 14h–18h · Vendredi 17h–21h · Samedi 10h–17h\n"
                      "Repair café le premier samedi du mois",
    )
    db.session.add(site)
    moment = DemoMoment(utcnow(), ZoneInfo(site.timezone))
    today = moment.today
    tariffs = {code: Tariff(code=code, name=name, price_cents=price, description=desc,
                            position=i)
               for i, (code, name, price, desc) in enumerate(TARIFFS)}
    db.session.add_all(tariffs.values())

    admin = _account("Alice Admin", "admin@example.org", "admin")
    staff = _account("Samir Animateur", "staff@example.org", "staff")
    member = _account("Marie Adhérente", "member@example.org", "member",
                      commune="Villeurbanne", birth_year=1988, phone="06 12 34 56 78")
    member.children = [Child(first_name="Jules", birth_year=today.year - 10),
                       Child(first_name="Zoé", birth_year=today.year - 7)]
    _membership(member, tariffs["standard"], today - timedelta(days=120), staff, "card")
    _membership(staff, tariffs["standard"], today - timedelta(days=200), admin, "free")

    people = []
    for name, login, tariff, commune, year in MEMBERS:
        person = _account(name, f"{login}@example.org", "member", commune=commune,
                          birth_year=year)
        started = today - timedelta(days=rng.randint(0, 420))
        _membership(person, tariffs[tariff], started, staff,
                    rng.choice(("cash", "card", "cheque", "transfer")))
        people.append(person)
    # Ages by birth year, inside the workshops' ranges all year round (New Year included).
    people[2].children = [Child(first_name="Adam", birth_year=today.year - 11)]
    people[9].children = [Child(first_name="Lina", birth_year=today.year - 9),
                          Child(first_name="Noé", birth_year=today.year - 14)]

    association = Organisation(name="Les Petits Débrouillards du quartier", kind="association",
                               email="contact@debrouillards.example.org",
                               address="3 place de la Mairie, 69100 Villeurbanne")
    municipal = Organisation(name="Médiathèque municipale", kind="municipal",
                             email="mediatheque@ville.example.org")
    school = Organisation(name="Collège Jean Moulin", kind="school")
    db.session.add_all([association, municipal, school])
    db.session.add_all([
        OrganisationMember(organisation=association, user=member, is_responsible=True),
        OrganisationMember(organisation=association, user=people[0]),
        OrganisationMember(organisation=municipal, user=people[5], is_responsible=True),
        OrganisationMember(organisation=school, user=people[9], is_responsible=True),
    ])
    db.session.flush()

    load_machines_demo(moment, site, staff, member, people)
    db.session.flush()

    load_booking_demo(moment, site, staff, member, people)
    db.session.flush()

    load_events_demo(moment, site, staff, member, people)
    db.session.flush()

    load_loans_demo(moment, site, staff, member, people)
    db.session.flush()

    load_agenda_demo()

    load_projects_demo(moment, site, staff, member, people)
    db.session.flush()

    load_desk_demo(moment, site, staff, member, people)
    # The demo's people are made up: the e-mails their registrations queued go nowhere.
    db.session.execute(delete(OutboxMessage))
    db.session.flush()


def _account(name: str, email: str, role: str, **fields) -> User:
    user = User(name=name, email=email, role=role, email_confirmed_at=utcnow(),
                password_hash=_demo_password_hash(), **fields)
    db.session.add(user)
    return user


@functools.cache
def _demo_password_hash() -> str:
    """Hashed once: the accounts share it (scrypt takes a quarter of a second)."""
    return generate_password_hash(DEMO_PASSWORD, method="scrypt")


def _membership(user: User, tariff: Tariff, starts_on, recorded_by: User, method: str) -> None:
    amount = 0 if method == "free" else tariff.price_cents
    db.session.add(Membership(
        member=user, tariff=tariff, starts_on=starts_on,
        ends_on=one_year_from(starts_on),
        amount_cents=amount, payment_method=method, recorded_by=recorded_by,
    ))
