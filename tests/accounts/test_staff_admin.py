from sqlalchemy import func, select

from fablab.accounts.models import Organisation, OrganisationMember, User
from fablab.core.models import AuditLog, Site


def test_staff_search_members_by_name_email_or_card(staff_client, create_member):
    camille = create_member(name="Camille Martin", email="camille@example.org")
    create_member(name="Hugo Petit", email="hugo@example.org")
    for query in ("camille", "CAMILLE@example", camille.card_code.lower()):
        page = staff_client.get(f"/members?q={query}").get_data(as_text=True)
        assert "Camille Martin" in page and "Hugo Petit" not in page


def test_staff_create_a_member_at_the_desk(staff_client, staff, outbox, db):
    response = staff_client.post("/members/new", data={"name": "Karim", "email": "karim@example.org",
                                                       "phone": "", "locale": "fr"})
    assert response.status_code == 302
    karim = db.session.scalar(select(User).where(User.email == "karim@example.org"))
    assert karim.password_hash == ""
    (welcome,) = outbox("account.welcome")
    assert "/reset/" in welcome.body
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "member.create"))
    assert entry.actor_id == staff.id and entry.object_id == karim.id


def test_organisations(staff_client, create_member, db):
    response = staff_client.post("/organisations/new", data={
        "name": "Les Petits Débrouillards", "kind": "association", "email": "", "phone": "",
        "address": "", "notes": ""})
    assert response.status_code == 302
    organisation = db.session.scalar(select(Organisation))
    member = create_member(name="Inès", email="ines@example.org")
    response = staff_client.post(f"/organisations/{organisation.id}/members",
                                 data={"member": member.card_code, "responsible": "y"})
    assert response.status_code == 302
    link = db.session.scalar(select(OrganisationMember))
    assert (link.user_id, link.is_responsible) == (member.id, True)
    # Twice, or an unknown member: refused, nothing added.
    assert staff_client.post(f"/organisations/{organisation.id}/members",
                             data={"member": "ines@example.org"}).status_code == 400
    assert staff_client.post(f"/organisations/{organisation.id}/members",
                             data={"member": "ghost@example.org"}).status_code == 400
    assert db.session.scalar(select(func.count(OrganisationMember.id))) == 1
    # Same name twice is refused.
    response = staff_client.post("/organisations/new", data={"name": "les petits débrouillards",
                                                             "kind": "association"})
    assert response.status_code == 200
    staff_client.post(f"/organisations/{organisation.id}/members/{link.id}/delete")
    assert db.session.scalar(select(func.count(OrganisationMember.id))) == 0


def test_admin_changes_roles_and_deactivates(admin_client, admin, create_member, db):
    member = create_member()
    admin_client.post(f"/admin/users/{member.id}/role", data={"role": "staff"})
    assert db.session.get(User, member.id).role == "staff"
    admin_client.post(f"/admin/users/{member.id}/deactivate")
    db.session.expire_all()
    assert db.session.get(User, member.id).active is False
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["user.role", "user.deactivate"]
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "user.deactivate" in page


def test_admin_cannot_demote_or_deactivate_themself(admin_client, admin, db):
    admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "member"})
    admin_client.post(f"/admin/users/{admin.id}/deactivate")
    user = db.session.get(User, admin.id)
    assert (user.role, user.active) == ("admin", True)


def test_unknown_role_is_refused(admin_client, create_member, db):
    member = create_member()
    admin_client.post(f"/admin/users/{member.id}/role", data={"role": "superuser"})
    assert db.session.get(User, member.id).role == "member"


def test_admin_manages_sites(admin_client, db):
    response = admin_client.post("/admin/sites/new", data={
        "name": "Annexe de la médiathèque", "address": "1 place", "timezone": "Europe/Paris",
        "opening_hours": "Samedi", "is_active": "y"})
    assert response.status_code == 302
    site = db.session.scalar(select(Site))
    assert site.slug == "annexe-de-la-mediatheque"
    response = admin_client.post(f"/admin/sites/{site.id}/edit", data={
        "name": "Annexe", "timezone": "Mars/Olympus", "is_active": "y"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Site, site.id).timezone == "Europe/Paris"


def test_single_site_home_page_shows_its_address(client, create_site):
    create_site(name="Fablab de la Ville")
    page = client.get("/").get_data(as_text=True)
    assert "Fablab de la Ville" in page and "rue des Ateliers" in page
