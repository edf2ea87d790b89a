"""The skills directory (accounts domain): members list skills and opt in;
/skills shows public names only and is searchable; members write to a listed
member through the outbox (the address stays hidden), rate-limited; projects link
to their authors' shared skills; the GDPR export and erasure include it all."""

from __future__ import annotations

from sqlalchemy import select

from fablab.accounts.models import PublicProfile, Skill, SkillMessage


def share(client, display_name="Camille la soudeuse", skills=(("Arduino", "confirmed"),),
          listed=True):
    data = {"form": "profile", "profile-display_name": display_name, "profile-about": "Hello"}
    if listed:
        data["profile-in_directory"] = "y"
    assert client.post("/account/skills", data=data).status_code == 302
    for name, level in skills:
        assert client.post("/account/skills", data={
            "form": "skill", "skill-name": name, "skill-level": level}).status_code == 302


def test_opt_in_directory_shows_public_names_only(app, author, author_client, db):
    share(author_client, skills=(("Arduino", "confirmed"), ("  Couture ", "beginner"),
                                 ("arduino", "expert")))
    skills = db.session.scalars(select(Skill).order_by(Skill.name)).all()
    assert [(s.name, s.level) for s in skills] == [("arduino", "expert"), ("couture", "beginner")]
    page = app.test_client().get("/skills").get_data(as_text=True)
    assert "Camille la soudeuse" in page and "arduino" in page
    assert "Camille Martin" not in page and "camille@example.org" not in page
    client = app.test_client()
    assert "Camille la soudeuse" in client.get("/skills?q=couture").get_data(as_text=True)
    assert "Camille la soudeuse" in client.get("/skills?q=soudeuse").get_data(as_text=True)
    assert "Camille la soudeuse" not in client.get("/skills?q=menuiserie").get_data(as_text=True)
    # Unlisting hides the member and their page.
    share(author_client, skills=(), listed=False)
    assert "Camille la soudeuse" not in client.get("/skills").get_data(as_text=True)
    assert client.get(f"/skills/{author.id}").status_code == 404


def test_message_goes_through_the_outbox_without_showing_the_address(
        app, author, author_client, member, member_client, db, outbox):
    share(author_client)
    page = member_client.get(f"/skills/{author.id}").get_data(as_text=True)
    assert "camille@example.org" not in page and "Camille Martin" not in page
    response = member_client.post(f"/skills/{author.id}", data={
        "body": "Bonjour, pourrais-tu m'aider à souder mon capteur ?"})
    assert response.status_code == 302
    assert "camille@example.org" not in member_client.get(
        response.headers["Location"]).get_data(as_text=True)
    [message] = outbox("skills.message")
    assert message.recipient == "camille@example.org"
    assert "souder mon capteur" in message.body and "marie@example.org" in message.body
    assert app.test_client().post(f"/skills/{author.id}",
                                  data={"body": "x" * 20}).status_code == 302  # to login
    assert len(outbox("skills.message")) == 1


def test_messages_are_rate_limited(app, author, author_client, member_client, outbox):
    share(author_client)
    app.config["SKILL_MESSAGES_PER_DAY"] = 2
    for n in range(3):
        member_client.post(f"/skills/{author.id}", data={"body": f"Message numéro {n} ici."})
    assert len(outbox("skills.message")) == 2


def test_project_links_to_its_authors_shared_skills(app, author, author_client, make_project):
    share(author_client)
    project_id = make_project(author)
    page = app.test_client().get(f"/projects/{project_id}").get_data(as_text=True)
    assert f'href="/skills/{author.id}"' in page and "arduino" in page
    assert "Camille la soudeuse" in page


def test_gdpr_export_and_erasure(app, author, author_client, member_client, make_project, db):
    share(author_client)
    member_client.post(f"/skills/{author.id}", data={"body": "Un message assez long."})
    project_id = make_project(author, title="Lampe publiée")
    draft_id = make_project(author, title="Brouillon", publish=False)
    export = author_client.get("/account/export").get_json()
    assert export["skills"]["display_name"] == "Camille la soudeuse"
    assert export["skills"]["skills"] == [{"name": "arduino", "level": "confirmed"}]
    assert {p["title"] for p in export["projects"]} == {"Lampe publiée", "Brouillon"}
    from fablab.accounts import services
    from fablab.accounts.models import User
    from fablab.projects.models import Project

    with app.test_request_context():
        from fablab.extensions import db as app_db

        services.anonymise(app_db.session.get(User, author.id))
        app_db.session.commit()
    db.session.expire_all()
    assert db.session.scalars(select(Skill)).all() == []
    assert db.session.get(PublicProfile, author.id) is None
    assert db.session.scalars(select(SkillMessage)).all() == []
    assert db.session.get(Project, draft_id) is None  # a draft of theirs alone goes
    page = app.test_client().get(f"/projects/{project_id}").get_data(as_text=True)
    assert "Lampe publiée" in page and "Camille" not in page  # the work stays, not the name
