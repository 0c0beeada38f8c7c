#!/usr/bin/env bash
# `make test`: pytest on SQLite, then on a fresh PostgreSQL database when one answers on
# 127.0.0.1:5432. Exits non-zero when either run fails. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=.venv/bin/python

# The suite needs a Redis: the one on TEST_REDIS_URL (default 127.0.0.1:6379) or a private one.
redis_pid_file=""
stop_private_redis() {
  if [ -n "$redis_pid_file" ] && [ -f "$redis_pid_file" ]; then
    kill "$(cat "$redis_pid_file")" 2>/dev/null || true
  fi
}
trap stop_private_redis EXIT
if ! $PYTHON -m scripts.services redis-answers "${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"; then
  port=$($PYTHON -m scripts.services free-port)
  mkdir -p var
  redis_pid_file="$PWD/var/redis-test-$port.pid"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --pidfile "$redis_pid_file" --logfile "$PWD/var/redis-test.log"
  export TEST_REDIS_URL="redis://127.0.0.1:$port/15"
  for _ in $(seq 50); do
    $PYTHON -m scripts.services redis-answers "$TEST_REDIS_URL" && break
    sleep 0.2
  done
  echo "Started a private Redis for the tests: $TEST_REDIS_URL"
fi

status=0
echo "== pytest on SQLite"
env -u TEST_DATABASE_URL $PYTHON -m pytest "$@" || status=1

set +e
postgres_url=$($PYTHON -m scripts.postgres_test_db)
postgres=$?
set -e
if [ $postgres -eq 0 ]; then
  echo "== pytest on PostgreSQL ($postgres_url)"
  TEST_DATABASE_URL="$postgres_url" $PYTHON -m pytest "$@" || status=1
elif [ $postgres -eq 3 ]; then
  echo "== No PostgreSQL on 127.0.0.1:5432: the PostgreSQL run is skipped"
else
  status=1
fi
exit $status
