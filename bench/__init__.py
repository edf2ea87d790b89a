"""Benchmarks: dataset generators and timings (not part of the test run).

``make bench`` runs every ``bench/bench_*.py`` module's ``main(harness)``.
Set ``FABLAB_BENCH_DATABASE_URL`` to a PostgreSQL URL to measure PostgreSQL;
by default each benchmark builds a throw-away SQLite database.
"""
