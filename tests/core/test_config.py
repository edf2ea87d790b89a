import os

import pytest

from fablab import ConfigurationError, create_app
from fablab.config import environment_overrides


def test_production_refuses_the_default_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("FABLAB_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_production_starts_with_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("FABLAB_SECRET_KEY", "a-real-long-random-secret")
    monkeypatch.setenv("FABLAB_BASE_URL", "https://fablab.example.org")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert app.config["SECRET_KEY"] == "a-real-long-random-secret"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_overrides_parse_numbers_and_booleans():
    values = environment_overrides({"FABLAB_MAIL_PORT": "587", "FABLAB_MAIL_USE_TLS": "true",
                                    "FABLAB_TIMEZONE": "Europe/Paris", "OTHER": "x",
                                    "FABLAB_TEST_DATABASE_URL": "ignored"})
    assert values == {"MAIL_PORT": 587, "MAIL_USE_TLS": True, "TIMEZONE": "Europe/Paris"}


def test_postgres_urls_use_psycopg3(tmp_path):
    from fablab import _sqlalchemy_url

    assert _sqlalchemy_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _sqlalchemy_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _sqlalchemy_url("sqlite:///x") == "sqlite:///x"


def test_health_answers_503_when_the_database_is_down(make_app, tmp_path):
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_pages_answer_503_in_the_visitors_language_when_the_database_is_down(make_app):
    """Even for a logged-in member, whose row cannot be read: the page needs no database."""
    app = make_app(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
    for path, language, words in (("/account", "en", "unavailable for a moment"),
                                  ("/machines", "fr", "indisponible"),
                                  ("/events", "en", "Try again")):
        response = client.get(path, headers={"Accept-Language": language})
        assert response.status_code == 503, path
        assert response.headers["Retry-After"] == "5"
        assert words in response.get_data(as_text=True), path
    api = client.get("/api/v1/events")
    assert api.status_code == 503 and api.get_json()["status"] == 503


def test_errors_are_in_the_visitors_language(client):
    french = client.get("/missing-page").get_data(as_text=True)
    english = client.get("/missing-page", headers={"Accept-Language": "en-GB,en"}).get_data(
        as_text=True)
    assert '<html lang="fr">' in french and '<html lang="en">' in english
    assert "Page not found" in english


def test_language_switch_is_kept_in_a_cookie(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    # An outside "next" is ignored.
    response = client.post("/language", data={"lang": "fr", "next": "//evil.example.com"})
    assert response.headers["Location"] == "/"


def test_a_connection_lost_at_clean_up_does_not_fail_the_answer(app, monkeypatch):
    """PostgreSQL restarting between the answer and the session's final rollback."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    closes = []
    real_close = Session.close

    def close_once_broken(self):
        closes.append(self)
        if len(closes) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection"))
        return real_close(self)

    monkeypatch.setattr(Session, "close", close_once_broken)
    response = app.test_client().get("/machines")
    assert response.status_code == 200
    assert closes, "the session was not closed at all"
    assert app.test_client().get("/events").status_code == 200  # and the next one works


def _flask_command(tmp_path, *args, **env):
    """``flask --app fablab …`` as a newcomer types it in the project's folder."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("FABLAB_", "FLASK_"))}
    environment.update(FABLAB_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite'}",
                       FABLAB_UPLOAD_DIR=str(tmp_path / "uploads"), **env)
    flask = Path(sys.executable).with_name("flask")
    return subprocess.run([str(flask), "--app", "fablab", *args], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_readme_commands_run_in_development_as_written(tmp_path):
    """.flaskenv makes the local commands development ones: no SECRET_KEY needed."""
    upgraded = _flask_command(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    sent = _flask_command(tmp_path, "outbox", "send")
    assert sent.returncode == 0, sent.stderr
    assert "0 sent" in sent.stdout


def test_production_commands_still_refuse_the_default_key(tmp_path):
    refused = _flask_command(tmp_path, "outbox", "send", FLASK_SKIP_DOTENV="1")
    assert refused.returncode != 0
    assert "Refusing to start in production with the default SECRET_KEY" in refused.stderr
