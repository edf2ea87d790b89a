"""Demo lending library: about sixty items a French tool library lends, some on
loan, one overdue, one kept for a member, a queue on a popular one."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from fablab.core.demo import DemoMoment
from fablab.extensions import db
from fablab.loans import services
from fablab.loans.models import ItemCondition
from fablab.memberships.services import is_active_member

# category, name, deposit €, value €, loan days, renewals, description
CATALOGUE = {
    "Outillage électroportatif": [
        ("Perceuse-visseuse sans fil 18 V", 30, 160, 7, 1, "Avec deux batteries, chargeur et coffret d'embouts."),
        ("Perforateur SDS+", 50, 220, 7, 1, "Pour percer le béton. Mèches de 6 à 12 mm fournies."),
        ("Scie sauteuse pendulaire", 30, 130, 7, 1, "Lames bois et métal fournies."),
        ("Ponceuse orbitale", 20, 90, 7, 1, "Abrasifs grain 80, 120 et 240 fournis."),
        ("Ponceuse à bande", 30, 140, 7, 1, ""),
        ("Scie circulaire plongeante", 80, 420, 7, 0, "Avec rail de guidage de 1,40 m."),
        ("Meuleuse d'angle 125 mm", 30, 110, 7, 1, "Disques à tronçonner et à poncer."),
        ("Défonceuse 1 200 W", 50, 210, 7, 1, "Jeu de 12 fraises."),
        ("Décapeur thermique", 15, 60, 7, 1, ""),
        ("Visseuse à chocs", 30, 150, 7, 1, ""),
        ("Outil multifonction oscillant", 30, 140, 7, 1, ""),
        ("Rabot électrique", 30, 120, 7, 1, ""),
    ],
    "Outillage à main": [
        ("Caisse à outils complète", 20, 120, 14, 1, "Marteau, tournevis, pinces, clés, mètre, niveau."),
        ("Jeu de serre-joints (8 pièces)", 10, 70, 14, 1, ""),
        ("Scie à onglet manuelle", 20, 90, 14, 1, ""),
        ("Pistolet à colle chaude", 0, 25, 14, 1, "Bâtons de colle fournis."),
        ("Riveteuse", 10, 40, 14, 1, ""),
        ("Agrafeuse murale", 10, 35, 14, 1, ""),
    ],
    "Jardin": [
        ("Taille-haie électrique", 30, 120, 7, 1, ""),
        ("Débroussailleuse sur batterie", 50, 260, 7, 1, ""),
        ("Scarificateur", 40, 180, 7, 0, ""),
        ("Broyeur de végétaux", 80, 390, 3, 0, "Pour les branches jusqu'à 40 mm."),
        ("Nettoyeur haute pression", 40, 200, 7, 1, ""),
        ("Tarière manuelle", 10, 45, 14, 1, ""),
    ],
    "Couture et textile": [
        ("Machine à coudre mécanique", 50, 230, 14, 1, "Révisée par l'atelier couture. Aiguilles et canettes fournies."),
        ("Surjeteuse 4 fils", 60, 320, 14, 1, ""),
        ("Machine à broder", 80, 600, 7, 0, "Formation obligatoire : les motifs passent par l'ordinateur du fablab."),
        ("Fer à repasser vapeur", 10, 50, 14, 1, ""),
        ("Mannequin de couture réglable", 20, 110, 21, 1, ""),
    ],
    "Électronique": [
        ("Multimètre numérique", 10, 45, 14, 1, ""),
        ("Station de soudure", 20, 90, 14, 1, "Fer régulé en température, éponge et étain sans plomb."),
        ("Oscilloscope portable", 80, 420, 7, 0, ""),
        ("Alimentation de laboratoire 30 V", 30, 110, 14, 1, ""),
        ("Caméra thermique", 60, 350, 7, 0, "Pour trouver les fuites de chaleur de la maison."),
    ],
    "Robotique et programmation": [
        ("Kit Thymio (6 robots)", 60, 900, 21, 1, "Pour un groupe : six robots, chargeurs, fiches d'activités."),
        ("Kit LEGO Spike Prime", 80, 450, 21, 1, ""),
        ("Kit mBot (4 robots)", 50, 400, 21, 1, ""),
        ("Kit micro:bit (10 cartes)", 40, 250, 21, 1, "Dix cartes, piles et câbles USB."),
        ("Kit Arduino de démarrage", 20, 90, 21, 1, "Carte, breadboard, capteurs et livret en français."),
        ("Kit Raspberry Pi 4", 40, 140, 21, 1, ""),
    ],
    "Audiovisuel": [
        ("Appareil photo hybride", 100, 700, 7, 0, "Avec objectif 18–55 mm, deux batteries et une carte SD."),
        ("Caméra 4K", 100, 650, 7, 0, ""),
        ("Trépied photo et vidéo", 10, 60, 14, 1, ""),
        ("Micro-cravate sans fil", 20, 120, 7, 1, ""),
        ("Vidéoprojecteur", 60, 450, 7, 1, "Câbles HDMI et VGA fournis."),
        ("Enceinte de sonorisation", 50, 300, 7, 1, ""),
        ("Écran de projection", 20, 90, 7, 1, ""),
    ],
    "Informatique": [
        ("Ordinateur portable (Linux)", 100, 500, 14, 1, "Logiciels libres de CAO et de montage installés."),
        ("Tablette graphique", 30, 120, 14, 1, ""),
        ("Scanner de documents", 20, 150, 14, 1, ""),
    ],
    "Mesure et bâtiment": [
        ("Télémètre laser", 20, 90, 14, 1, ""),
        ("Niveau laser croix", 30, 160, 7, 1, ""),
        ("Détecteur de matériaux", 20, 80, 14, 1, "Repère métal, bois et câbles sous tension."),
        ("Humidimètre", 10, 40, 14, 1, ""),
    ],
    "Cuisine et fêtes": [
        ("Déshydrateur alimentaire", 20, 90, 14, 1, ""),
        ("Machine à pâtes", 10, 60, 14, 1, ""),
        ("Barnum 3 × 3 m", 50, 200, 3, 0, ""),
        ("Tables et bancs pliants (lot de 4)", 30, 250, 3, 0, ""),
    ],
}


def load_loans_demo(moment: DemoMoment, site, staff, member, people) -> None:
    good = db.session.scalar(select(ItemCondition).where(ItemCondition.code == "good"))
    worn = db.session.scalar(select(ItemCondition).where(ItemCondition.code == "worn"))
    prefix = current_app.config["ITEM_CODE_PREFIX"]
    items = []
    shelf = 0
    for category, entries in CATALOGUE.items():
        shelf += 1
        for index, (name, deposit, value, days, renewals, description) in enumerate(entries):
            items.append(services.save_item(
                staff, None, code=f"{prefix}{len(items) + 1:04d}", site_id=site.id, name=name, category=category,
                description=description, deposit_cents=deposit * 100, value_cents=value * 100,
                loan_days=days, max_renewals=renewals, location=f"Étagère {shelf}",
                condition_id=(worn if index % 4 == 3 else good).id,
                lendable_to="organisations" if name.startswith("Tables") else "all"))
    by_name = {item.name: item for item in items}

    people = [person for person in people if is_active_member(person)]
    today = moment.today

    def lend(item_name, borrower, days_ago, organisation=None):
        item = by_name[item_name]
        loan = services.check_out(staff, borrower, item, organisation)
        loan.checked_out_at = moment.now - timedelta(days=days_ago)
        loan.due_on = services.due_date(item, today - timedelta(days=days_ago))
        return loan

    lend("Perceuse-visseuse sans fil 18 V", member, 3)
    lend("Kit Thymio (6 robots)", member, 5, organisation=member.organisations[0])
    for offset, (name, days_ago) in enumerate([
            ("Machine à coudre mécanique", 6), ("Appareil photo hybride", 2),
            ("Taille-haie électrique", 1), ("Vidéoprojecteur", 4), ("Station de soudure", 9),
            ("Kit micro:bit (10 cartes)", 12), ("Ponceuse orbitale", 0)]):
        lend(name, people[offset + 1], days_ago)
    # A returned loan, for the history.
    returned = lend("Scie sauteuse pendulaire", people[-1], 20)
    services.check_in(staff, returned.item)
    returned.returned_at = moment.now - timedelta(days=14)
    returned.deposit_returned_at = returned.returned_at
    # A queue on the sewing machine; the multimeter is kept for Marie at the desk.
    services.place_hold(people[-2], by_name["Machine à coudre mécanique"])
    services.place_hold(member, by_name["Machine à coudre mécanique"])
    services.place_hold(member, by_name["Multimètre numérique"])
    services.set_status(staff, by_name["Nettoyeur haute pression"], "maintenance",
                        "Fuite au raccord du tuyau, pièce commandée.")
    # Last, the overdue loan (a member with an overdue item cannot borrow more).
    lend("Caméra thermique", people[-3], 12)
    db.session.flush()
