"""With REDIS_URL set, the login limit is shared by every app server."""

import os
import uuid

import pytest

REDIS_URL = os.environ.get("FABLAB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis: no server at {REDIS_URL}")
    return REDIS_URL


def test_login_limit_counts_across_two_app_servers(make_app, redis_url):
    from fablab.extensions import limiter

    config = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute",
              "REDIS_URL": redis_url, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first, second = make_app(**config).test_client(), make_app(**config).test_client()
    # One limiter serves every app of this process and keeps the first key prefix
    # it saw: start from clean counters (another run may have used the same keys).
    limiter.reset()
    form = {"email": "x@example.org", "password": "wrong-password"}
    codes = [first.post("/login", data=form).status_code,
             second.post("/login", data=form).status_code,
             first.post("/login", data=form).status_code,
             second.post("/login", data=form).status_code]
    assert codes == [200, 200, 200, 429]


def test_behind_a_proxy_the_limit_counts_each_visitor_apart(make_app):
    """With PROXY_COUNT=1, the address is the visitor's (X-Forwarded-For), not the proxy's."""
    from fablab.extensions import limiter

    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute", PROXY_COUNT=1,
                   RATELIMIT_KEY_PREFIX=f"proxy-{uuid.uuid4().hex}")
    limiter.reset()
    client = app.test_client()
    form = {"email": "x@example.org", "password": "wrong-password"}

    def attempt(visitor: str) -> int:
        return client.post("/login", data=form, headers={"X-Forwarded-For": visitor}).status_code

    assert [attempt("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert attempt("198.51.100.23") == 200  # another visitor behind the same proxy
