"""The one gunicorn configuration bench/intake.py runs both apps under (2 sync workers, loopback).

The bind address comes from the command line (-b); everything else is shared by both apps.
"""

workers = 2
worker_class = "sync"
threads = 1
backlog = 2048
timeout = 60
graceful_timeout = 5
preload_app = False
accesslog = None
errorlog = "-"
loglevel = "warning"
