"""A coherent, realistic dataset at scale, loaded in bulk into an empty database.

    python -m bench.make_dataset --scale 1                      # a fresh SQLite file
    python -m bench.make_dataset --scale 10 --reset --database-url postgresql://.../bench
    load_dataset(app, scale)                                    # from a benchmark

(``--reset`` drops every table of that database first; without it the database
is migrated and must hold no user.)

Scale 1 is a typical lab (one site, a year of history: about 500 members, 15
machines and 2 rooms, open slots three or four times a week, 4,000 bookings,
350 events, 300 items and their loans, 100 projects). Scale 10 is a town's
network of five sites over five years: 20,000 members, 60 machines, about
300,000 bookings, 10,000 events with 150,000 registrations, 3,000 items with
100,000 loans, 2,000 projects.
Between two figures the counts grow geometrically; below 1 they shrink in
proportion (``--scale 0.1``, 50 members, is the tests' small lab). :class:`Size` holds them.

The database must be empty; its schema comes from the migrations (the command
runs ``upgrade`` first). Rows are written with SQLAlchemy Core, ``insert(table)``
and lists of dicts in chunks, with primary keys chosen here (so that no row
needs to be read back); PostgreSQL sequences are moved past them at the end.
Every member shares one password hash (``bench-password``; hashing is slow).
The same seed, scale and hour give the same rows (``random.Random(seed)``; the
history ends at ``now``, the current hour unless given).

What holds (tests/bench/test_dataset.py checks it with SQL):

- members join over the history (ids grow with the join date); their
  memberships are consecutive yearly periods, with a tariff by age and some
  lapses; trainings are granted to those who attended a training session or by
  staff at the desk, and expire after the training's validity;
- bookings fall inside a non-cancelled open slot of their resource's site, on
  the resource's steps; two live bookings of one resource never overlap; a slot
  never holds more distinct people than its capacity; the booker had a
  membership covering the day and, for a machine that requires it, a valid
  training; past bookings were checked in or are no-shows, some were cancelled;
- an event never has more confirmed registrations than seats, the rest waits;
  one live registration per participant; past confirmed registrations were
  mostly attended; children's events register children of their guardians;
  past repair cafés have their repair items;
- an item has at most one open loan; past loans were returned (some late), a
  few open ones are overdue; items on loan say so; some holds wait in a queue
  and a few items are kept (``held``) for a member;
- projects have one owner (some a co-author), their steps, bill of materials,
  tags, machines and numbered revisions, the last one the project as it is;
  authors have a public name; one member in twenty lists skills.

Adding a domain
---------------
The generator is the list :data:`STEPS` of functions ``step(ds: Dataset)``,
run in order on one connection. Each step reads what the earlier ones left in
the :class:`Dataset` (``ds.sites``, ``ds.members``, ``ds.staff``,
``ds.events``, ``ds.size``, ``ds.rng``, ``ds.now``, ``ds.today``) and writes
with ``ds.insert(table, rows)``, taking ids from ``ds.next_id(table)``.
:func:`step_projects_and_skills` (issue 6) and :func:`step_visits` (the desk's
visits, issue 8: active members of the site on the day, and walk-in visitors)
are two such steps; a new domain adds its own to ``STEPS``.

``ds.pick_member(site, day)`` returns an active member of the site (membership
covering ``day``), or None when it finds none quickly (skip the row then);
``ds.local(day, hour, minute, site)`` an aware UTC datetime for a wall-clock time
of the site (UTCDateTime columns want aware datetimes; Date columns take local
days); ``ds.random_moment(first, last)`` a moment between two. PostgreSQL
sequences of every table are moved past the ids at the end, new tables included.

Measured load times (scale 10, 941,677 rows)
--------------------------------------------
On this 2-core machine shared with others (load average 2 to 3.5), 30 November 2026:
SQLite 40.0 s in all (load 39.5 s), PostgreSQL 89.0 s (load 87.9 s); across the runs
made while writing it (load average 2 to 6), 40 to 74 s and 81 to 124 s. The target
is under 5 minutes. Details: bench/README.md.
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time as _time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import Table, func, insert, select, text
from werkzeug.security import generate_password_hash

UTC = timezone.utc
PASSWORD = "bench-password"
CHUNK = 5000

# --- sizes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    """What a scale means: the number of rows of each kind (targets; the
    generator lands close to them, a little under when slots are full)."""

    sites: int
    years: int
    members: int
    machines: int  # machines in all (each site also has two rooms)
    organisations: int
    bookings: int
    events: int
    registrations: int
    items: int
    loans: int
    repair_items: int
    projects: int
    visits: int  # for the visits step of issue 8, once merged (see the module docstring)

    @classmethod
    def for_scale(cls, scale: float) -> Size:
        if scale <= 0:
            raise ValueError("the scale is a positive number")
        counts = {}
        for name in SCALE_1:
            one, ten = SCALE_1[name], SCALE_10[name]
            if scale <= 1:
                value = max(MINIMUM.get(name, 1), round(one * scale))
            else:
                value = round(one * (ten / one) ** math.log10(scale))
            counts[name] = value
        network = 1 if scale <= 1 else max(1, round(1 + 4 * math.log10(scale)))
        return cls(sites=network, years=network, **counts)


SCALE_1 = dict(members=500, machines=15, organisations=12, bookings=4000, events=350,
               registrations=5000, items=300, loans=2500, repair_items=150, projects=100,
               visits=6000)
SCALE_10 = dict(members=20000, machines=60, organisations=150, bookings=300000, events=10000,
                registrations=150000, items=3000, loans=100000, repair_items=4000,
                projects=2000, visits=200000)
MINIMUM = dict(members=8, machines=3, items=4, events=4)

# --- French names and things --------------------------------------------------------------------

FIRST_NAMES = (
    "Camille Léa Hugo Chloé Nathan Manon Lucas Inès Théo Sarah Karim Julie Yanis Élodie Louis "
    "Emma Gabriel Jade Raphaël Louise Arthur Alice Jules Lina Adam Rose Mohamed Anna Paul Mila "
    "Nina Sacha Zoé Noah Ambre Tom Léna Malo Eva Nolan Clara Victor Iris Maël Agathe Samuel "
    "Margaux Aya Antoine Lucie Baptiste Salomé Mathis Fatou Youssef Mariam Pierre Sophie "
    "Nicolas Isabelle Thomas Nathalie Julien Céline Olivier Sandrine Mehdi Amina Pauline Kevin"
).split()
LAST_NAMES = (
    "Martin Bernard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia Roux David "
    "Bertrand Morel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller "
    "Lefèvre Faure André Mercier Blanc Guérin Boyer Garnier Chevalier François Legrand Gauthier "
    "Perrin Robin Clément Morin Nicolas Henry Roussel Mathieu Benali Haddad Diallo Nguyen "
    "Traoré Da Silva Ferreira Rossi Kaya Mansouri Lopez Marchand Dumas Brun Barbier Meyer"
).split()
COMMUNES = ("Villeurbanne", "Lyon", "Vaulx-en-Velin", "Bron", "Vénissieux", "Caluire-et-Cuire",
            "Rillieux-la-Pape", "Décines-Charpieu", "Meyzieu", "Saint-Priest")
SITE_NAMES = ("Fablab de la Ville", "Atelier des Gratte-Ciel", "La Fabrique du Tonkin",
              "Atelier de la Soie", "Fablab des Buers", "Atelier Croix-Luizet",
              "La Manufacture Cusset", "Fablab Grandclément", "Atelier Charpennes")
TARIFFS = (("standard", "Standard", 3000, "Adultes"),
           ("solidarity", "Solidaire", 1000, "Demandeurs d'emploi, minima sociaux"),
           ("student", "Étudiant", 1500, "Étudiants et apprentis"),
           ("child", "Enfant", 500, "Moins de 18 ans"))
TRAININGS = (  # name, description, validity in months, share of members who get it
    ("Découpe laser", "Réglages, matériaux autorisés, sécurité incendie.", 24, 0.25),
    ("Impression 3D", "Préparer un fichier, trancher, lancer et surveiller une impression.",
     None, 0.45),
    ("Fraiseuse numérique", "Fixation de la pièce, choix des fraises, arrêt d'urgence.", 24, 0.10),
    ("Découpe vinyle", "Du dessin vectoriel au transfert sur textile.", None, 0.15),
)
MACHINES = (  # name, category, training index, price standard/hour, step, min, max minutes
    ("Découpeuse laser", "Découpe laser", 0, 1500, 30, 30, 120),
    ("Imprimante 3D Prusa", "Impression 3D", 1, 300, 30, 60, 240),
    ("Machine à coudre", "Textile", None, 0, 30, 30, 240),
    ("Fraiseuse numérique", "Usinage", 2, 1200, 60, 60, 180),
    ("Plotter de découpe vinyle", "Découpe vinyle", 3, 500, 30, 30, 120),
    ("Imprimante 3D Bambu Lab", "Impression 3D", 1, 400, 30, 60, 240),
    ("Brodeuse numérique", "Textile", None, 300, 30, 30, 180),
    ("Poste de soudure électronique", "Électronique", None, 0, 30, 30, 180),
    ("Imprimante 3D résine", "Impression 3D", 1, 500, 30, 60, 240),
    ("Scie à ruban", "Bois", None, 0, 30, 30, 120),
)
ROOMS = (("Salle de réunion", "Salle de 12 places avec écran, pour les associations.", 12),
         ("Espace coworking", "Dix postes de travail au calme.", 10))
# Weekly open slots (ISO weekday, start, end): a lab, and a site of a town's network.
LAB_HOURS = ((2, 17, 21), (3, 14, 19), (5, 17, 21), (6, 10, 18))
TOWN_HOURS = ((2, 10, 13), (2, 14, 19), (3, 10, 13), (3, 14, 19), (3, 19, 22), (4, 10, 13),
              (4, 14, 19), (5, 14, 19), (5, 19, 22), (6, 10, 18))
WORKSHOPS = (  # title, kind, audience, min age, max age, capacity, hours, summary
    ("Initiation à l'impression 3D", "workshop", "adults", None, None, 8, 3,
     "Du modèle 3D à l'objet imprimé, en trois heures."),
    ("Arduino pour débutants", "workshop", "adults", None, None, 10, 3,
     "Faire clignoter, mesurer, piloter : les bases de l'électronique programmable."),
    ("Atelier enfants : fabrique ta lampe", "workshop", "children", 7, 12, 8, 2,
     "Découpe, soudure et LED : chaque enfant repart avec sa lampe."),
    ("Initiation à la machine à coudre", "workshop", "adults", None, None, 8, 3,
     "Enfiler, régler la tension, coudre droit : repartez avec une trousse."),
    ("Atelier parents-enfants : robots en carton", "workshop", "families", None, None, 12, 2,
     "Construire un robot qui bouge avec un moteur et une pile."),
    ("Soudure électronique", "workshop", "teens", 12, 17, 8, 2,
     "Souder proprement un petit circuit qui fait du bruit."),
    ("Café-débat : l'obsolescence programmée", "talk", "everyone", None, None, 40, 2,
     "Une heure pour comprendre, une heure pour échanger."),
    ("Conférence : l'open source matériel", "talk", "everyone", None, None, 50, 2,
     "Licences, documentation, communautés : faire et partager."),
    ("Découverte du fablab", "other", "everyone", None, None, 15, 1,
     "Une visite guidée des machines et des projets en cours."),
)
REPAIR_CATEGORIES = (  # as the migration seeds them (name, kg, kg CO2e, powered), in part
    ("Ordinateur portable", 2.26, 258.25, True), ("Téléphone portable", 0.14, 35.82, True),
    ("Imprimante / scanner", 7.05, 47.7, True), ("Grille-pain", 1.0, 8.0, True),
    ("Lampe", 0.7, 4.0, True), ("Vêtement / textile", 0.5, 0.0, False),
    ("Vélo", 12.0, 0.0, False))
CATALOGUE_FALLBACK = (("Outillage", "Perceuse-visseuse", 30, 160, 7, 1),)

# --- the context --------------------------------------------------------------------------------


@dataclass
class Member:
    id: int
    site: int  # index in ds.sites
    joined: datetime
    birth_year: int
    periods: list[tuple[date, date]] = field(default_factory=list)
    children: list[tuple[int, int]] = field(default_factory=list)  # (child id, birth year)
    grants: dict[int, tuple[datetime, datetime | None]] = field(default_factory=dict)

    def active_on(self, day: date) -> bool:
        for start, end in self.periods:
            if start <= day <= end:
                return True
        return False

    def trained(self, training_id: int | None, at: datetime) -> bool:
        if training_id is None:
            return True
        grant = self.grants.get(training_id)
        return grant is not None and grant[0] <= at and (grant[1] is None or at < grant[1])


@dataclass
class SiteInfo:
    id: int
    name: str
    zone: ZoneInfo
    staff: list[int] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)  # in join order
    joined: list[datetime] = field(default_factory=list)  # their join times, for bisect
    resources: list[dict] = field(default_factory=list)
    closures: list[tuple[date, date]] = field(default_factory=list)


@dataclass
class Dataset:
    """What the steps share: the connection, the random source, the ids made."""

    conn: object
    size: Size
    rng: random.Random
    now: datetime
    today: date
    start: date  # first day of the history
    password_hash: str
    verbose: bool = False
    zone: ZoneInfo = ZoneInfo("Europe/Paris")  # the lab's, for times not tied to a site
    sites: list[SiteInfo] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    staff: list[int] = field(default_factory=list)
    admins: list[int] = field(default_factory=list)
    tariffs: dict[str, dict] = field(default_factory=dict)
    trainings: list[dict] = field(default_factory=list)
    organisations: list[tuple[int, int]] = field(default_factory=list)  # (org id, responsible)
    events: list[dict] = field(default_factory=list)
    members_by_id: dict[int, Member] = field(default_factory=dict)
    # (member, training row, granted at, expires at, granted by, note), see step_training_grants.
    grant_rows: list[tuple] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _ids: dict[str, int] = field(default_factory=dict)

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def next_id(self, table: Table) -> int:
        value = self._ids.get(table.name, 0) + 1
        self._ids[table.name] = value
        return value

    def insert(self, table: Table, rows: list[dict]) -> None:
        """Bulk-insert rows (dicts with the same keys) in chunks."""
        for offset in range(0, len(rows), CHUNK):
            self.conn.execute(insert(table), rows[offset:offset + CHUNK])
        self.counts[table.name] += len(rows)

    def local(self, day: date, hour: int, minute: int = 0,
              site: SiteInfo | None = None) -> datetime:
        zone = site.zone if site else self.zone
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)

    def day_of(self, moment: datetime, site: SiteInfo | None = None) -> date:
        return moment.astimezone(site.zone if site else self.zone).date()

    def joined_before(self, site: SiteInfo, moment: datetime) -> list[Member]:
        return site.members[:bisect.bisect_right(site.joined, moment)]

    def pick_member(self, site: SiteInfo, day: date, training_id: int | None = None,
                    at: datetime | None = None, tries: int = 40) -> Member | None:
        """A member of the site with a membership covering ``day`` (and the
        training, valid at ``at``), or None when none is found quickly."""
        moment = at or self.local(day, 12, 0, site)
        joined = bisect.bisect_right(site.joined, moment)  # site.members[:joined], uncopied
        if not joined:
            return None
        for _ in range(tries):
            member = site.members[self.rng.randrange(joined)]
            if member.active_on(day) and member.trained(training_id, moment):
                return member
        return None

    def random_moment(self, first: datetime, last: datetime) -> datetime:
        span = max(0, int((last - first).total_seconds()))
        return first + timedelta(seconds=self.rng.randint(0, span))


def one_year_from(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


def card_code(n: int) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    digits = []
    for _ in range(6):
        n, rest = divmod(n, len(alphabet))
        digits.append(alphabet[rest])
    return "M-" + "".join(reversed(digits))


def ascii_login(text_: str) -> str:
    import unicodedata

    text_ = unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode().lower()
    return "".join(c if c.isalnum() else "-" for c in text_).strip("-")


def slugify(text_: str) -> str:
    from fablab.core.sites import slugify as _slugify

    return _slugify(text_)


def seasons(ds: Dataset, last: date) -> list[tuple[date, date]]:
    """September-to-August seasons covering the history up to ``last``."""
    year = ds.start.year if ds.start.month >= 9 else ds.start.year - 1
    out = []
    while date(year, 9, 1) <= last:
        out.append((max(date(year, 9, 1), ds.start), min(date(year + 1, 8, 31), last)))
        year += 1
    return out


def spread(values: list, n: int) -> list:
    """``n`` of the values, evenly spaced (all of them when there are fewer)."""
    if n >= len(values):
        return list(values)
    if n <= 0:
        return []
    return [values[int(i * len(values) / n)] for i in range(n)]


def closed(site: SiteInfo, day: date) -> bool:
    return any(first <= day <= last for first, last in site.closures)


# --- steps --------------------------------------------------------------------------------------


def step_sites_and_tariffs(ds: Dataset) -> None:
    from fablab.core.models import Site
    from fablab.memberships.models import Tariff

    rows = []
    for n in range(ds.size.sites):
        name = SITE_NAMES[n] if n < len(SITE_NAMES) else f"Atelier n°{n + 1}"
        site_id = ds.next_id(Site.__table__)
        rows.append({"id": site_id, "name": name, "slug": slugify(name), "timezone": ds.zone.key,
                     "address": f"{12 + 7 * n} rue des Ateliers, {COMMUNES[n % len(COMMUNES)]}",
                     "opening_hours": "Mardi–samedi, voir les créneaux d'accès libre",
                     "is_active": True, "created_at": ds.local(ds.start, 9) - timedelta(days=400)})
        ds.sites.append(SiteInfo(id=site_id, name=name, zone=ds.zone))
    ds.insert(Site.__table__, rows)
    rows = []
    for position, (code, name, price, description) in enumerate(TARIFFS):
        row = {"id": ds.next_id(Tariff.__table__), "code": code, "name": name,
               "price_cents": price, "description": description, "position": position,
               "active": True, "created_at": ds.local(ds.start, 9) - timedelta(days=400)}
        rows.append(row)
        ds.tariffs[code] = row
    ds.insert(Tariff.__table__, rows)
    # Closures every year: the Christmas holidays, and mid-August (shorter than the 14
    # days one books ahead, so that there are always bookings to come).
    from fablab.core.models import Closure

    rows = []
    for site in ds.sites:
        for year in range(ds.start.year - 1, ds.today.year + 2):
            for first, last, reason in (
                    (date(year, 12, 22), date(year + 1, 1, 2), "Vacances de Noël"),
                    (date(year, 8, 10), date(year, 8, 20), "Fermeture estivale")):
                if last < ds.start - timedelta(days=30) or first > ds.today + timedelta(days=90):
                    continue
                site.closures.append((first, last))
                rows.append({"id": ds.next_id(Closure.__table__), "site_id": site.id,
                             "first_day": first, "last_day": last, "reason": reason,
                             "created_at": ds.local(first, 10, 0, site) - timedelta(days=60)})
    ds.insert(Closure.__table__, rows)


def step_accounts(ds: Dataset) -> None:
    """Staff and admins, members (ids in join order), children, organisations."""
    from fablab.accounts.models import Child, Organisation, OrganisationMember, User

    rng, rows = ds.rng, []
    opened = ds.local(ds.start, 9) - timedelta(days=365)
    user_id = 0

    def user_row(name: str, email: str, role: str, joined: datetime, **extra) -> dict:
        nonlocal user_id
        user_id = ds.next_id(User.__table__)
        return {"id": user_id, "email": email, "name": name, "password_hash": ds.password_hash,
                "role": role, "locale": "en" if rng.random() < 0.05 else "fr",
                "phone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                         f"{rng.randint(10, 99)}" if rng.random() < 0.6 else "",
                "commune": rng.choice(COMMUNES), "birth_year": extra.pop("birth_year", None),
                "card_code": card_code(user_id), "active": True, "email_confirmed_at": joined,
                "last_login_at": None, "anonymised_at": None, "created_at": joined, **extra}

    rows.append(user_row("Alice Admin", "admin@example.org", "admin", opened, birth_year=1980))
    ds.admins.append(user_id)
    for site in ds.sites:
        for n in range(3 if ds.size.sites > 1 or ds.size.members >= 100 else 2):
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            rows.append(user_row(name, f"staff{len(ds.staff) + 1}@example.org", "staff", opened,
                                 birth_year=rng.randint(1965, 2000)))
            site.staff.append(user_id)
            ds.staff.append(user_id)
    # Members join over the history (a share before it); ids follow join order.
    first_join = ds.local(ds.start, 10) - timedelta(days=365)
    last_join = ds.now - timedelta(hours=1)
    joins = sorted(ds.random_moment(first_join, last_join) for _ in range(ds.size.members))
    weights = [1.0 + 0.3 * (n % 3) for n in range(len(ds.sites))]
    for n, joined in enumerate(joins):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        age = rng.choice((rng.randint(12, 17), rng.randint(18, 25), rng.randint(26, 75),
                          rng.randint(26, 75), rng.randint(26, 75)))
        row = user_row(f"{first} {last}", f"{ascii_login(first)}.{ascii_login(last)}.{n + 1}"
                       "@example.org", "member", joined, birth_year=ds.today.year - age)
        if rng.random() < 0.7:
            row["last_login_at"] = ds.random_moment(joined, ds.now)
        rows.append(row)
        site = ds.sites[rng.choices(range(len(ds.sites)), weights)[0]] if len(ds.sites) > 1 \
            else ds.sites[0]
        member = Member(id=user_id, site=ds.sites.index(site), joined=joined,
                        birth_year=row["birth_year"])
        ds.members.append(member)
        site.members.append(member)
        site.joined.append(joined)
    ds.insert(User.__table__, rows)
    ds.members_by_id = {m.id: m for m in ds.members}
    # Children: one adult in eight declares one or two.
    rows = []
    for member in ds.members:
        if ds.today.year - member.birth_year >= 28 and rng.random() < 0.125:
            for _ in range(rng.choice((1, 1, 2))):
                child_id, year = ds.next_id(Child.__table__), ds.today.year - rng.randint(5, 16)
                rows.append({"id": child_id, "guardian_id": member.id, "birth_year": year,
                             "first_name": rng.choice(FIRST_NAMES), "created_at": member.joined})
                member.children.append((child_id, year))
    ds.insert(Child.__table__, rows)
    # Organisations borrowing in their own name, each with a responsible member.
    kinds = ("association", "association", "school", "municipal", "company", "other")
    labels = {"association": "Association", "school": "Collège", "municipal": "Service municipal",
              "company": "Entreprise", "other": "Collectif"}
    rows, links = [], []
    adults = [m for m in ds.members if ds.today.year - m.birth_year >= 25]
    for n in range(ds.size.organisations):
        kind = kinds[n % len(kinds)]
        org_id = ds.next_id(Organisation.__table__)
        responsible = rng.choice(adults)
        rows.append({"id": org_id, "name": f"{labels[kind]} {rng.choice(LAST_NAMES)} n°{n + 1}",
                     "kind": kind, "email": f"contact{n + 1}@orga.example.org", "phone": "",
                     "address": f"{n + 1} place de la Mairie", "notes": "",
                     "created_at": responsible.joined})
        links.append({"id": ds.next_id(OrganisationMember.__table__), "organisation_id": org_id,
                      "user_id": responsible.id, "is_responsible": True,
                      "created_at": responsible.joined})
        for other in rng.sample(adults, min(len(adults) - 1, 2)):
            if other.id != responsible.id:
                links.append({"id": ds.next_id(OrganisationMember.__table__),
                              "organisation_id": org_id, "user_id": other.id,
                              "is_responsible": False, "created_at": max(other.joined,
                                                                          responsible.joined)})
        ds.organisations.append((org_id, responsible.id))
    ds.insert(Organisation.__table__, rows)
    ds.insert(OrganisationMember.__table__, links)


def step_memberships(ds: Dataset) -> None:
    """Consecutive yearly periods from the join day; some stop, some come back."""
    from fablab.memberships.models import Membership

    rng, rows = ds.rng, []
    methods = ("cash", "card", "card", "cheque", "transfer")
    for member in ds.members:
        start = ds.day_of(member.joined)
        site = ds.sites[member.site]
        while start <= ds.today:
            end = one_year_from(start)
            age = start.year - member.birth_year
            code = ("child" if age < 18 else "student" if age <= 25 and rng.random() < 0.7
                    else "solidarity" if rng.random() < 0.15 else "standard")
            method = "free" if rng.random() < 0.03 else rng.choice(methods)
            rows.append({"id": ds.next_id(Membership.__table__), "member_id": member.id,
                         "tariff_id": ds.tariffs[code]["id"], "starts_on": start, "ends_on": end,
                         "amount_cents": 0 if method == "free" else ds.tariffs[code]["price_cents"],
                         "payment_method": method, "note": "",
                         "recorded_by_id": rng.choice(site.staff),
                         "reminder_sent_at": None, "created_at": ds.local(start, 10, 30, site)})
            member.periods.append((start, end))
            luck = rng.random()
            if luck < 0.65:
                start = end + timedelta(days=1)
            elif luck < 0.8:
                start = end + timedelta(days=rng.randint(30, 400))
            else:
                break
    for staff_id in ds.staff + ds.admins:  # staff are members too, for free
        start = ds.start - timedelta(days=365)
        while start <= ds.today:
            end = one_year_from(start)
            rows.append({"id": ds.next_id(Membership.__table__), "member_id": staff_id,
                         "tariff_id": ds.tariffs["standard"]["id"], "starts_on": start,
                         "ends_on": end, "amount_cents": 0, "payment_method": "free",
                         "note": "Équipe", "recorded_by_id": ds.admins[0],
                         "reminder_sent_at": None, "created_at": ds.local(start, 9)})
            start = end + timedelta(days=1)
    ds.insert(Membership.__table__, rows)


def step_machines(ds: Dataset) -> None:
    """Trainings, machines and rooms of each site with their prices, incidents."""
    from fablab.machines.models import Incident, Resource, ResourcePrice, Training

    rng = ds.rng
    created = ds.local(ds.start, 9) - timedelta(days=365)
    rows = []
    for name, description, months, share in TRAININGS:
        row = {"id": ds.next_id(Training.__table__), "name": name, "description": description,
               "validity_months": months, "created_at": created}
        rows.append(row)
        ds.trainings.append({**row, "share": share})
    ds.insert(Training.__table__, rows)
    resources, prices, incidents = [], [], []
    per_site = [ds.size.machines // len(ds.sites)] * len(ds.sites)
    for n in range(ds.size.machines % len(ds.sites)):
        per_site[n] += 1
    for site, count in zip(ds.sites, per_site):
        for n in range(count):
            name, category, training, price, step, shortest, longest = MACHINES[n % len(MACHINES)]
            label = f"{name} n°{n // len(MACHINES) + 1}" if count > len(MACHINES) else name
            resource_id = ds.next_id(Resource.__table__)
            row = {"id": resource_id, "site_id": site.id, "kind": "machine",
                   "name": label if len(ds.sites) == 1 else f"{label} — {site.name}",
                   "slug": f"{slugify(label)}-{resource_id}", "category": category,
                   "summary": f"{name}, en accès libre pendant les créneaux.",
                   "description": "**Avant de venir** : préparez votre fichier et apportez votre "
                                  "matière, ou achetez-la à l'accueil.",
                   "safety_notes": "Ne jamais laisser la machine sans surveillance."
                   if training == 0 else "", "photo": None, "status": "available",
                   "status_reason": "",
                   "training_id": ds.trainings[training]["id"] if training is not None else None,
                   "granularity_minutes": step, "min_duration_minutes": shortest,
                   "max_duration_minutes": longest, "requires_approval": False,
                   "capacity": None, "active": True, "created_at": created}
            resources.append(row)
            site.resources.append(row)
            for code, factor in (("standard", 1), ("solidarity", 0.5), ("student", 0.5),
                                 ("child", 0)):
                if price:
                    prices.append({"id": ds.next_id(ResourcePrice.__table__),
                                   "resource_id": resource_id, "tariff_id": ds.tariffs[code]["id"],
                                   "price_cents_per_hour": int(price * factor)})
        for name, summary, capacity in ROOMS:
            resource_id = ds.next_id(Resource.__table__)
            row = {"id": resource_id, "site_id": site.id, "kind": "room",
                   "name": name if len(ds.sites) == 1 else f"{name} — {site.name}",
                   "slug": f"{slugify(name)}-{resource_id}", "category": "Salles",
                   "summary": summary, "description": summary, "safety_notes": "", "photo": None,
                   "status": "available", "status_reason": "", "training_id": None,
                   "granularity_minutes": 60, "min_duration_minutes": 60,
                   "max_duration_minutes": 240, "requires_approval": True, "capacity": capacity,
                   "active": True, "created_at": created}
            resources.append(row)
            site.resources.append(row)
    # Incidents: a few per machine over the years, all but the recent ones resolved.
    for row in resources:
        if row["kind"] != "machine":
            continue
        site = next(s for s in ds.sites if s.id == row["site_id"])
        for _ in range(rng.randint(0, 2 * ds.size.years)):
            reported = ds.random_moment(ds.local(ds.start, 12, 0, site), ds.now)
            member = ds.pick_member(site, ds.day_of(reported, site)) if site.members else None
            fixed = reported < ds.now - timedelta(days=20) or rng.random() < 0.5
            incidents.append({
                "id": ds.next_id(Incident.__table__), "resource_id": row["id"],
                "reported_by_id": member.id if member else rng.choice(site.staff),
                "description": rng.choice(("La buse siffle et la coupe est moins nette.",
                                           "Le plateau ne chauffe plus de façon régulière.",
                                           "Bruit inhabituel au démarrage.",
                                           "Le bouton d'arrêt d'urgence reste enfoncé.")),
                "resolved_at": reported + timedelta(days=rng.randint(1, 15)) if fixed else None,
                "resolved_by_id": rng.choice(site.staff) if fixed else None,
                "resolution": "Pièce changée, machine testée." if fixed else "",
                "created_at": reported})
    if resources and rng.random() < 0.9:  # one machine under maintenance right now
        machine = rng.choice([r for r in resources if r["kind"] == "machine"])
        machine["status"] = "maintenance"
        machine["status_reason"] = "Pièce commandée, retour sous quinze jours."
    ds.insert(Resource.__table__, resources)
    ds.insert(ResourcePrice.__table__, prices)
    ds.insert(Incident.__table__, incidents)


def step_events(ds: Dataset) -> None:
    """Clubs (weekly series), repair cafés (monthly series), training sessions,
    workshops and talks; their registrations, prices, animators; repair items."""
    from fablab.events.models import (Event, EventPrice, EventSeries, Registration, RepairItem,
                                      event_animators, event_trainings)

    rng = ds.rng
    horizon = ds.today + timedelta(days=75)
    events, series_rows = [], []
    per_site = max(1, ds.size.events // len(ds.sites))
    candidates: dict[str, list] = defaultdict(list)

    def add_event(site, day, start, hours, title, kind, audience, capacity, summary,
                  series_id=None, min_age=None, max_age=None, training=None):
        if closed(site, day):
            return None
        starts_at = ds.local(day, start[0], start[1], site)
        ends_at = starts_at + timedelta(hours=hours)
        created = max(ds.local(ds.start, 9, 0, site) - timedelta(days=30),
                      starts_at - timedelta(days=rng.randint(14, 60)))
        status = "published"
        if starts_at > ds.now and rng.random() < 0.05:
            status = "draft"
        elif rng.random() < 0.02:
            status = "cancelled"
        event = {"id": None, "site_id": site.id, "series_id": series_id, "room_id": None,
                 "kind": kind, "audience": audience, "min_age": min_age, "max_age": max_age,
                 "title": title, "slug": "", "summary": summary,
                 "description": summary + "\n\nInscription conseillée, places limitées.",
                 "image": None, "starts_at": starts_at, "ends_at": ends_at, "capacity": capacity,
                 "status": status, "requires_membership": kind == "training",
                 "registration_opens_at": None, "registration_closes_at": None,
                 "cancel_reason": "Animateur malade, désolés !" if status == "cancelled" else "",
                 "sequence": 0, "updated_at": created, "created_at": created,
                 "_site": site, "_training": training}
        events.append(event)
        return event

    for site in ds.sites:
        # Each kind gets its share of the site's events, spread over the history.
        clubs, cafes = round(per_site * 0.2), round(per_site * 0.08)
        sessions = round(per_site * 0.1)
        made = 0
        for first, last in seasons(ds, horizon):
            # The robotics club on Wednesdays of the school year.
            club_last = min(last, date(first.year + 1 if first.month >= 9 else first.year, 6, 30))
            if club_last >= first:
                sid = ds.next_id(EventSeries.__table__)
                series_rows.append({"id": sid, "title": "Club robotique", "rule": "weekly",
                                    "weekday": 3, "nth": None, "start_time": time(14),
                                    "end_time": time(16), "first_day": first,
                                    "last_day": club_last, "allows_enrolment": True,
                                    "created_at": ds.local(first, 9, 0, site) - timedelta(days=20)})
                day = first + timedelta(days=(3 - first.isoweekday()) % 7)
                while day <= club_last:
                    candidates["club"].append((day, sid))
                    day += timedelta(days=7)
            # The repair café on the first Saturday of every month.
            sid = ds.next_id(EventSeries.__table__)
            series_rows.append({"id": sid, "title": "Repair café", "rule": "monthly", "weekday": 6,
                                "nth": 1, "start_time": time(14), "end_time": time(18),
                                "first_day": first, "last_day": last, "allows_enrolment": False,
                                "created_at": ds.local(first, 9, 0, site) - timedelta(days=20)})
            month = date(first.year, first.month, 1)
            while month <= last:
                day = month + timedelta(days=(6 - month.isoweekday()) % 7)
                if first <= day <= last:
                    candidates["cafe"].append((day, sid))
                month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        for day, sid in spread(candidates.pop("club", []), clubs):
            made += bool(add_event(site, day, (14, 0), 2, "Club robotique", "club", "children", 10,
                                   "Construire et programmer des robots avec Arduino et "
                                   "micro:bit.", series_id=sid, min_age=8, max_age=14))
        for day, sid in spread(candidates.pop("cafe", []), cafes):
            made += bool(add_event(site, day, (14, 0), 4, "Repair café", "repair_cafe",
                                   "everyone", 30, "Apportez vos objets en panne : on les "
                                   "répare ensemble.", series_id=sid))
        # Training sessions, each for one training.
        days = [ds.start + timedelta(days=n) for n in range(0, (horizon - ds.start).days, 7)]
        for day in spread(days, sessions):
            training = ds.trainings[rng.choices(range(len(ds.trainings)),
                                                [t["share"] for t in ds.trainings])[0]]
            made += bool(add_event(site, day + timedelta(days=rng.randint(1, 4)), (18, 0), 2,
                                   f"Formation {training['name'].lower()}", "training", "adults",
                                   rng.choice((4, 5, 6)), f"Obtenez l'habilitation "
                                   f"{training['name'].lower()} en deux heures.",
                                   training=training))
        # Workshops and talks fill the rest, on the days the site is open.
        span = (horizon - ds.start).days
        for _ in range(max(0, per_site - made)):
            for _try in range(10):
                day = ds.start + timedelta(days=rng.randint(0, span))
                if day.isoweekday() != 7 and not closed(site, day):
                    break
            title, kind, audience, lo, hi, capacity, hours, summary = rng.choice(WORKSHOPS)
            start = (10, 0) if day.isoweekday() == 6 else rng.choice(((14, 0), (18, 30)))
            add_event(site, day, start, hours, title, kind, audience, capacity, summary,
                      min_age=lo, max_age=hi)
    events.sort(key=lambda e: (e["starts_at"], e["site_id"]))
    for event in events:
        event["id"] = ds.next_id(Event.__table__)
        day = ds.day_of(event["starts_at"])
        event["slug"] = f"{slugify(event['title'])[:80]}-{day}-{event['id']}"
    ds.events = events
    ds.insert(EventSeries.__table__, series_rows)
    ds.insert(Event.__table__, [{k: v for k, v in e.items() if not k.startswith("_")}
                                for e in events])

    animators, trainings, prices = [], [], []
    for event in events:
        site = event["_site"]
        for staff_id in rng.sample(site.staff, min(len(site.staff), rng.choice((1, 1, 2)))):
            animators.append({"event_id": event["id"], "user_id": staff_id})
        if event["_training"]:
            trainings.append({"event_id": event["id"], "training_id": event["_training"]["id"]})
        if event["kind"] == "workshop" and rng.random() < 0.4:
            for code, cents in (("standard", 1500), ("solidarity", 500), ("student", 800),
                                ("child", 500)):
                prices.append({"id": ds.next_id(EventPrice.__table__), "event_id": event["id"],
                               "tariff_id": ds.tariffs[code]["id"], "price_cents": cents})
    ds.insert(event_animators, animators)
    ds.insert(event_trainings, trainings)
    ds.insert(EventPrice.__table__, prices)

    # Registrations: demand around the seats, scaled to the target.
    open_events = [e for e in events if e["status"] == "published"]
    seats = sum(e["capacity"] for e in open_events) or 1
    factor = ds.size.registrations / seats
    rows = []
    children_by_site: dict[int, list[tuple[Member, int, int]]] = defaultdict(list)
    for member in ds.members:
        for child_id, year in member.children:
            children_by_site[member.site].append((member, child_id, year))
    for event in open_events:
        site, starts_at = event["_site"], event["starts_at"]
        day = ds.day_of(starts_at, site)
        ahead = (starts_at - ds.now).days
        demand = event["capacity"] * factor * rng.uniform(0.5, 1.5)
        if ahead > 0:  # future events fill up as they come closer
            demand *= max(0.1, 1 - ahead / 60)
        demand = round(demand)
        participants: list[tuple[Member, int | None]] = []
        seen = set()
        if event["audience"] in ("children", "teens"):
            lo, hi = event["min_age"] or 5, event["max_age"] or 17
            pool = [c for c in children_by_site[ds.sites.index(site)]
                    if lo <= day.year - c[2] <= hi and c[0].joined < starts_at]
            for guardian, child_id, _year in rng.sample(pool, min(demand, len(pool))):
                participants.append((guardian, child_id))
        else:
            pool = ds.joined_before(site, starts_at - timedelta(days=1))
            for _ in range(min(demand, len(pool)) * 3):
                if len(participants) >= demand:
                    break
                member = pool[rng.randrange(len(pool))]
                if member.id in seen or (event["requires_membership"]
                                         and not member.active_on(day)):
                    continue
                if event["_training"] and event["_training"]["id"] in member.grants:
                    continue
                seen.add(member.id)
                participants.append((member, None))
                if event["audience"] == "families" and member.children and rng.random() < 0.7:
                    participants.append((member, member.children[0][0]))
        opens = max(event["created_at"], starts_at - timedelta(days=45))
        closes = min(starts_at - timedelta(hours=1), ds.now)
        if closes <= opens:
            continue
        # Each registers once they are members, in the order they came.
        timed = sorted(((ds.random_moment(min(max(opens, member.joined), closes), closes),
                         n, member, child_id) for n, (member, child_id) in enumerate(participants)),
                       key=lambda p: (p[0], p[1]))
        participants = [(member, child_id) for _at, _n, member, child_id in timed]
        moments = [at for at, *_rest in timed]
        confirmed = 0
        past = event["ends_at"] < ds.now
        waiting: list[dict] = []
        event_rows: list[dict] = []
        for (member, child_id), at in zip(participants, moments):
            row = {"id": ds.next_id(Registration.__table__), "event_id": event["id"],
                   "member_id": member.id, "child_id": child_id,
                   "participant_key": f"c:{child_id}" if child_id else f"m:{member.id}",
                   "status": "confirmed", "promoted_at": None, "cancelled_at": None,
                   "cancelled_by_id": None, "attended_at": None,
                   "via_enrolment": event["series_id"] is not None and rng.random() < 0.3,
                   "reminder_sent_at": None, "created_at": at}
            if confirmed < event["capacity"]:
                confirmed += 1
            else:
                row["status"] = "waitlisted"
                waiting.append(row)
            rows.append(row)
            event_rows.append(row)
            if row["status"] == "confirmed" and rng.random() < 0.08:
                # Cancelled before the day; the first one waiting takes the seat.
                cancelled = ds.random_moment(at, closes)
                row.update(status="cancelled", cancelled_at=cancelled,
                           cancelled_by_id=member.id)
                confirmed -= 1
                if waiting:
                    promoted = waiting.pop(0)
                    promoted.update(status="confirmed", promoted_at=max(cancelled,
                                                                         promoted["created_at"]))
                    confirmed += 1
        event["_confirmed"] = [r for r in event_rows if r["status"] == "confirmed"]
        if past:
            for row in event["_confirmed"]:
                if rng.random() < 0.88:
                    row["attended_at"] = starts_at + timedelta(minutes=rng.randint(0, 20))
        # A training session grants its training to those who came.
        if past and event["_training"]:
            training = event["_training"]
            for row in event["_confirmed"]:
                member = ds.members_by_id[row["member_id"]]
                if row["attended_at"] and training["id"] not in member.grants:
                    granted = event["ends_at"]
                    expires = (granted + timedelta(days=30 * training["validity_months"])
                               if training["validity_months"] else None)
                    member.grants[training["id"]] = (granted, expires)
                    ds.grant_rows.append((member, training, granted, expires,
                                          rng.choice(event["_site"].staff), "Session de formation"))
    ds.insert(Registration.__table__, rows)

    # Repair items of past repair cafés.
    from fablab.events.models import RepairCategory

    categories = ds.conn.execute(select(RepairCategory.id)).scalars().all()
    if not categories:  # the migration seeds them; a test may have emptied the table
        ds.conn.execute(insert(RepairCategory.__table__), [
            {"name": name, "weight_kg": weight, "co2e_kg": co2e, "powered": powered,
             "active": True} for name, weight, co2e, powered in REPAIR_CATEGORIES])
        categories = ds.conn.execute(select(RepairCategory.id)).scalars().all()
    cafes = [e for e in open_events if e["kind"] == "repair_cafe" and e["ends_at"] < ds.now]
    per_cafe = ds.size.repair_items / max(1, len(cafes))
    rows = []
    problems = ("Ne s'allume plus", "Fait un bruit bizarre", "Écran fissuré", "Ne charge plus",
                "Fermeture éclair cassée", "Fuit", "Interrupteur cassé", "Très lent")
    brands = ("Moulinex", "Seb", "Philips", "Samsung", "Lenovo", "HP", "Rowenta", "Sony", "")
    for event in cafes:
        attendees = event.get("_confirmed") or []
        for _ in range(max(1, round(per_cafe * rng.uniform(0.6, 1.4)))):
            outcome = rng.choices(("fixed", "repairable", "end_of_life"), (55, 20, 25))[0]
            owner = rng.choice(attendees)["member_id"] if attendees and rng.random() < 0.6 else None
            rows.append({"id": ds.next_id(RepairItem.__table__), "event_id": event["id"],
                         "owner_member_id": owner,
                         "owner_first_name": "" if owner else rng.choice(FIRST_NAMES),
                         "category_id": rng.choice(categories), "brand": rng.choice(brands),
                         "model": "", "problem": rng.choice(problems), "outcome": outcome,
                         "barrier": rng.choice(("spare_parts_unavailable",
                                                "spare_parts_too_expensive", "cannot_open",
                                                "no_repair_information", "lack_of_equipment"))
                         if outcome == "end_of_life" else None,
                         "repairer_id": rng.choice(event["_site"].staff), "notes": "",
                         "created_at": event["ends_at"] - timedelta(minutes=rng.randint(5, 200))})
    ds.insert(RepairItem.__table__, rows)


def step_training_grants(ds: Dataset) -> None:
    """Grants from the training sessions (step_events), and others given at the
    desk so that each training reaches its share of members."""
    from fablab.machines.models import TrainingGrant

    rng = ds.rng
    for member in ds.members:
        for training in ds.trainings:
            if training["id"] in member.grants or rng.random() >= training["share"]:
                continue
            site = ds.sites[member.site]
            granted = member.joined + timedelta(days=rng.choice((0, 0, 7, 30, 90, 200)),
                                                minutes=rng.randint(10, 120))
            if granted >= ds.now:
                continue
            months = training["validity_months"]
            expires = granted + timedelta(days=30 * months) if months else None
            member.grants[training["id"]] = (granted, expires)
            ds.grant_rows.append((member, training, granted, expires, rng.choice(site.staff), ""))
    rows = [{"id": ds.next_id(TrainingGrant.__table__), "member_id": member.id,
             "training_id": training["id"], "granted_at": granted, "granted_by_id": by,
             "expires_at": expires, "revoked_at": None, "revoked_by_id": None, "note": note}
            for member, training, granted, expires, by, note
            in sorted(ds.grant_rows, key=lambda g: g[2])]
    ds.insert(TrainingGrant.__table__, rows)


def step_slots_and_bookings(ds: Dataset) -> None:
    """Weekly slot series per season, their slots, and bookings packed into them."""
    from fablab.booking.models import Booking, OpenSlot, SlotSeries

    rng = ds.rng
    hours = TOWN_HOURS if ds.size.sites > 1 else LAB_HOURS
    until = ds.today + timedelta(days=28)
    series_rows, slots = [], []
    for site in ds.sites:
        for first, last in seasons(ds, until):
            for weekday, start, end in hours:
                sid = ds.next_id(SlotSeries.__table__)
                capacity = rng.choice((12, 15, 15, 20) if ds.size.sites > 1 else (10, 12, 15))
                series_rows.append({"id": sid, "site_id": site.id, "weekdays": str(weekday),
                                    "start_time": time(start), "end_time": time(end),
                                    "first_day": first, "last_day": last, "capacity": capacity,
                                    "staff_id": rng.choice(site.staff), "note": "Accès libre",
                                    "created_at": ds.local(first, 9, 0, site) - timedelta(days=10)})
                day = first + timedelta(days=(weekday - first.isoweekday()) % 7)
                while day <= last:
                    if not closed(site, day):
                        starts_at = ds.local(day, start, 0, site)
                        cancelled = rng.random() < 0.01
                        slots.append({
                            "id": ds.next_id(OpenSlot.__table__), "site_id": site.id,
                            "series_id": sid, "starts_at": starts_at,
                            "ends_at": ds.local(day, end, 0, site), "capacity": capacity,
                            "staff_id": series_rows[-1]["staff_id"], "note": "Accès libre",
                            "cancelled_at": starts_at - timedelta(days=2) if cancelled else None,
                            "cancel_reason": "Animateur absent" if cancelled else "",
                            "created_at": series_rows[-1]["created_at"], "_site": site,
                            "_day": day})
                    day += timedelta(days=7)
    slots.sort(key=lambda s: s["starts_at"])
    ds.insert(SlotSeries.__table__, series_rows)
    ds.insert(OpenSlot.__table__, [{k: v for k, v in s.items() if not k.startswith("_")}
                                   for s in slots])

    # Bookings: one pass per slot and resource, placing bookings one after the
    # other with gaps, so that no two of one resource overlap by construction.
    horizon = ds.now + timedelta(days=14)
    usable = [s for s in slots if s["cancelled_at"] is None and s["starts_at"] < horizon]
    # The mean gap between two bookings that gives about the target: a slot of
    # L minutes holds (L - 60) / (gap + 76) bookings of a machine (76 minutes on
    # average, the end of the slot lost when the next one would not fit); rooms
    # are booked four times less often; gaps are rounded to steps. Found by bisection.
    machine_minutes = room_minutes = 0.0
    for slot in usable:
        length = (slot["ends_at"] - slot["starts_at"]).total_seconds() / 60 - 60
        for resource in slot["_site"].resources:
            if resource["kind"] == "room":
                room_minutes += length
            else:
                machine_minutes += length

    def rounded(gap: float, step: int) -> float:
        """The mean of an exponential gap rounded to whole steps."""
        return step * math.exp(-step / (2 * gap)) / (1 - math.exp(-step / gap))

    low, high = 0.01, 10000.0
    for _ in range(50):
        gap_mean = (low + high) / 2
        expected = (machine_minutes / (rounded(gap_mean, 30) + 76)
                    + room_minutes / (rounded(4 * gap_mean, 60) + 90))
        low, high = (gap_mean, high) if expected > ds.size.bookings else (low, gap_mean)
    rows = []
    organisations = ds.organisations
    for slot in usable:
        site, day = slot["_site"], slot["_day"]
        slot_start, slot_end = slot["starts_at"], slot["ends_at"]
        future = slot_start > ds.now
        people: dict[int, list[tuple[datetime, datetime]]] = {}
        for resource in site.resources:
            if resource["status"] != "available" and future:
                continue
            step = resource["granularity_minutes"]
            room = resource["kind"] == "room"
            t = slot_start
            while True:
                gap = rng.expovariate(1 / gap_mean) if gap_mean else 0
                if future:
                    gap *= 1 + (slot_start - ds.now).days / 3  # fewer far ahead
                if room:
                    gap *= 4
                t += timedelta(minutes=step * round(gap / step))
                steps = rng.randint(resource["min_duration_minutes"] // step,
                                    resource["max_duration_minutes"] // step)
                if not room and rng.random() < 0.6:  # most sessions are short
                    steps = max(resource["min_duration_minutes"] // step,
                                min(steps, rng.randint(1, 4)))
                end = t + timedelta(minutes=step * steps)
                if end > slot_end:
                    break
                status = "confirmed"
                if room:
                    status = rng.choices(("confirmed", "rejected", "pending"),
                                         (85, 10, 5 if future else 0))[0]
                if rng.random() < 0.07:
                    status = "cancelled"
                live = status in ("pending", "confirmed")
                member = _booker(ds, site, day, resource, t, end, people, slot["capacity"], live)
                if member is None:
                    t = end
                    continue
                created = max(member.joined, t - timedelta(days=rng.randint(0, 13),
                                                           hours=rng.randint(0, 10)))
                created = min(created, ds.now)
                row = {"id": 0, "resource_id": resource["id"], "member_id": member.id,
                       "organisation_id": None, "slot_id": slot["id"], "starts_at": t,
                       "ends_at": end, "status": status, "purpose": "",
                       "created_by_id": member.id, "quota_override": False,
                       "checked_in_at": None, "no_show": False, "decided_by_id": None,
                       "decision_reason": "", "cancelled_at": None, "cancelled_by_id": None,
                       "cancel_reason": "", "reminder_sent_at": None, "created_at": created}
                if room:
                    row["purpose"] = rng.choice(("Réunion du bureau", "Assemblée générale",
                                                 "Atelier couture de l'association",
                                                 "Répétition", "Formation interne"))
                    own = [org for org, responsible in organisations if responsible == member.id]
                    if own:
                        row["organisation_id"] = own[0]
                    if status in ("confirmed", "rejected"):
                        row["decided_by_id"] = slot["staff_id"]
                        if status == "rejected":
                            row["decision_reason"] = "La salle est prise par un atelier."
                if status == "cancelled":
                    row["cancelled_at"] = ds.random_moment(created, min(t, ds.now))
                    row["cancelled_by_id"] = member.id
                    row["cancel_reason"] = rng.choice(("", "Empêchement", "Fichier pas prêt"))
                elif status == "confirmed" and end <= ds.now:
                    if rng.random() < 0.9:
                        row["checked_in_at"] = t + timedelta(minutes=rng.randint(0, 12))
                    else:
                        row["no_show"] = True
                reminder = t - timedelta(days=1)
                if status == "confirmed" and created < reminder < ds.now:
                    row["reminder_sent_at"] = reminder
                rows.append(row)
                t = end
    rows.sort(key=lambda r: r["starts_at"])
    for row in rows:
        row["id"] = ds.next_id(Booking.__table__)
    with _without_sqlite_booking_trigger(ds):
        ds.insert(Booking.__table__, rows)


def _booker(ds: Dataset, site: SiteInfo, day: date, resource: dict, start: datetime,
            end: datetime, people: dict, capacity: int, live: bool) -> Member | None:
    """Who books: someone already in the slot and free then, or a newcomer while
    the slot has room; active that day, trained for the machine."""
    rng = ds.rng
    training_id = resource["training_id"]

    def free(member_id: int) -> bool:
        return all(e <= start or s >= end for s, e in people.get(member_id, ()))

    if people and (len(people) >= capacity or rng.random() < 0.3):
        candidates = list(people)
        rng.shuffle(candidates)
        for member_id in candidates[:6]:
            member = ds.members_by_id[member_id]
            if free(member_id) and member.trained(training_id, start):
                if live:
                    people[member_id].append((start, end))
                return member
        if len(people) >= capacity:
            return None
    if resource["kind"] == "room" and ds.organisations and rng.random() < 0.5:
        member = ds.members_by_id[rng.choice(ds.organisations)[1]]
        if not (member.active_on(day) and member.joined < start and free(member.id)):
            member = None
    else:
        member = None
    if member is None:
        member = ds.pick_member(site, day, training_id, start)
    if member is None or not free(member.id):
        return None
    if live:
        people.setdefault(member.id, []).append((start, end))
    return member


class _without_sqlite_booking_trigger:
    """SQLite checks overlaps with a trigger that scans the resource's earlier
    bookings: quadratic in a bulk load. The rows are made without overlaps (and
    the tests check it), so the trigger is set aside during the load and put
    back after. PostgreSQL's exclusion constraint stays on."""

    def __init__(self, ds: Dataset):
        self.ds, self.triggers = ds, []

    def __enter__(self):
        if self.ds.dialect == "sqlite":
            self.triggers = self.ds.conn.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'bookings' AND name LIKE '%insert%'")).all()
            for name, _sql in self.triggers:
                self.ds.conn.execute(text(f'DROP TRIGGER "{name}"'))
        return self

    def __exit__(self, *exc):
        for _name, sql in self.triggers:
            self.ds.conn.execute(text(sql))
        return False


