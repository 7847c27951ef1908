"""WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app` in production (needs FIELDAPP_SECRET_KEY),
or `flask --app wsgi …` for commands."""

from fieldapp import create_app

app = create_app()
