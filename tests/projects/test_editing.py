"""A member documents a project: draft, steps (reordered), BOM, co-authors,
publication; revisions keep every save of the text; drafts stay private."""

from __future__ import annotations

from sqlalchemy import select

from fablab.projects.models import Project, ProjectRevision, ProjectStep


def test_draft_edit_steps_bom_publish(author_client, db):
    response = author_client.post("/projects/new", data={"title": "Station météo Arduino",
                                                         "summary": "Température et pluie."})
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert project.status == "draft"
    edit = f"/projects/{project.id}/edit"
    assert response.headers["Location"].endswith(edit)
    response = author_client.post(edit, data={
        "title": "Station météo Arduino", "summary": "Température, humidité et pluie.",
        "intro": "Un *capteur* BME280.", "difficulty": "medium", "duration_hours": "6",
        "cost": "35.50", "licence": "CERN-OHL-S-2.0", "language": "fr",
        "tags": "Arduino, météo, arduino"})
    assert response.status_code == 302, response.get_data(as_text=True)
    for title in ("Souder le capteur", "Programmer la carte"):
        assert author_client.post(f"/projects/{project.id}/steps", data={
            "step-title": title, "step-body": f"Texte de {title}."}).status_code == 302
    assert author_client.post(f"/projects/{project.id}/bom", data={
        "bom-name": "Arduino Nano", "bom-quantity": "1", "bom-unit": "pcs",
        "bom-source": "Boutique"}).status_code == 302
    assert author_client.post(f"/projects/{project.id}/bom", data={
        "bom-name": "Fil", "bom-quantity": "zéro", "bom-unit": "m"}).status_code == 302
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    assert [t.tag for t in project.tags] == ["arduino", "météo"]
    assert project.duration_minutes == 360 and project.cost_cents == 3550
    assert [(b.name, float(b.quantity)) for b in project.bom] == [("Arduino Nano", 1.0)]
    first, second = project.steps
    # Move the second step up.
    assert author_client.post(f"/projects/{project.id}/steps/{second.id}/move",
                              data={"direction": "up"}).status_code == 302
    db.session.expire_all()
    titles = [s.title for s in db.session.get(Project, project.id).steps]
    assert titles == ["Programmer la carte", "Souder le capteur"]
    # Publish and see it in public.
    assert author_client.post(f"/projects/{project.id}/publish").status_code == 302
    page = db.session.get(Project, project.id)
    db.session.refresh(page)
    assert page.status == "published" and page.published_at is not None
    visitor = author_client.application.test_client()
    html = visitor.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Station météo Arduino" in html and "<em>capteur</em>" in html
    assert html.index("Programmer la carte") < html.index("Souder le capteur")
    assert "Arduino Nano" in html and "CERN Open Hardware Licence" in html
    assert "Camille M." in html and "Camille Martin" not in html


def test_publish_needs_a_summary_and_a_step(author_client, author, make_project, db):
    project_id = make_project(author, summary="", steps=(), publish=False)
    response = author_client.post(f"/projects/{project_id}/publish", follow_redirects=True)
    assert "at least one step" in response.get_data(as_text=True)
    assert db.session.get(Project, project_id).status == "draft"


def test_drafts_are_private(app, author, make_project, member_client, staff_client, db):
    project_id = make_project(author, publish=False)
    anonymous = app.test_client()
    for client in (anonymous, member_client):
        for url in (f"/projects/{project_id}", f"/projects/{project_id}/history",
                    f"/projects/{project_id}/okh.toml", f"/projects/{project_id}/export.zip"):
            assert client.get(url).status_code == 404, url
    assert member_client.get(f"/projects/{project_id}/edit").status_code == 404
    assert staff_client.get(f"/projects/{project_id}").status_code == 200
    assert "Lampe" not in anonymous.get("/projects").get_data(as_text=True)


