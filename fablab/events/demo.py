"""Demo workshops: a monthly repair café, a weekly robotics club for children,
a laser training session, a kids' workshop with a waiting list, a talk."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select

from fablab.accounts.models import Child
from fablab.accounts.services import save_public_profile
from fablab.core.demo import DemoMoment
from fablab.events.models import Event, Registration, RepairCategory, RepairItem
from fablab.events.services import Participant, create_series, register, save_event
from fablab.extensions import db
from fablab.machines.models import Training


def load_events_demo(moment: DemoMoment, site, staff, member, people) -> None:
    # the name the animator chose for the public event pages
    save_public_profile(staff, "Samir (équipe du fablab)", "", in_directory=False)
    season = moment.series_period()
    create_series(staff, site, {
        "title": "Repair café", "kind": "repair_cafe", "audience": "everyone", "capacity": 30,
        "summary": "Apportez vos objets en panne : on les répare ensemble.",
        "description": "Petit électroménager, textile, vélos, ordinateurs… Des bénévoles "
                       "vous aident à diagnostiquer et réparer. **Gratuit.**"},
        "monthly", 6, 1, time(14), time(18), season.first_day, season.last_day, publish_now=True)
    club, _ = create_series(staff, site, {
        "title": "Club robotique", "kind": "club", "audience": "children", "min_age": 8,
        "max_age": 14, "capacity": 10,
        "summary": "Construire et programmer des robots avec Arduino et micro:bit.",
        "description": "Chaque mercredi, les jeunes construisent un projet sur plusieurs "
                       "séances. Matériel fourni."},
        "weekly", 3, None, time(14), time(16), season.first_day, season.last_day,
        allows_enrolment=True,
        publish_now=True)
    laser = db.session.scalar(select(Training).where(Training.name == "Découpe laser"))
    training = save_event(
        staff, None, site_id=site.id, kind="training", audience="adults", capacity=4,
        title="Formation découpe laser", requires_membership=True,
        summary="Obtenez l'habilitation pour utiliser la découpeuse laser en autonomie.",
        description="Réglages, matériaux autorisés, sécurité incendie. Habilitation valable "
                    "24 mois.",
        starts_at=moment.days_ahead(5, time(18)),
        ends_at=moment.days_ahead(5, time(20)),
        training_ids=[laser.id] if laser else [], animator_ids=[staff.id])
    kids = save_event(
        staff, None, site_id=site.id, kind="workshop", audience="children", min_age=7,
        max_age=12, capacity=2, title="Atelier enfants : fabrique ta lampe",
        summary="Découpe, soudure et LED : chaque enfant repart avec sa lampe.",
        starts_at=moment.days_ahead(9, time(10)),
        ends_at=moment.days_ahead(9, time(12)), animator_ids=[staff.id])
    talk = save_event(
        staff, None, site_id=site.id, kind="talk", audience="everyone", capacity=40,
        title="Café-débat : l'obsolescence programmée",
        summary="Une heure pour comprendre, une heure pour échanger.",
        starts_at=moment.days_ahead(12, time(19)),
        ends_at=moment.days_ahead(12, time(21)))
    sewing = save_event(
        staff, None, site_id=site.id, kind="workshop", audience="adults", capacity=8,
        title="Initiation à la machine à coudre",
        summary="Enfiler, régler la tension, coudre droit : repartez avec une trousse.",
        description="Pour grands débutants. Tissu fourni ; apportez vos chutes si vous en avez.",
        starts_at=moment.days_ahead(7, time(18, 30)),
        ends_at=moment.days_ahead(7, time(21)), animator_ids=[staff.id])
    for event in (training, kids, talk, sewing):
        event.status = "published"
    db.session.flush()

    register(training, Participant(member))
    children = db.session.scalars(select(Child).where(
        Child.first_name.in_(("Lina", "Adam", "Jules"))).order_by(Child.id)).all()
    for child in children:  # the kids' workshop fills up: the last one waits
        register(kids, Participant(child.guardian, child))
    first_session = min(club.events, key=lambda event: event.starts_at)
    for child in children[:2]:
        register(first_session, Participant(child.guardian, child))
    for person in people[:6]:
        register(talk, Participant(person))
    db.session.flush()
    _past_repair_cafes(moment, site, staff, people)
    assert db.session.scalar(select(Registration.id).limit(1)) is not None


REPAIRS = [  # category, brand, problem, outcome, barrier
    ("Grille-pain", "Moulinex", "Ne chauffe plus", "fixed", None),
    ("Ordinateur portable", "Lenovo", "Très lent, disque plein", "fixed", None),
    ("Lampe", "", "Interrupteur cassé", "fixed", None),
    ("Aspirateur", "Rowenta", "N'aspire plus", "repairable", None),
    ("Téléphone portable", "Samsung", "Écran fissuré", "end_of_life", "spare_parts_too_expensive"),
    ("Vêtement / textile", "", "Fermeture éclair", "fixed", None),
    ("Bouilloire", "Philips", "Fuit", "end_of_life", "cannot_open"),
    ("Radio portable", "Sony", "Plus de son", "fixed", None),
    ("Imprimante / scanner", "HP", "Bourrage papier permanent", "repairable", None),
    ("Vélo", "", "Freins", "fixed", None),
]


def _past_repair_cafes(moment: DemoMoment, site, staff, people) -> None:
    """Two past repair cafés with their logged objects, for the impact page."""
    categories = {c.name: c for c in db.session.scalars(select(RepairCategory))}
    for weeks, items in ((8, REPAIRS), (4, REPAIRS[:6])):
        day = moment.today - timedelta(weeks=weeks)
        event = Event(site_id=site.id, kind="repair_cafe", audience="everyone", capacity=30,
                      title="Repair café", slug=f"repair-cafe-{day.isoformat()}",
                      status="published", starts_at=moment.at(day, time(14)),
                      ends_at=moment.at(day, time(18)),
                      summary="Apportez vos objets en panne : on les répare ensemble.")
        db.session.add(event)
        db.session.flush()
        for n, (category, brand, problem, outcome, barrier) in enumerate(items):
            if category not in categories:
                continue
            owner = people[n % len(people)] if n % 3 == 0 else None
            db.session.add(RepairItem(
                event_id=event.id, category_id=categories[category].id, brand=brand,
                problem=problem, outcome=outcome, barrier=barrier,
                owner_member_id=owner.id if owner else None,
                owner_first_name="" if owner else ("Nadia", "Paul", "Jeanne")[n % 3],
                repairer_id=staff.id))
