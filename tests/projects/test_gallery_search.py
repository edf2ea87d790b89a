"""The public gallery: full-text search (FTS5 on SQLite, tsvector + GIN on
PostgreSQL) over title, summary, steps and tags; filters; pagination; and the
number of SQL queries, which does not grow with the projects, steps or files."""

from __future__ import annotations


from fablab.machines.models import Resource
from tests.projects.conftest import STL_ASCII, png_bytes, upload
from tests.support.query_counter import count_queries


def titles(client, **args):
    html = client.get("/projects", query_string=args).get_data(as_text=True)
    results = html.split('id="results"', 1)[1].split("</nav>", 1)[0]
    return {t for t in ("Lampe", "Grille-pain", "Station météo", "Brouillon")
            if f">{t}" in results or f">{t} " in results}


def test_search_title_summary_steps_and_tags(app, author, make_project):
    make_project(author, title="Lampe", summary="Contreplaqué découpé", tags="laser, déco",
                 steps=(("Assembler", "Coller les lamelles avec de la colle vinylique."),))
    make_project(author, title="Grille-pain", summary="Réparation d'un thermostat",
                 tags="repair café", steps=(("Démonter", "Ouvrir le boîtier et tester la "
                                                         "résistance au multimètre."),))
    make_project(author, title="Station météo", summary="Capteurs et Arduino", tags="arduino",
                 steps=(("Programmer", "Téléverser le croquis avec l'anémomètre."),))
    make_project(author, title="Brouillon", summary="lamelles multimètre", publish=False)
    client = app.test_client()
    assert titles(client) == {"Lampe", "Grille-pain", "Station météo"}
    assert titles(client, q="lamelles") == {"Lampe"}  # a word of a step
    assert titles(client, q="multimètre") == {"Grille-pain"}  # never the draft
    assert titles(client, q="multimetre") == {"Grille-pain"}  # accents optional
    assert titles(client, q="anémo") == {"Station météo"}  # prefix
    assert titles(client, q="thermostat") == {"Grille-pain"}  # summary
    assert titles(client, q="arduino") == {"Station météo"}  # tag and summary
    assert titles(client, q="lampe assembler") == {"Lampe"}  # every word
    assert titles(client, q="lampe thermostat") == set()
    assert titles(client, q="\"*()' OR 1=1 --") == set()  # quotes and operators are words
    assert client.get("/projects", query_string={"q": "\" AND NEAR( *"}).status_code == 200


def test_search_follows_edits(app, author, author_client, make_project, db):
    project_id = make_project(author, title="Lampe", summary="Bois",
                              steps=(("Poncer", "Grain 120."),))
    client = app.test_client()
    assert titles(client, q="abat") == set()
    author_client.post(f"/projects/{project_id}/steps",
                       data={"step-title": "Abat-jour", "step-body": "Tissu tendu."})
    assert titles(client, q="abat") == {"Lampe"}
    assert titles(client, q="tissu") == {"Lampe"}


def test_filters_machine_tag_licence_and_pages(app, author, make_project, create_site, db):
    site = create_site()
    laser = Resource(site_id=site.id, name="Découpeuse laser", slug="laser")
    db.session.add(laser)
    db.session.commit()
    make_project(author, title="Lampe", tags="laser", machine_ids=[laser.id], licence="CC0-1.0")
    make_project(author, title="Grille-pain", tags="repair")
    client = app.test_client()
    assert titles(client, machine="laser") == {"Lampe"}
    assert titles(client, tag="repair") == {"Grille-pain"}
    assert titles(client, licence="CC0-1.0") == {"Lampe"}
    assert titles(client, licence="not-a-licence") == {"Lampe", "Grille-pain"}
    app.config["PROJECT_PAGE_SIZE"] = 1
    first = client.get("/projects").get_data(as_text=True)
    assert "page=2" in first
    second = client.get("/projects?page=2").get_data(as_text=True)
    assert "page=1" in second and "page=3" not in second
    html = client.get("/projects/1").get_data(as_text=True)
    assert 'href="/machines/laser"' in html


def _fill(app, author, author_client, make_project, count: int, files: bool):
    ids = [make_project(author, title=f"Lampe {n}", tags=f"bois, t{n}",
                        steps=tuple((f"Étape {k}", f"lamelle {k}") for k in range(3)))
           for n in range(count)]
    if files:
        for project_id in ids:
            upload(author_client, project_id, STL_ASCII, "a.stl")
            upload(author_client, project_id, png_bytes(), "a.png")
    return ids


def test_query_counts_do_not_grow(app, author, author_client, make_project, create_member,
                                  login_as):
    client = app.test_client()
    _fill(app, author, author_client, make_project, 2, files=True)
    gallery_small, _ = count_queries(app, client, "/projects")
    search_small, _ = count_queries(app, client, "/projects?q=lamelle")
    page_small, _ = count_queries(app, client, "/projects/1")
    ids = _fill(app, author, author_client, make_project, 8, files=True)
    for n in range(3):  # more co-authors, with skills
        friend = create_member(name=f"Ami {n}")
        author_client.post(f"/projects/{ids[-1]}/authors", data={"email": friend.email})
        login_as(friend).post(f"/projects/{ids[-1]}/invitation", data={"answer": "accept"})
    for n in range(4):
        upload(author_client, ids[-1], STL_ASCII, f"b{n}.stl")
    gallery_big, html = count_queries(app, client, "/projects")
    assert html.count("Lampe ") >= 10
    search_big, _ = count_queries(app, client, "/projects?q=lamelle")
    page_big, page = count_queries(app, client, f"/projects/{ids[-1]}")
    assert "b3.stl" in page
    assert len(gallery_big) == len(gallery_small), gallery_big
    assert len(search_big) == len(search_small)
    assert len(page_big) == len(page_small)
    assert len(page_big) <= 12 and len(gallery_big) <= 10
