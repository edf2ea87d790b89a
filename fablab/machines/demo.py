"""Demo machines, rooms, trainings, a season of open slots and bookings."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlalchemy import select

from fablab.accounts.models import Organisation, User
from fablab.booking.models import Booking, Closure
from fablab.booking.services import create_series
from fablab.core.demo import DemoMoment, Period
from fablab.extensions import db
from fablab.machines.models import Incident, Resource, ResourcePrice, Training, TrainingGrant
from fablab.memberships.models import Tariff

TRAININGS = (
    ("Découpe laser", "Réglages, matériaux autorisés, sécurité incendie.", 24),
    ("Impression 3D", "Préparer un fichier, trancher, lancer et surveiller une impression.", None),
    ("Fraiseuse numérique", "Fixation de la pièce, choix des fraises, arrêt d'urgence.", 24),
    ("Découpe vinyle", "Du dessin vectoriel au transfert sur textile.", None),
)

MACHINES = (
    # name, category, training index, summary, price standard/hour, step, max minutes
    ("Découpeuse laser Trotec Speedy 300", "Découpe laser", 0,
     "Découpe et gravure du bois, du carton, de l'acrylique jusqu'à 8 mm.", 1500, 30, 120),
    ("Imprimante 3D Prusa MK4 n°1", "Impression 3D", 1,
     "Impression PLA et PETG, plateau 25 × 21 cm.", 300, 30, 240),
    ("Imprimante 3D Prusa MK4 n°2", "Impression 3D", 1,
     "Impression PLA et PETG, plateau 25 × 21 cm.", 300, 30, 240),
    ("Imprimante 3D Bambu Lab X1", "Impression 3D", 1,
     "Impression multicolore, jusqu'à 4 matières.", 400, 30, 240),
    ("Fraiseuse numérique Shaper Origin", "Usinage", 2,
     "Fraiseuse portative guidée pour le bois et le MDF.", 1200, 60, 180),
    ("Plotter de découpe vinyle Roland", "Découpe vinyle", 3,
     "Stickers, flocage textile, pochoirs.", 500, 30, 120),
    ("Brodeuse numérique Brother", "Textile", None,
     "Broderie de motifs jusqu'à 20 × 20 cm.", 300, 30, 180),
    ("Machine à coudre Singer", "Textile", None, "Couture droite et zigzag.", 0, 30, 240),
    ("Poste de soudure électronique", "Électronique", None,
     "Fer Weller, station à air chaud, oscilloscope.", 0, 30, 240),
)

ROOMS = (
    ("Salle de réunion « Atelier »", "Salle de 12 places avec écran, pour les associations.", 12),
    ("Espace coworking", "Dix postes de travail au calme.", 10),
)


def load_machines_demo(moment: DemoMoment, site, staff: User, member: User,
                       people: list[User]) -> None:
    rng = random.Random(7)
    tariffs = {t.code: t for t in db.session.scalars(select(Tariff))}
    trainings = [Training(name=n, description=d, validity_months=v) for n, d, v in TRAININGS]
    db.session.add_all(trainings)
    resources = []
    for name, category, training, summary, price, step, longest in MACHINES:
        resource = Resource(
            site=site, kind="machine", name=name, slug=_slug(name), category=category,
            summary=summary, training=trainings[training] if training is not None else None,
            description="**Avant de venir** : préparez votre fichier et apportez votre matière, "
                        "ou achetez-la à l'accueil.\n\nLes animateurs vous aident pendant les "
                        "créneaux d'accès libre.",
            safety_notes="Ne jamais laisser la machine sans surveillance." if training == 0 else "",
            granularity_minutes=step, min_duration_minutes=step, max_duration_minutes=longest)
        for code, factor in (("standard", 1), ("solidarity", 0.5), ("student", 0.5), ("child", 0)):
            if price and code in tariffs:
                resource.prices.append(ResourcePrice(tariff=tariffs[code],
                                                     price_cents_per_hour=int(price * factor)))
        resources.append(resource)
    for name, summary, capacity in ROOMS:
        resources.append(Resource(site=site, kind="room", name=name, slug=_slug(name),
                                  category="Salles", summary=summary, description=summary,
                                  capacity=capacity, requires_approval=True,
                                  granularity_minutes=60, min_duration_minutes=60,
                                  max_duration_minutes=480))
    db.session.add_all(resources)
    db.session.flush()
    resources[5].status, resources[5].status_reason = "maintenance", "Lame à changer, retour la semaine prochaine."

    now = moment.now
    db.session.add(TrainingGrant(member_id=member.id, training=trainings[1], granted_by_id=staff.id,
                                 granted_at=now - timedelta(days=60)))
    for person in people[:8]:
        for training in rng.sample(trainings, 2):
            months = training.validity_months
            granted = now - timedelta(days=rng.randint(10, 300))
            db.session.add(TrainingGrant(
                member_id=person.id, training=training, granted_by_id=staff.id,
                granted_at=granted,
                expires_at=granted + timedelta(days=30 * months) if months else None))

    for period in moment.open_lab_periods():
        _open_lab_series(site, staff, period)
    _demo_bookings(rng, moment, resources, member, people)
    db.session.add(Incident(resource=resources[0], reported_by_id=people[0].id,
                            description="La buse d'air assisté siffle et la coupe est moins nette."))
    association = db.session.scalar(select(Organisation).order_by(Organisation.id))
    start = moment.days_ahead(4, time(18))
    db.session.add(Booking(resource_id=resources[-2].id, member_id=member.id,
                           organisation_id=association.id if association else None,
                           starts_at=start, ends_at=start + timedelta(hours=2), status="pending",
                           purpose="Réunion du bureau de l'association", created_by_id=member.id))


def _open_lab_series(site, staff: User, period: Period) -> None:
    """A season's weekly open-lab slots (lighter in summer), closed at Christmas."""
    if period.summer:
        create_series(staff, site, [3, 6], time(14), time(18), period.first_day,
                      period.last_day, 10, staff.id, "Accès libre d'été")
        return
    christmas = date(period.first_day.year, 12, 20)
    db.session.add(Closure(site=site, first_day=christmas,
                           last_day=christmas + timedelta(days=14), reason="Vacances de Noël"))
    db.session.flush()
    for weekday, start, end, capacity, note in (
            (3, time(14), time(18), 12, "Accès libre du mercredi"),
            (5, time(17), time(21), 10, "Soirée makers"),
            (6, time(10), time(17), 15, "Accès libre du samedi")):
        create_series(staff, site, [weekday], start, end, period.first_day, period.last_day,
                      capacity, staff.id, note)