def step_loans(ds: Dataset) -> None:
    """Items of each site, their loans one after the other (some late, a few
    overdue now), holds, and each item's history."""
    from fablab.loans.models import Hold, Item, ItemCondition, ItemEvent, Loan

    try:
        from fablab.loans.demo import CATALOGUE
        catalogue = [(category, name, deposit, value, days, renewals)
                     for category, entries in CATALOGUE.items()
                     for name, deposit, value, days, renewals, _d in entries]
    except ImportError:  # pragma: no cover
        catalogue = list(CATALOGUE_FALLBACK)
    rng = ds.rng
    conditions = dict(ds.conn.execute(select(ItemCondition.code, ItemCondition.id)).all())
    if not conditions:  # seeded by the migration; a test may have emptied the table
        ds.conn.execute(insert(ItemCondition.__table__), [
            {"code": code, "name": code.capitalize(), "position": n}
            for n, code in enumerate(("new", "good", "worn", "damaged"), 1)])
        conditions = dict(ds.conn.execute(select(ItemCondition.code, ItemCondition.id)).all())
    good, worn = conditions.get("good"), conditions.get("worn")
    history_start = ds.local(ds.start, 10)
    items = []
    for n in range(ds.size.items):
        site = ds.sites[n % len(ds.sites)]
        category, name, deposit, value, days, renewals = catalogue[n % len(catalogue)]
        copy = n // len(catalogue) + 1
        created = (history_start - timedelta(days=rng.randint(1, 300)) if rng.random() < 0.6
                   else ds.random_moment(history_start, ds.now - timedelta(days=10)))
        items.append({
            "id": ds.next_id(Item.__table__), "code": f"OBJ-{n + 1:04d}", "site_id": site.id,
            "name": name if copy == 1 else f"{name} ({copy})", "category": category,
            "description": "", "photo": None, "value_cents": value * 100,
            "deposit_cents": deposit * 100, "loan_days": days, "max_renewals": renewals,
            "condition_id": worn if rng.random() < 0.25 else good,
            "location": f"Étagère {n % 12 + 1}", "status": "available", "status_reason": "",
            "lendable_to": "organisations" if name.startswith("Tables") else "all",
            "training_id": None, "updated_at": created, "created_at": created, "_site": site})
    # The mean pause between two loans of an item, so that the total is near the target.
    item_days = sum(max(1, (ds.now - i["created_at"]).days) for i in items)
    mean_loan = sum(i["loan_days"] for i in items) / max(1, len(items))
    pause = max(1.0, item_days / max(1, ds.size.loans) - mean_loan)
    loans, events, holds = [], [], []
    for item in items:
        site, loan_days = item["_site"], item["loan_days"]
        staff = site.staff
        events.append({"id": 0, "item_id": item["id"], "at": item["created_at"],
                       "actor_id": rng.choice(staff), "kind": "created", "loan_id": None,
                       "status": "available", "condition_id": item["condition_id"], "note": ""})
        if rng.random() < 0.02:
            item["status"] = rng.choice(("missing", "retired", "maintenance"))
            item["status_reason"] = {"missing": "Pas revenu de l'inventaire",
                                     "retired": "Hors d'usage, remplacé",
                                     "maintenance": "En réparation"}[item["status"]]
            stop = ds.random_moment(item["created_at"], ds.now)
        else:
            stop = ds.now
        free_since = item["created_at"]
        t = free_since + timedelta(days=rng.expovariate(1 / pause))
        while t < stop:
            t = max(t.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59), second=0,
                              microsecond=0), free_since + timedelta(minutes=20))
            if t >= stop:
                break
            day = ds.day_of(t, site)
            if closed(site, day) or day.isoweekday() == 7:
                t += timedelta(days=1)
                continue
            organisation = None
            if item["lendable_to"] == "organisations" or (ds.organisations and rng.random() < 0.05):
                org_id, responsible = (rng.choice(ds.organisations) if ds.organisations
                                       else (None, None))
                member = ds.members_by_id.get(responsible)
                organisation = org_id
                if member is None or not member.active_on(day) or member.joined > t:
                    member, organisation = None, None
            else:
                member = ds.pick_member(site, day, at=t)
            if member is None:
                t += timedelta(days=rng.randint(1, 5))
                continue
            loan_id = ds.next_id(Loan.__table__)
            renewals = 1 if item["max_renewals"] and rng.random() < 0.2 else 0
            due = day + timedelta(days=loan_days * (1 + renewals))
            late = rng.random() < 0.15
            back_day = (due + timedelta(days=rng.randint(1, 12)) if late
                        else day + timedelta(days=rng.randint(0, max(0, (due - day).days))))
            returned = ds.local(back_day, rng.randint(10, 18), rng.randint(0, 59), site)
            returned = max(returned, t + timedelta(minutes=30))
            still_out = returned > ds.now
            if still_out and item["status"] != "available":
                break
            if still_out and due < ds.today:  # brought back lately (overdue ones: below)
                returned = max(t + timedelta(minutes=30),
                               ds.now - timedelta(hours=rng.randint(2, 48)))
                back_day, still_out = ds.day_of(returned, site), False
                late = back_day > due
            loan = {"id": loan_id, "item_id": item["id"], "member_id": member.id,
                    "organisation_id": organisation, "checked_out_at": t,
                    "checked_out_by_id": rng.choice(staff), "due_on": due, "renewals": renewals,
                    "deposit_cents": item["deposit_cents"], "deposit_returned_at": None,
                    "returned_at": None, "checked_in_by_id": None,
                    "condition_out_id": item["condition_id"], "condition_in_id": None,
                    "return_note": "", "notices_sent": 0}
            events.append({"id": 0, "item_id": item["id"], "at": t, "actor_id":
                           loan["checked_out_by_id"], "kind": "checked_out", "loan_id": loan_id,
                           "status": "on_loan", "condition_id": item["condition_id"], "note": ""})
            if still_out:
                loan["_free_since"], loan["_event"], loan["_site"] = free_since, events[-1], site
                item["status"] = "on_loan"
                if due < ds.today:
                    loan["notices_sent"] = 2 if (ds.today - due).days < 7 else 3
                elif due == ds.today + timedelta(days=1):
                    loan["notices_sent"] = 1
                loans.append(loan)
                for follower in range(rng.choice((0, 0, 0, 0, 1, 2))):  # a queue
                    waiting = ds.pick_member(site, ds.today)
                    if waiting is None or waiting.id == member.id or any(
                            h["member_id"] == waiting.id and h["item_id"] == item["id"]
                            for h in holds[-3:]):
                        continue
                    holds.append({"id": ds.next_id(Hold.__table__), "item_id": item["id"],
                                  "member_id": waiting.id, "status": "waiting", "ready_at": None,
                                  "expires_on": None, "ended_at": None,
                                  "created_at": ds.random_moment(t, ds.now)})
                break
            loan.update(returned_at=returned, checked_in_by_id=rng.choice(staff),
                        deposit_returned_at=returned if item["deposit_cents"] else None,
                        condition_in_id=worn if rng.random() < 0.05 else item["condition_id"],
                        notices_sent=min(3, 1 + (back_day - due).days // 7) if late else 0,
                        return_note="Rendu en retard." if late and rng.random() < 0.3 else "")
            loans.append(loan)
            events.append({"id": 0, "item_id": item["id"], "at": returned,
                           "actor_id": loan["checked_in_by_id"], "kind": "checked_in",
                           "loan_id": loan_id, "status": "available",
                           "condition_id": loan["condition_in_id"], "note": ""})
            if rng.random() < 0.04:  # someone had reserved it and collected it
                t_hold = ds.random_moment(t, returned)
                holder = ds.pick_member(site, ds.day_of(t_hold, site), at=t_hold)
                if holder is not None and holder.id != member.id:
                    holds.append({"id": ds.next_id(Hold.__table__), "item_id": item["id"],
                                  "member_id": holder.id,
                                  "status": rng.choice(("collected", "collected", "expired",
                                                        "cancelled")),
                                  "ready_at": returned, "expires_on": back_day + timedelta(days=3),
                                  "ended_at": returned + timedelta(days=rng.randint(0, 3)),
                                  "created_at": t_hold})
            free_since = returned
            t = returned + timedelta(days=rng.expovariate(1 / pause))
        if item["status"] == "available" and rng.random() < 0.01:
            holder = ds.pick_member(site, ds.today)
            if holder is not None:  # kept at the desk for a member
                item["status"] = "held"
                ready = ds.now - timedelta(hours=rng.randint(1, 40))
                holds.append({"id": ds.next_id(Hold.__table__), "item_id": item["id"],
                              "member_id": holder.id, "status": "ready", "ready_at": ready,
                              "expires_on": ds.today + timedelta(days=2), "ended_at": None,
                              "created_at": ready - timedelta(days=rng.randint(1, 10))})
                events.append({"id": 0, "item_id": item["id"], "at": ready, "actor_id": None,
                               "kind": "hold_ready", "loan_id": None, "status": "held",
                               "condition_id": None, "note": ""})
        if item["status"] in ("missing", "retired", "maintenance"):
            events.append({"id": 0, "item_id": item["id"], "at": stop,
                           "actor_id": rng.choice(staff), "kind": "status", "loan_id": None,
                           "status": item["status"], "condition_id": None,
                           "note": item["status_reason"]})
        item["updated_at"] = max(e["at"] for e in events[-3:] if e["item_id"] == item["id"])
    # A few open loans are overdue: the member has not come back.
    open_loans = [loan for loan in loans if loan["returned_at"] is None]
    rng.shuffle(open_loans)
    overdue = max(1, round(len(items) * 0.02))
    for loan in open_loans:
        if overdue == 0:
            break
        late_by = rng.randint(1, 20)
        loan_days = (loan["due_on"] - ds.day_of(loan["checked_out_at"], loan["_site"])).days
        out_day = ds.today - timedelta(days=late_by + max(1, loan_days))
        checked_out = ds.local(out_day, 11, rng.randint(0, 59), loan["_site"])
        if checked_out <= loan["_free_since"]:
            continue
        loan.update(checked_out_at=checked_out, due_on=ds.today - timedelta(days=late_by),
                    notices_sent=2 if late_by < 7 else 3)
        loan["_event"]["at"] = checked_out
        overdue -= 1
    if open_loans and not any(h["status"] == "waiting" for h in holds):
        loan = open_loans[0]  # at least one queue, however small the library
        for _ in range(20):
            waiting = ds.pick_member(loan["_site"], ds.today)
            if waiting is not None and waiting.id != loan["member_id"]:
                holds.append({"id": ds.next_id(Hold.__table__), "item_id": loan["item_id"],
                              "member_id": waiting.id, "status": "waiting", "ready_at": None,
                              "expires_on": None, "ended_at": None,
                              "created_at": ds.random_moment(loan["checked_out_at"], ds.now)})
                break
    ds.insert(Item.__table__, [{k: v for k, v in i.items() if not k.startswith("_")}
                               for i in items])
    loans.sort(key=lambda loan: loan["id"])
    ds.insert(Loan.__table__, [{k: v for k, v in loan.items() if not k.startswith("_")}
                               for loan in loans])
    ds.insert(Hold.__table__, holds)
    events.sort(key=lambda e: e["at"])
    for event in events:
        event["id"] = ds.next_id(ItemEvent.__table__)
    ds.insert(ItemEvent.__table__, events)


SKILLS = ("arduino", "couture", "soudure", "impression 3d", "découpe laser", "menuiserie",
          "réparation vélo", "python", "électronique", "broderie", "modélisation 3d",
          "réparation électroménager", "raspberry pi", "tricot", "fraisage cnc")


def step_projects_and_skills(ds: Dataset) -> None:
    """Documented projects (issue 6) by members, with steps, bills of materials,
    tags, machines, co-authors, revisions and a few reports; public profiles of
    their authors, and members who list their skills in the directory. No file
    is written: projects have no images (cover_name stays empty)."""
    from fablab.accounts.models import PublicProfile, Skill
    from fablab.projects.demo import PROJECTS
    from fablab.projects.models import (BomLine, Project, ProjectAuthor, ProjectReport,
                                        ProjectRevision, ProjectStep, ProjectTag,
                                        project_machines)
    from fablab.projects.services import slugify as project_slug
    from fablab.projects.services import what_changed

    rng = ds.rng
    projects, authors, steps, bom, tags, machines, revisions, reports = ([] for _ in range(8))
    profiles: dict[int, dict] = {}
    staff = ds.staff or ds.admins

    def profile(member_id: int, name: str, since: datetime, listed: bool = False) -> None:
        if member_id not in profiles:
            words = name.split()
            profiles[member_id] = {"user_id": member_id, "about": "", "in_directory": listed,
                                   "display_name": f"{words[0]} {words[-1][0]}."[:60],
                                   "updated_at": since}
        profiles[member_id]["in_directory"] |= listed

    names = dict(ds.conn.execute(text("SELECT id, name FROM users")).all())
    first_day = ds.local(ds.start, 10)
    for n in range(ds.size.projects):
        (title, summary, tag_text, machine_prefixes, licence, difficulty, hours, cost, _colour,
         _shape, step_texts, bom_lines, _files) = PROJECTS[n % len(PROJECTS)]
        site = ds.sites[n % len(ds.sites)]
        created = ds.random_moment(first_day, ds.now - timedelta(days=1))
        owner = ds.pick_member(site, ds.day_of(created, site), at=created)
        if owner is None:
            continue
        copy = n // len(PROJECTS)
        if copy:
            title = f"{title} — version de {names[owner.id].split()[0]}"[:120]
            if copy % 3 == 0:
                title = f"{title} n°{copy}"[:120]
        project_id = ds.next_id(Project.__table__)
        status = rng.choices(("published", "draft", "hidden"), (86, 12, 2))[0]
        published = (min(created + timedelta(days=rng.randint(1, 30)), ds.now)
                     if status != "draft" else None)
        updated = ds.random_moment(published or created, ds.now) if rng.random() < 0.3 \
            else (published or created)
        step_rows = [{"id": ds.next_id(ProjectStep.__table__), "project_id": project_id,
                      "position": position, "title": step_title, "body": body,
                      "image_name": None}
                     for position, (step_title, body) in enumerate(step_texts, 1)]
        project_tags = [t.strip() for t in tag_text.split(",") if t.strip()]
        if rng.random() < 0.3:
            project_tags.append(rng.choice(SKILLS))
        project_tags = list(dict.fromkeys(project_tags))
        intro = summary + "\n\nFait au fablab, documenté pour que d'autres le refassent."
        # Revisions: the project created, then the steps written in one or more saves.
        count = rng.randint(1, 4)
        moments = sorted(ds.random_moment(created, updated) for _ in range(count - 1))
        previous = None
        for number in range(1, count + 1):
            written = step_rows if number == count else step_rows[
                :len(step_rows) * (number - 1) // max(1, count - 1)]
            snapshot = {"title": title, "summary": summary,
                        "intro": intro if number > 1 or count == 1 else "",
                        "steps": [{"id": r["id"], "title": r["title"], "body": r["body"]}
                                  for r in written]}
            revisions.append({"id": ds.next_id(ProjectRevision.__table__),
                              "project_id": project_id, "number": number,
                              "author_id": owner.id,
                              "created_at": created if number == 1 else moments[number - 2],
                              "changes": what_changed(previous, snapshot),
                              "snapshot": snapshot})
            previous = snapshot
        projects.append({
            "id": project_id, "slug": project_slug(title), "title": title, "summary": summary,
            "intro": intro, "status": status,
            "hidden_reason": "Contenu signalé : photos d'une personne sans son accord."
            if status == "hidden" else "", "difficulty": difficulty,
            "duration_minutes": hours * 60, "cost_cents": cost * 100, "licence": licence,
            "language": "en" if rng.random() < 0.05 else "fr", "cover_name": None,
            "featured": status == "published" and rng.random() < 0.02,
            "revision_count": count,
            "search_text": " ".join([f"{r['title']} {r['body']}" for r in step_rows]
                                    + project_tags),
            "updated_at": updated, "published_at": published, "created_at": created})
        steps += step_rows
        authors.append({"id": ds.next_id(ProjectAuthor.__table__), "project_id": project_id,
                         "user_id": owner.id, "is_owner": True, "invited_at": created,
                         "accepted_at": created})
        profile(owner.id, names[owner.id], created)
        if rng.random() < 0.15:
            other = ds.pick_member(site, ds.day_of(updated, site), at=updated)
            if other is not None and other.id != owner.id:
                accepted = rng.random() < 0.85
                authors.append({"id": ds.next_id(ProjectAuthor.__table__),
                                "project_id": project_id, "user_id": other.id,
                                "is_owner": False, "invited_at": updated,
                                "accepted_at": updated if accepted else None})
                if accepted:
                    profile(other.id, names[other.id], updated)
        for position, (name, quantity, unit, source) in enumerate(bom_lines, 1):
            bom.append({"id": ds.next_id(BomLine.__table__), "project_id": project_id,
                        "position": position, "name": name, "quantity": Decimal(quantity),
                        "unit": unit, "source": source})
        tags += [{"project_id": project_id, "tag": tag} for tag in project_tags]
        used = {r["id"] for r in site.resources if r["kind"] == "machine" and any(
            r["name"].startswith(prefix) or prefix.startswith(r["name"].split(" — ")[0])
            for prefix in machine_prefixes)}
        machines += [{"project_id": project_id, "resource_id": rid} for rid in sorted(used)]
        if status != "draft" and rng.random() < 0.01:
            reporter = ds.pick_member(site, ds.today)
            handled = status == "hidden" or rng.random() < 0.5
            reported = ds.random_moment(published, ds.now)
            reports.append({"id": ds.next_id(ProjectReport.__table__), "project_id": project_id,
                            "reporter_id": reporter.id if reporter else None,
                            "reason": "Ce projet montre une personne sans son accord.",
                            "handled_at": reported + timedelta(hours=5) if handled else None,
                            "handled_by_id": rng.choice(staff) if handled else None,
                            "created_at": reported})
    # The skills directory: one member in twenty lists what they can share.
    skills = []
    for member in ds.members:
        if rng.random() >= 0.05:
            continue
        since = ds.random_moment(member.joined, ds.now)
        profile(member.id, names[member.id], since, listed=True)
        for skill in rng.sample(SKILLS, rng.randint(1, 4)):
            skills.append({"id": ds.next_id(Skill.__table__), "user_id": member.id,
                           "name": skill, "created_at": since,
                           "level": rng.choice(("beginner", "confirmed", "expert"))})
    ds.insert(Project.__table__, projects)
    ds.insert(ProjectAuthor.__table__, authors)
    ds.insert(ProjectStep.__table__, steps)
    ds.insert(BomLine.__table__, bom)
    ds.insert(ProjectTag.__table__, tags)
    ds.insert(project_machines, machines)
    ds.insert(ProjectRevision.__table__, revisions)
    ds.insert(ProjectReport.__table__, reports)
    ds.insert(PublicProfile.__table__, list(profiles.values()))
    ds.insert(Skill.__table__, skills)


COMMUNES = ("Villeurbanne", "Lyon", "Vaulx-en-Velin", "Bron", "Caluire-et-Cuire", "Vénissieux")


def step_visits(ds: Dataset) -> None:
    """Arrivals at the desk: members (once per site and day, as the unique index wants)
    and anonymous walk-in visitors with optional details."""
    from fablab.desk.models import AGE_GROUPS, VISIT_REASONS, Visit

    table = Visit.__table__
    days = (ds.today - ds.start).days
    seen: set[tuple[int, date, int]] = set()
    rows = []
    for _ in range(ds.size.visits):
        site = ds.rng.choice(ds.sites)
        day = ds.start + timedelta(days=ds.rng.randint(0, days))
        at = ds.local(day, ds.rng.randint(9, 20), ds.rng.choice((0, 15, 30, 45)), site)
        row = {"id": None, "site_id": site.id, "day": day, "at": at, "created_at": at,
               "member_id": None, "child_id": None, "age_group": None, "commune": "",
               "recorded_by_id": site.staff[0] if site.staff else None}
        if ds.rng.random() < 0.8:
            member = ds.pick_member(site, day, at=at)
            if member is None or (site.id, day, member.id) in seen:
                continue
            seen.add((site.id, day, member.id))
            row.update(member_id=member.id, source=ds.rng.choice(("scan", "booking", "event")),
                       reason=ds.rng.choice(("open_lab", "workshop", None)))
        else:
            row.update(source="walk_in", reason=ds.rng.choice(VISIT_REASONS + (None,)),
                       age_group=ds.rng.choice(AGE_GROUPS + (None,)),
                       commune=ds.rng.choice(COMMUNES + ("",)))
        row["id"] = ds.next_id(table)
        rows.append(row)
    ds.insert(table, rows)


STEPS: list[Callable[[Dataset], None]] = [
    step_sites_and_tariffs,
    step_accounts,
    step_memberships,
    step_machines,
    step_events,
    step_training_grants,
    step_slots_and_bookings,
    step_loans,
    step_projects_and_skills,
    step_visits,
]

# --- running ------------------------------------------------------------------------------------


def _reset_sequences(ds: Dataset) -> None:
    """PostgreSQL: move each id sequence past the ids written here."""
    if ds.dialect != "postgresql":
        return
    from fablab.extensions import db

    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
            ds.conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"COALESCE(MAX(id), 0) + 1, false) FROM \"{table.name}\""))


