"""The WSGI entry point for gunicorn and `flask --app wsgi`."""

from portal import create_app

app = create_app()
