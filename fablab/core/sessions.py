"""Flask's signed-cookie session, with its serializer built once per key instead of on
every request (building it was a tenth of the cost of a feed poll's 304)."""

from __future__ import annotations

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializer = None
        self._keys: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        # Keyed by the secret and its fallbacks: a configuration change (tests) is honoured.
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._keys != keys:
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
        return self._serializer
