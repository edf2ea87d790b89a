import re

import pytest
from sqlalchemy import func, select

from fablab.accounts.models import User


def confirmation_path(message) -> str:
    return re.search(r"http://localhost(/confirm/\S+)", message.body).group(1)


def register(client, email="new@example.org", password="a-long-password", name="Nouvelle"):
    return client.post("/register", data={"name": name, "email": email, "password": password})


def test_register_confirm_and_login(client, outbox, db):
    response = register(client, email="New@Example.org ")
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user is not None and not user.email_confirmed
    assert user.password_hash.startswith("scrypt:")

    # Not confirmed yet: login is refused with a clear message.
    response = client.post("/login", data={"email": "new@example.org",
                                           "password": "a-long-password"})
    assert response.status_code == 200
    assert "confirm" in response.get_data(as_text=True).lower()

    (message,) = outbox("account.confirm")
    assert message.recipient == "new@example.org"
    assert client.get(confirmation_path(message)).status_code == 302

    response = client.post("/login", data={"email": "NEW@example.org",
                                           "password": "a-long-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Nouvelle" in client.get("/account").get_data(as_text=True)


def test_register_refuses_a_taken_email_and_changes_nothing(client, create_member, db):
    create_member(email="taken@example.org")
    response = register(client, email="TAKEN@example.org")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("data", [
    {"name": "", "email": "a@example.org", "password": "a-long-password"},
    {"name": "A", "email": "not-an-email", "password": "a-long-password"},
    {"name": "A", "email": "a@example.org", "password": "short"},
    {"name": "A" * 500, "email": "a@example.org", "password": "a-long-password"},
])
def test_register_bad_input_is_refused(client, db, data):
    response = client.post("/register", data=data)
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_a_forged_confirmation_link_is_refused(client, create_member, app, db):
    user = create_member(confirmed=False)
    response = client.get("/confirm/not-a-token")
    assert response.status_code == 302
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_confirmation_link_expires(client, create_member, app, db):
    from fablab.accounts.services import confirmation_token

    user = create_member(confirmed=False)
    with app.app_context():
        token = confirmation_token(db.session.get(User, user.id))
    app.config["EMAIL_CONFIRM_MAX_AGE"] = -1
    client.get(f"/confirm/{token}")
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None


def test_wrong_password_and_unknown_account_get_the_same_answer(client, create_member):
    create_member(email="known@example.org", password="the-right-password")
    wrong = client.post("/login", data={"email": "known@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "ghost@example.org", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    assert "is-invalid" not in wrong.get_data(as_text=True)
    assert ("alert-danger" in wrong.get_data(as_text=True)
            and "alert-danger" in unknown.get_data(as_text=True))


def test_deactivated_account_cannot_log_in(client, create_member):
    create_member(email="off@example.org", password="the-right-password", active=False)
    response = client.post("/login", data={"email": "off@example.org",
                                           "password": "the-right-password"})
    assert response.status_code == 200
    assert client.get("/account").status_code == 302


def test_login_redirects_only_to_local_pages(client, create_member):
    create_member(email="m@example.org", password="the-right-password")
    response = client.post("/login", data={"email": "m@example.org", "password": "the-right-password",
                                           "next": "https://evil.example.com/"})
    assert response.headers["Location"] == "/account"


def test_login_is_rate_limited(make_app, create_member):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.post("/login", data={"email": "x@example.org", "password": "wrong-password"})
             .status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200  # only POSTs count


def test_logout(member_client):
    assert member_client.get("/account").status_code == 200
    member_client.post("/logout")
    assert member_client.get("/account").status_code == 302
