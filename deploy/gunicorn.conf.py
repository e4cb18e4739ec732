"""Gunicorn settings for `crm web` (gunicorn -c deploy/gunicorn.conf.py crm.wsgi:app).

Every value can be overridden from the environment (CRM_BIND, CRM_WEB_WORKERS, CRM_WEB_TIMEOUT,
CRM_WEB_GRACEFUL_TIMEOUT, CRM_WEB_MAX_REQUESTS) or on the command line (`crm web --bind/--workers`).
"""

import os

from crm.observability.logs import gunicorn_logconfig

bind = [address.strip() for address in os.environ.get("CRM_BIND", "127.0.0.1:8000").split(",") if address.strip()]
workers = int(os.environ.get("CRM_WEB_WORKERS", "2"))
# Sync workers: each request holds one worker; requests are short (intake is one transaction) and
# nginx in front buffers slow clients, so a blocked worker never waits on a client's network.
worker_class = "sync"
timeout = int(os.environ.get("CRM_WEB_TIMEOUT", "30"))
# SIGTERM: stop accepting, let in-flight requests finish for up to this long, then exit.
graceful_timeout = int(os.environ.get("CRM_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (bounded memory growth); the jitter keeps them from restarting together.
max_requests = int(os.environ.get("CRM_WEB_MAX_REQUESTS", "2000"))
max_requests_jitter = max(max_requests // 10, 1) if max_requests else 0
# Heartbeat files in memory: a worker stalled on a slow disk is not mistaken for a hung one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
forwarded_allow_ips = os.environ.get("CRM_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "crm-web"

# Access log: method, path without its query string (form builders may put personal data there),
# status, size, duration and the request id; no client address, referrer or user agent.
accesslog = "-"
errorlog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(L)ss request_id=%({x-request-id}o)s'
logconfig_dict = gunicorn_logconfig(os.environ.get(
    "CRM_LOG_FORMAT", "json" if os.environ.get("CRM_ENV") == "production" else "text"))
