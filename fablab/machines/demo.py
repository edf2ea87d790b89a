"""Demo machines, rooms, trainings and an incident (the slots and bookings are the
booking domain's: fablab/booking/demo.py)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from fablab.accounts.models import User
from fablab.core.demo import DemoMoment
from fablab.core.sites import slugify
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

    db.session.add(Incident(resource=resources[0], reported_by_id=people[0].id,
                            description="La buse d'air assisté siffle et la coupe est moins nette."))


def _slug(name: str) -> str:
    return slugify(name)[:70]