def _demo_bookings(rng, moment: DemoMoment, resources, member, people) -> None:
    """Bookings in the slots of the last 60 days (checked in, or missed) and the
    next 14 (some under way right now, which is fine: they started before)."""
    from fablab.booking.models import OpenSlot

    now = moment.now
    slots = db.session.scalars(select(OpenSlot).where(
        OpenSlot.starts_at >= now - timedelta(days=60), OpenSlot.starts_at <= now + timedelta(days=14),
        OpenSlot.cancelled_at.is_(None)).order_by(OpenSlot.starts_at)).all()
    machines = [r for r in resources if r.kind == "machine"]
    for slot in slots:
        for resource in rng.sample(machines, 4):
            person = rng.choice(people + [member])
            start = slot.starts_at + timedelta(minutes=60 * rng.randint(0, 2))
            end = start + timedelta(minutes=resource.granularity_minutes * rng.randint(2, 4))
            if end > slot.ends_at or end - start > timedelta(minutes=resource.max_duration_minutes):
                continue
            past, arrived = end < now, rng.random() > 0.1
            db.session.add(Booking(
                resource_id=resource.id, member_id=person.id, slot_id=slot.id, starts_at=start,
                ends_at=end, status="confirmed", created_by_id=person.id,
                checked_in_at=start + timedelta(minutes=5) if past and arrived else None,
                no_show=past and not arrived))
    db.session.flush()


def _slug(name: str) -> str:
    from fablab.core.sites import slugify

    return slugify(name)[:70]
