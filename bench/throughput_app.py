"""What gunicorn serves in the throughput benchmark: the application, and at
``/__bare`` a bare Flask endpoint — the framework's floor on this machine, served by
the same gunicorn in the same run, against which every page is compared."""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from fablab import create_app

bare = Flask("bare")


@bare.get("/")
def hello() -> str:
    return "ok"


app = DispatcherMiddleware(create_app(), {"/__bare": bare})
