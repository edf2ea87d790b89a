"""The resilience tests need PostgreSQL and Redis: several app servers share them."""

from __future__ import annotations

import pytest

from tests.resilience.servers import PG_URL, REDIS_URL


@pytest.fixture(scope="module")
def shared_services():
    if not PG_URL:
        pytest.skip("PostgreSQL: set FABLAB_TEST_DATABASE_URL to run these tests")
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"Redis: no server at {REDIS_URL}")
