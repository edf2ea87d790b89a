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
