import re

from fablab.accounts.models import User


def reset_path(message) -> str:
    return re.search(r"http://localhost(/reset/\S+)", message.body).group(1)


def test_reset_request_never_reveals_whether_an_account_exists(client, create_member, outbox):
    create_member(email="known@example.org")
    known = client.post("/reset", data={"email": "known@example.org"}, follow_redirects=True)
    unknown = client.post("/reset", data={"email": "ghost@example.org"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert [m.recipient for m in outbox("account.reset")] == ["known@example.org"]


def test_reset_link_works_once(client, create_member, outbox, db):
    user = create_member(email="known@example.org", password="old-password-1")
    client.post("/reset", data={"email": "known@example.org"})
    path = reset_path(outbox("account.reset")[0])
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "new-password-1"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).check_password("new-password-1")

    # The same link a second time is refused, and the password stays.
    response = client.post(path, data={"password": "third-password"})
    assert response.status_code == 302 and "/reset" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password("new-password-1")


def test_reset_link_expires(client, create_member, outbox, app, db):
    user = create_member(email="known@example.org", password="old-password-1")
    client.post("/reset", data={"email": "known@example.org"})
    path = reset_path(outbox("account.reset")[0])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    client.post(path, data={"password": "new-password-1"})
    assert db.session.get(User, user.id).check_password("old-password-1")


def test_reset_refuses_a_short_password(client, create_member, outbox, db):
    user = create_member(email="known@example.org", password="old-password-1")
    client.post("/reset", data={"email": "known@example.org"})
    path = reset_path(outbox("account.reset")[0])
    response = client.post(path, data={"password": "short"})
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)
    assert db.session.get(User, user.id).check_password("old-password-1")


def test_change_password(login_as, create_member, db):
    user = create_member(password="old-password-1")
    client = login_as(user)
    response = client.post("/account/password", data={"current_password": "wrong-one-123",
                                                      "password": "new-password-1"})
    assert response.status_code == 200
    response = client.post("/account/password", data={"current_password": "old-password-1",
                                                      "password": "new-password-1"})
    assert response.status_code == 302
    assert db.session.get(User, user.id).check_password("new-password-1")
