"""gunicorn settings for the `web` process (Procfile): everything comes from the environment.

Loopback by default so a stray start on a laptop is not exposed; production sets BIND_HOST=0.0.0.0
(or the platform's private address) and PORT. Threads let one process serve the 2-second status
polls of many users while a slow request runs; exports never run in a web process.
"""

import multiprocessing
import os

bind = [f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = 30
graceful_timeout = 30
keepalive = 5

# Access and error logs to stdout/stderr, where the platform collects them. Of the status
# polls' successful answers one in 100 is logged (portal/accesslog.py): logging each cost as
# much CPU as answering it.
accesslog = "-"
errorlog = "-"
logger_class = "portal.accesslog.SampledPolls"

# Addresses of the load balancer whose X-Forwarded-Proto (the scheme) is trusted. gunicorn leaves
# REMOTE_ADDR at the balancer's address: the app reads the client's from X-Forwarded-For when
# TRUSTED_PROXY_COUNT says how many balancers append to it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn 27 otherwise opens a control socket under ~/.gunicorn, shared by every instance
# started by the same user; nothing here uses gunicornc.
control_socket_disable = True
