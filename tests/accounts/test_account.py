import json

from sqlalchemy import func, select

from fablab.accounts.models import Child, User
from fablab.core.timeutil import local_today


def test_profile_update(member_client, member, db):
    response = member_client.post("/account/profile", data={
        "name": "Marie M.", "phone": "0601020304", "commune": "Villeurbanne",
        "birth_year": "1990", "locale": "en"})
    assert response.status_code == 302
    user = db.session.get(User, member.id)
    assert (user.name, user.commune, user.birth_year, user.locale) == (
        "Marie M.", "Villeurbanne", 1990, "en")
    # The interface now speaks the member's language.
    assert '<html lang="en">' in member_client.get("/account").get_data(as_text=True)


def test_profile_refuses_a_future_birth_year(member_client, member, db):
    response = member_client.post("/account/profile", data={
        "name": "Marie", "birth_year": str(local_today().year + 3), "locale": "fr"})
    assert response.status_code == 200
    assert db.session.get(User, member.id).birth_year is None


def test_add_and_remove_children(member_client, member, db):
    year = local_today().year - 8
    response = member_client.post("/account/children", data={"first_name": "Jules",
                                                             "birth_year": str(year)})
    assert response.status_code == 302
    assert "Jules" in member_client.get("/account").get_data(as_text=True)
    # The same child twice is refused.
    member_client.post("/account/children", data={"first_name": "jules", "birth_year": str(year)})
    children = db.session.scalars(select(Child).where(Child.guardian_id == member.id)).all()
    assert [c.first_name for c in children] == ["Jules"]

    member_client.post(f"/account/children/{children[0].id}/delete")
    assert db.session.scalar(select(func.count(Child.id))) == 0


def test_a_child_must_be_a_minor(member_client, db):
    member_client.post("/account/children", data={"first_name": "Grand",
                                                 "birth_year": str(local_today().year - 30)})
    member_client.post("/account/children", data={"first_name": "Pas né",
                                                 "birth_year": str(local_today().year + 1)})
    assert db.session.scalar(select(func.count(Child.id))) == 0


def test_a_member_cannot_remove_someone_elses_child(member_client, create_member, app, db):
    other = create_member()
    with app.app_context():
        child = Child(guardian_id=other.id, first_name="Lina", birth_year=local_today().year - 9)
        db.session.add(child)
        db.session.commit()
        child_id = child.id
    assert member_client.post(f"/account/children/{child_id}/delete").status_code == 404
    assert db.session.get(Child, child_id) is not None


def test_export_has_all_my_data_and_nobody_elses(member_client, member, create_member,
                                                 create_membership):
    create_membership(member)
    create_member(name="Zoé Autre", email="zoe@example.org")
    member_client.post("/account/children", data={"first_name": "Jules",
                                                 "birth_year": str(local_today().year - 8)})
    response = member_client.get("/account/export")
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "marie@example.org"
    assert data["children"] == [{"first_name": "Jules", "birth_year": local_today().year - 8}]
    assert len(data["memberships"]) == 1
    assert "zoe" not in response.get_data(as_text=True).lower()


def test_delete_account_anonymises_and_keeps_history(login_as, create_member, create_membership,
                                                     db):
    user = create_member(name="Paul Partant", email="paul@example.org", password="my-password-1",
                         phone="0600000000", commune="Lyon")
    create_membership(user)
    client = login_as(user)
    client.post("/account/children", data={"first_name": "Léo",
                                          "birth_year": str(local_today().year - 5)})
    response = client.post("/account/delete", data={"password": "wrong-password",
                                                    "confirm": "y"})
    assert response.status_code == 200
    response = client.post("/account/delete", data={"password": "my-password-1", "confirm": "y"})
    assert response.status_code == 302
    gone = db.session.get(User, user.id)
    assert (gone.name, gone.email, gone.phone, gone.password_hash) == ("", None, "", "")
    assert gone.anonymised_at is not None and not gone.is_active
    assert [c.first_name for c in gone.children] == [""]
    assert len(gone.memberships) == 1  # still counted, anonymously
    assert client.get("/account").status_code == 302  # logged out
    # The address can be used again for a new account.
    assert client.post("/register", data={"name": "Paul", "email": "paul@example.org",
                                          "password": "another-pass-1"}).status_code == 302


def test_the_last_admin_cannot_delete_their_account(login_as, create_member, db):
    admin = create_member(role="admin", password="admin-password")
    client = login_as(admin)
    response = client.post("/account/delete", data={"password": "admin-password", "confirm": "y"})
    assert response.status_code == 200
    assert db.session.get(User, admin.id).anonymised_at is None
