"""WSGI entry point: `gunicorn wsgi:app` (production needs FIELDAPP_SECRET_KEY) or `flask --app wsgi …`."""

from fieldapp import create_app

app = create_app()
