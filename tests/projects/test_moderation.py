"""Reports go to staff, who unpublish with a reason e-mailed to the authors
(audited), or feature a project on the home page."""

from __future__ import annotations

from sqlalchemy import select

from fablab.core.models import AuditLog
from fablab.projects.models import Project, ProjectReport


def test_report_then_unpublish_with_a_reason(app, author, make_project, member_client,
                                             staff_client, db, outbox):
    project_id = make_project(author, title="Lampe")
    assert member_client.post(f"/projects/{project_id}/report",
                              data={"reason": "court"}).status_code == 200  # too short
    assert member_client.post(f"/projects/{project_id}/report", data={
        "reason": "Les photos viennent d'un autre site."}).status_code == 302
    report = db.session.scalar(select(ProjectReport))
    assert report.project_id == project_id and report.handled_at is None
    page = staff_client.get("/projects/reports").get_data(as_text=True)
    assert "Les photos viennent" in page
    assert staff_client.post(f"/projects/{project_id}/moderate", data={
        "action": "hide", "reason": "Photos sans autorisation."}).status_code == 302
    project = db.session.get(Project, project_id)
    assert project.status == "hidden" and project.hidden_reason == "Photos sans autorisation."
    [message] = outbox("projects.unpublished")
    assert message.recipient == "camille@example.org"
    assert "Photos sans autorisation." in message.body
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "project.unpublish"))
    assert entry.object_id == project_id and entry.details["reason"] == "Photos sans autorisation."
    db.session.expire_all()
    assert db.session.scalar(select(ProjectReport)).handled_at is not None
    assert app.test_client().get(f"/projects/{project_id}").status_code == 404
    # The authors may not publish it again themselves.
    from tests.conftest import login

    client = app.test_client()
    login(client, author)
    client.post(f"/projects/{project_id}/publish")
    assert db.session.get(Project, project_id).status == "hidden"


def test_feature_on_the_home_page(app, author, make_project, staff_client, member_client, db):
    project_id = make_project(author, title="Lampe à lamelles")
    assert "Lampe à lamelles" not in app.test_client().get("/").get_data(as_text=True)
    assert member_client.post(f"/projects/{project_id}/feature",
                              data={"featured": "1"}).status_code == 403
    assert staff_client.post(f"/projects/{project_id}/feature",
                             data={"featured": "1"}).status_code == 302
    home = app.test_client().get("/").get_data(as_text=True)
    assert "Lampe à lamelles" in home and "featured-title" in home
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "project.feature"))
    staff_client.post(f"/projects/{project_id}/feature", data={"featured": "0"})
    assert "Lampe à lamelles" not in app.test_client().get("/").get_data(as_text=True)
