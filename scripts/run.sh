#!/usr/bin/env bash
# `make run`: the whole system on 127.0.0.1 under honcho (Procfile.dev); Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

# Settings from .env (if any) first, so the Redis decision below sees the URL the app will use.
if [ -f .env ]; then set -a; . ./.env; set +a; fi
export SITEPACK_ENV=development
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONUNBUFFERED=1
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-sitepack-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-sitepack-local-secret}"
mkdir -p var/s3 var/mail instance
# On its own S3 (Procfile.dev s3), the sweeper may delete the parts of uploads rclone forgot.
if [ "${S3_ENDPOINT_URL:-http://127.0.0.1:9100}" = http://127.0.0.1:9100 ]; then
  export S3_LOCAL_ROOT="$PWD/var/s3"
fi

# make run's own Redis (data in var/redis) unless REDIS_URL is set, here or in .env.
choice=$(python -m scripts.services redis-choice)
eval "$choice"
export REDIS_URL REDIS_PORT
processes=(s3 mail worker worker-fast scheduler web)
if [ -n "$REDIS_PORT" ]; then processes=(redis "${processes[@]}"); fi

# .env was loaded above; honcho must not load it again over the REDIS_URL chosen here.
exec honcho --env /dev/null --procfile Procfile.dev start "${processes[@]}"
