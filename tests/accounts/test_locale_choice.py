"""The page's language: the member's own choice when logged in (by the session or by
the remember-me cookie alone), else the visitor's cookie, else the browser's."""

from __future__ import annotations

from fablab.extensions import db as _db


def _set_locale(app, user, locale):
    from fablab.accounts.models import User

    with app.app_context():
        _db.session.get(User, user.id).locale = locale
        _db.session.commit()


def _lang(response) -> str:
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_member_remembered_by_cookie_alone_gets_their_language(app, create_member):
    member = create_member(email="remember@example.org", password="a long passphrase 42")
    _set_locale(app, member, "en")
    client = app.test_client()
    logged_in = client.post("/login", data={"email": "remember@example.org",
                                            "password": "a long passphrase 42",
                                            "remember": "y"})
    assert logged_in.status_code == 302
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])  # the browser was closed
    page = client.get("/agenda", headers={"Accept-Language": "fr"})
    assert _lang(page) == "en"


def test_an_anonymous_visitor_gets_the_cookie_then_the_browser_language(app, create_site):
    client = app.test_client()
    assert _lang(client.get("/agenda", headers={"Accept-Language": "en"})) == "en"
    assert _lang(client.get("/agenda", headers={"Accept-Language": "de"})) == "fr"
    client.set_cookie("lang", "en")
    assert _lang(client.get("/agenda", headers={"Accept-Language": "fr"})) == "en"


def test_a_logged_in_member_gets_their_language_over_the_browser(app, login_as, member):
    _set_locale(app, member, "en")
    client = login_as(member)
    assert _lang(client.get("/agenda", headers={"Accept-Language": "fr"})) == "en"
