"""Reading is never rate-limited: a GET skips the limiter (fablab/extensions.py), which
holds only while every limit of the application is on a POST."""

from __future__ import annotations

from fablab.extensions import READ_METHODS, limiter


def test_every_limit_of_the_application_is_on_a_post(app):
    decorated = limiter.limit_manager._decorated_limits
    assert decorated, "the log-in and sign-up limits are registered"
    for view, limits in decorated.items():
        for limit in limits:
            methods = {method.upper() for method in (limit.methods or ())}
            assert methods, f"{view}: a limit on every method would skip GET requests"
            assert not methods & READ_METHODS, f"{view}: a limit on {methods & READ_METHODS}"
    assert not limiter.limit_manager._default_limits
    assert not limiter.limit_manager._application_limits


def test_a_limited_form_still_answers_429_while_its_page_stays_readable(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    posts = [client.post("/login", data={"email": "nobody@example.org",
                                         "password": "wrong"}).status_code
             for _ in range(3)]
    assert posts == [200, 200, 429]
    assert [client.get("/login").status_code for _ in range(5)] == [200] * 5
