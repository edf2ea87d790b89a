"""Entry point for gunicorn: ``gunicorn wsgi:app``."""

from fablab import create_app

app = create_app()
