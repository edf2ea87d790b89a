"""The public iCalendar feed of a busy lab: about 3,000 events and open slots
over a year (bulk inserted), then:

- building ``/agenda.ics`` (target 300 ms): after a change the entries that
  did not change come from the serialised-VEVENT cache (``ics.vevent_bytes``);
  the cold build (empty cache, as after a restart) is measured too;
- an unchanged feed's answer from the rendered-feed cache (``agenda/cache.py``);
- a ``304 Not Modified`` answer to ``If-None-Match`` (target 5 ms);
- one page of the open-data API (``/api/v1/events?per_page=200``), for reference.

Run with ``python -m bench.run agenda`` (SQLite by default;
FABLAB_BENCH_DATABASE_URL for PostgreSQL).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bench.harness import Harness, bench_app

EVENTS = 1_100
SLOTS = 1_900
KINDS = ("workshop", "repair_cafe", "club", "training", "talk")
AUDIENCES = ("children", "teens", "adults", "families", "everyone")


def populate(app) -> None:
    from fablab.booking.models import OpenSlot
    from fablab.core.models import Site
    from fablab.core.timeutil import local_today, utcnow
    from fablab.events.models import Event
    from fablab.extensions import db

    zone = ZoneInfo("Europe/Paris")
    now = utcnow()
    with app.app_context():
        site = Site(name="Fablab de la Ville", slug="fablab", timezone="Europe/Paris",
                    address="12 rue des Ateliers, 69100 Villeurbanne")
        db.session.add(site)
        db.session.flush()
        first = local_today() - timedelta(days=25)

        def moment(day_offset: int, hour: int) -> datetime:
            day = first + timedelta(days=day_offset % 385)
            return datetime.combine(day, time(hour), tzinfo=zone).astimezone(timezone.utc)

        db.session.execute(Event.__table__.insert(), [{
            "site_id": site.id, "kind": KINDS[i % 5], "audience": AUDIENCES[(i // 5) % 5],
            "title": f"Atelier n°{i}", "slug": f"atelier-{i}",
            "summary": "Un atelier pour apprendre en faisant.",
            "description": "Venez avec vos idées ; le matériel est fourni.\n\nTout public.",
            "starts_at": moment(i * 7 // 20, 10 + i % 8), "ends_at": moment(i * 7 // 20,
                                                                          12 + i % 8),
            "capacity": 12, "status": "cancelled" if i % 40 == 0 else "published",
            "requires_membership": False, "cancel_reason": "", "sequence": i % 3,
            "created_at": now, "updated_at": now} for i in range(EVENTS)])
        db.session.execute(OpenSlot.__table__.insert(), [{
            "site_id": site.id, "starts_at": moment(i // 5, 9 + 2 * (i % 5)),
            "ends_at": moment(i // 5, 10 + 2 * (i % 5)), "capacity": 10, "note": "",
            "cancel_reason": "", "created_at": now} for i in range(SLOTS)])
        db.session.commit()


def main(harness: Harness) -> None:
    app = bench_app()
    populate(app)
    client = app.test_client()
    headers = {"Accept-Language": "fr"}
    first = client.get("/agenda.ics", headers=headers)
    assert first.status_code == 200, first.status_code
    entries = first.data.count(b"BEGIN:VEVENT")
    print(f"      public feed: {entries} entries, {len(first.data) // 1024} KiB", flush=True)
    assert entries >= 2_500, entries
    etag = first.headers["ETag"]

    def build():
        response = client.get("/agenda.ics", headers=headers)
        assert response.status_code == 200

    def not_modified():
        response = client.get("/agenda.ics", headers={**headers, "If-None-Match": etag})
        assert response.status_code == 304

    def api_page():
        response = client.get("/api/v1/events?per_page=200", headers=headers)
        assert response.status_code == 200

    from fablab.agenda import ics

    def cold_build():
        ics._VEVENTS.clear()  # as after a restart: every VEVENT serialised again
        ics._moment_cached.cache_clear()
        ics._utc.cache_clear()
        ics._text_line.cache_clear()
        ics._when_line_cached.cache_clear()
        ics._categories_line.cache_clear()
        build()

    def cached():
        response = client.get("/agenda.ics", headers=headers)
        assert response.status_code == 200 and response.data == first.data

    # The body of an unchanged feed comes from the rendered-feed cache (keyed by its
    # ETag, fablab/agenda/cache.py): measured as such, then with the cache off, so that
    # the build itself (after a change, or in a new worker) is still measured.
    harness.measure("agenda: public feed, unchanged (rendered-feed cache)", 300, cached,
                    repeat=5)
    app.config["AGENDA_RENDERED_CACHE"] = False
    harness.measure("agenda: public feed build (~3,000 entries)", 300, build, repeat=5)
    harness.measure("agenda: public feed build, cold (no VEVENT cached)", 300, cold_build,
                    repeat=3)
    harness.measure("agenda: 304 on If-None-Match", 5, not_modified, repeat=25, warmup=3)
    harness.measure("agenda: API page of 200 events", 150, api_page, repeat=5)