def test_coauthor_invitation_then_edit(author_client, author, create_member, login_as,
                                       make_project, db, outbox):
    project_id = make_project(author)
    friend = create_member(name="Léa Bernard", email="lea@example.org")
    friend_client = login_as(friend)
    assert friend_client.get(f"/projects/{project_id}/edit").status_code == 404
    assert author_client.post(f"/projects/{project_id}/authors",
                              data={"email": "LEA@example.org"}).status_code == 302
    [message] = outbox("projects.invitation")
    assert message.recipient == "lea@example.org"
    assert friend_client.get(f"/projects/{project_id}/edit").status_code == 404  # not yet
    assert "Lampe" in friend_client.get("/projects/mine").get_data(as_text=True)
    assert friend_client.post(f"/projects/{project_id}/invitation",
                              data={"answer": "accept"}).status_code == 302
    assert friend_client.get(f"/projects/{project_id}/edit").status_code == 200
    html = friend_client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Léa B." in html and "Camille M." in html


def test_every_save_of_the_text_keeps_a_revision(author_client, author, make_project, db):
    project_id = make_project(author, steps=(("Un", "premier"), ("Deux", "second")))
    step = db.session.scalar(select(ProjectStep).where(ProjectStep.title == "Deux"))
    author_client.post(f"/projects/{project_id}/steps/{step.id}/edit",
                       data={"title": "Deux", "body": "second, corrigé"})
    revisions = db.session.scalars(select(ProjectRevision).where(
        ProjectRevision.project_id == project_id).order_by(ProjectRevision.number)).all()
    assert revisions[0].changes == ["created"]
    last = revisions[-1]
    assert last.changes == ["step:2"] and last.author_id == author.id
    assert last.snapshot["steps"][1]["body"] == "second, corrigé"
    visitor = author_client.application.test_client()
    history = visitor.get(f"/projects/{project_id}/history").get_data(as_text=True)
    assert f"Revision {last.number}" in history or f"Révision {last.number}" in history
    page = visitor.get(f"/projects/{project_id}/revisions/{last.number}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "second, corrigé" in html and "diff-add" in html
    older = visitor.get(f"/projects/{project_id}/revisions/{last.number - 1}")
    assert "second, corrigé" not in older.get_data(as_text=True).split("diff")[0]
    assert visitor.get(f"/projects/{project_id}/revisions/999").status_code == 404


def test_unpublish_back_to_draft(author_client, author, make_project, app, db):
    project_id = make_project(author)
    assert app.test_client().get(f"/projects/{project_id}").status_code == 200
    author_client.post(f"/projects/{project_id}/unpublish")
    assert db.session.get(Project, project_id).status == "draft"
    assert app.test_client().get(f"/projects/{project_id}").status_code == 404


def test_step_with_an_image_and_search_index_follows_deletion(author_client, author,
                                                              make_project, app, db):
    import io

    from tests.projects.conftest import jpeg_with_gps

    project_id = make_project(author, title="Nichoir", steps=(("Scier", "Planche"),))
    response = author_client.post(f"/projects/{project_id}/steps", data={
        "step-title": "Peindre", "step-body": "Peinture acrylique",
        "step-image": (io.BytesIO(jpeg_with_gps((800, 600))), "IMG_GPS.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    step = db.session.scalar(select(ProjectStep).where(ProjectStep.title == "Peindre"))
    assert step.image_name and step.image_name.endswith(".jpg")
    html = app.test_client().get(f"/projects/{project_id}").get_data(as_text=True)
    assert f"/projects/{project_id}/images/{step.image_name}" in html
    assert "Nichoir" in app.test_client().get("/projects?q=acrylique").get_data(as_text=True)
    # Deleting the project takes it out of the search index.
    with app.app_context():
        from fablab.extensions import db as app_db

        app_db.session.delete(app_db.session.get(Project, project_id))
        app_db.session.commit()
    results = app.test_client().get("/projects?q=acrylique").get_data(as_text=True)
    assert "Nichoir" not in results.split('id="results"', 1)[1]
