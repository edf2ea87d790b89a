"""Search of 2,000 published projects (target: under 100 ms), and the gallery.

``python -m bench.run projects``; FABLAB_BENCH_DATABASE_URL for PostgreSQL."""

from __future__ import annotations

import random

from sqlalchemy import insert

from bench.harness import bench_app

WORDS = ("lampe bois laser arduino capteur météo couture tabouret robot moteur soudure "
         "impression nichoir enceinte vinyle bâche réparation grille-pain thermostat "
         "contreplaqué fraiseuse plexiglas led batterie panneau solaire jardin cuisine "
         "vélo remorque horloge jouet puzzle").split()


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def fill(app, count: int = 2000) -> None:
    from fablab.accounts.models import PublicProfile, User
    from fablab.core.timeutil import utcnow
    from fablab.extensions import db
    from fablab.projects.models import Project, ProjectAuthor, ProjectTag

    rng = random.Random(6)
    with app.app_context():
        author = User(name="Bench Author", email="bench@example.org")
        db.session.add(author)
        db.session.flush()
        db.session.add(PublicProfile(user_id=author.id, display_name="Bench"))
        now = utcnow()
        rows = []
        for n in range(count):
            steps = " ".join(_text(rng, 40) for _ in range(6))
            rows.append({"title": f"Projet {n} {_text(rng, 3)}", "slug": f"projet-{n}",
                         "summary": _text(rng, 15), "intro": _text(rng, 60),
                         "status": "published" if n % 10 else "draft",
                         "published_at": now if n % 10 else None, "updated_at": now,
                         "created_at": now, "search_text": steps + " " + _text(rng, 3),
                         "difficulty": "easy", "licence": "CC-BY-SA-4.0", "language": "fr",
                         "featured": False, "revision_count": 1, "hidden_reason": ""})
        db.session.execute(insert(Project), rows)
        ids = [p for (p,) in db.session.execute(db.select(Project.id))]
        db.session.execute(insert(ProjectAuthor), [
            {"project_id": i, "user_id": author.id, "is_owner": True, "accepted_at": now,
             "invited_at": now} for i in ids])
        db.session.execute(insert(ProjectTag), [
            {"project_id": i, "tag": tag} for i in ids for tag in rng.sample(WORDS, 2)])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()


def main(harness) -> None:
    from fablab.projects import services

    app = bench_app()
    fill(app)
    client = app.test_client()
    with app.test_request_context():
        harness.measure("projects: search of 2,000 projects (one word)", 100,
                        lambda: services.gallery(q="thermostat", limit=25))
        harness.measure("projects: search of 2,000 projects (two words, prefix)", 100,
                        lambda: services.gallery(q="arduino sold", limit=25))
    harness.measure("projects: gallery page with a search (HTTP)", 250,
                    lambda: client.get("/projects?q=lampe"))
    harness.measure("projects: gallery first page (HTTP)", 250, lambda: client.get("/projects"))