def load_dataset(app: Flask, scale: float = 1, seed: int = 2024, *, size: Size | None = None,
                 now: datetime | None = None, verbose: bool = False,
                 steps: Iterable[Callable[[Dataset], None]] | None = None) -> dict[str, int]:
    """Fill the app's (empty, migrated) database; return the rows written per table."""
    from fablab.accounts.models import User
    from fablab.core.timeutil import utcnow
    from fablab.extensions import db

    size = size or Size.for_scale(scale)
    # The current hour by default: two loads within an hour give the same rows.
    now = (now or utcnow().replace(minute=0, second=0)).astimezone(UTC).replace(microsecond=0)
    zone = ZoneInfo(app.config.get("TIMEZONE", "Europe/Paris"))
    today = now.astimezone(zone).date()
    started = _time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.execute(select(func.count()).select_from(User.__table__)).scalar():
                raise RuntimeError("make_dataset fills an empty database: this one has users")
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            ds = Dataset(conn=conn, size=size, rng=random.Random(seed), now=now, today=today,
                         start=today - timedelta(days=365 * size.years),
                         password_hash=generate_password_hash(PASSWORD, method="scrypt"),
                         verbose=verbose, zone=zone)
            for step in (steps if steps is not None else STEPS):
                begun = _time.perf_counter()
                step(ds)
                if verbose:
                    print(f"  {step.__name__}: {_time.perf_counter() - begun:.1f} s", flush=True)
            _reset_sequences(ds)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()
    counts = dict(sorted(ds.counts.items()))
    if verbose:
        print(f"loaded {sum(counts.values())} rows in {_time.perf_counter() - started:.1f} s",
              flush=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url", default="",
                        help="an empty database (migrated here); default: a new SQLite file, "
                             "or FABLAB_BENCH_DATABASE_URL emptied first")
    parser.add_argument("--reset", action="store_true",
                        help="empty the --database-url database first (drops every table)")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    from bench.harness import bench_app

    started = _time.perf_counter()
    app = bench_app(args.database_url or None, reset=args.reset)
    migrated = _time.perf_counter()
    counts = load_dataset(app, args.scale, args.seed, verbose=not args.quiet)
    total = _time.perf_counter() - started
    if not args.quiet:
        for table, count in counts.items():
            print(f"  {table:22} {count:>9}")
    print(f"scale {args.scale:g} on {app.config['DATABASE_URL'].split('://')[0]}: "
          f"{sum(counts.values())} rows, migrations {migrated - started:.1f} s, "
          f"load {total - (migrated - started):.1f} s, total {total:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
