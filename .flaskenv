# Development settings for the `flask --app fablab …` commands run from this folder
# (read by python-dotenv). Production never relies on them: gunicorn serves
# wsgi:app without reading this file, and the deployment sets FLASK_SKIP_DOTENV=1 so
# that its commands refuse the development SECRET_KEY too (see the README).
FLASK_APP=fablab
FLASK_DEBUG=1
