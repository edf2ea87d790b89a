"""Demo visits: six months of open days at the lab, so that the reports have figures."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from fablab.core.timeutil import local_today
from fablab.desk.models import AGE_GROUPS, Visit
from fablab.extensions import db

COMMUNES = ("Villeurbanne", "Villeurbanne", "Villeurbanne", "Lyon", "Lyon", "Vaulx-en-Velin",
            "Bron", "Décines-Charpieu", "")
REASONS = ("open_lab", "open_lab", "workshop", "repair_cafe", "coworking", "other", None)
OPEN_DAYS = {3: "open_lab", 5: "open_lab", 6: "workshop"}  # Wednesday, Friday, Saturday


def load_desk_demo(site, staff, member, people) -> None:
    rng = random.Random(8)
    zone = ZoneInfo(site.timezone)
    today = local_today()
    visitors = [member] + list(people)
    rows = []
    for offset in range(180, 0, -1):
        day = today - timedelta(days=offset)
        reason = OPEN_DAYS.get(day.isoweekday())
        if reason is None:
            continue
        at = datetime.combine(day, time(15), zone)
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
