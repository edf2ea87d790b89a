"""Demo visits: six months of open days at the lab, and past workshops with their
attendance, so that the reports have figures."""

from __future__ import annotations

import random
from datetime import time, timedelta

from fablab.core.demo import DemoMoment
from fablab.desk.models import AGE_GROUPS, Visit
from fablab.events.models import Event, Registration
from fablab.extensions import db

COMMUNES = ("Villeurbanne", "Villeurbanne", "Villeurbanne", "Lyon", "Lyon", "Vaulx-en-Velin",
            "Bron", "Décines-Charpieu", "")
REASONS = ("open_lab", "open_lab", "workshop", "repair_cafe", "coworking", "other", None)
OPEN_DAYS = {3: "open_lab", 5: "open_lab", 6: "workshop"}  # Wednesday, Friday, Saturday


def load_desk_demo(moment: DemoMoment, site, staff, member, people) -> None:
    rng = random.Random(8)
    today = moment.today
    visitors = [member] + list(people)
    rows = []
    for offset in range(180, 0, -1):
        day = today - timedelta(days=offset)
        reason = OPEN_DAYS.get(day.isoweekday())
        if reason is None:
            continue
        at = moment.at(day, time(15))
        for person in visitors:
            if rng.random() < 0.22:
                rows.append(Visit(site_id=site.id, day=day, at=at, member_id=person.id,
                                  source=rng.choice(("scan", "booking", "event")),
                                  reason=reason, recorded_by_id=staff.id))
        for _ in range(rng.randint(0, 6)):
            rows.append(Visit(site_id=site.id, day=day, at=at, source="walk_in",
                              reason=rng.choice(REASONS),
                              age_group=rng.choice(AGE_GROUPS + (None,)),
                              commune=rng.choice(COMMUNES), recorded_by_id=staff.id))
    db.session.add_all(rows)
    _past_workshops(rng, moment, site, staff, visitors)


PAST_WORKSHOPS = (
    ("Initiation à l'impression 3D", "workshop", "adults", 8, 150),
    ("Robotique pour les 8-12 ans", "workshop", "children", 10, 120),
    ("Atelier couture en famille", "workshop", "families", 12, 90),
    ("Découverte de la découpe laser", "training", "adults", 6, 60),
    ("Club électronique", "club", "teens", 10, 30),
)


def _past_workshops(rng, moment: DemoMoment, site, staff, visitors) -> None:
    """Past workshops, their registrations and who came (the report's attendance)."""
    for title, kind, audience, capacity, days_ago in PAST_WORKSHOPS:
        day = moment.today - timedelta(days=days_ago)
        event = Event(site_id=site.id, kind=kind, audience=audience, title=title,
                      slug=f"demo-passe-{days_ago}", status="published", capacity=capacity,
                      summary="Atelier passé (données de démonstration).",
                      starts_at=moment.at(day, time(14)),
                      ends_at=moment.at(day, time(17)), animators=[staff])
        db.session.add(event)
        db.session.flush()
        for person in rng.sample(visitors, min(capacity, len(visitors)) - 1):
            attended = rng.random() < 0.85
            db.session.add(Registration(
                event_id=event.id, member_id=person.id, participant_key=f"m:{person.id}",
                status="confirmed",
                attended_at=moment.at(day, time(14, 5)) if attended else None))
