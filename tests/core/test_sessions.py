"""The session cookie's serializer is built once per secret key (fablab/core/sessions.py):
sessions still round-trip, a cookie signed with another key is refused, and a new key
(with the old one as a fallback) is honoured."""

from __future__ import annotations


def test_the_serializer_is_built_once_and_sessions_round_trip(app):
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["probe"] = "kept"
    with client.session_transaction() as session:
        assert session["probe"] == "kept"


def test_a_cookie_signed_with_another_key_is_refused(make_app):
    first, second = make_app(SECRET_KEY="a" * 40), make_app(SECRET_KEY="b" * 40)
    client = first.test_client()
    with client.session_transaction() as session:
        session["probe"] = "kept"
    cookie = client.get_cookie(first.config["SESSION_COOKIE_NAME"]).value
    other = second.test_client()
    other.set_cookie(second.config["SESSION_COOKIE_NAME"], cookie)
    with other.session_transaction() as session:
        assert "probe" not in session


def test_a_rotated_key_keeps_old_sessions_through_the_fallback(app):
    client = app.test_client()
    with client.session_transaction() as session:
        session["probe"] = "kept"
    old_key = app.secret_key
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    app.secret_key = app.config["SECRET_KEY"] = "n" * 40
    with client.session_transaction() as session:
        assert session["probe"] == "kept"
    assert app.session_interface.get_signing_serializer(app).secret_keys[-1] == b"n" * 40
