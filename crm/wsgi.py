"""WSGI entry point for gunicorn: `gunicorn -c deploy/gunicorn.conf.py crm.wsgi:app`."""

from dotenv import load_dotenv

load_dotenv()

from crm import create_app  # noqa: E402  (the environment must be loaded first)

app = create_app()
