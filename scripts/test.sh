#!/usr/bin/env bash
# `make test`: pytest on SQLite and, when one answers on 127.0.0.1:5432, on a fresh PostgreSQL
# database. Exits non-zero when either run fails. Arguments go to pytest.
#
# The two runs go side by side, and each spreads its tests over TEST_PROCESSES pytest-xdist
# processes (2 by default): most of a test's time is spent waiting on real servers, worker
# processes and a browser, not computing, so four streams on 2 cores finish far sooner than
# one. Each process runs a session of its own with its own private servers (redis-server,
# rclone, moto, an SMTP sink: tests/servers.py) on free ports and, on PostgreSQL, its own
# database (tests/conftest.py), so no two touch each other's queues, buckets or tables.
# Each run's output is kept whole in test-artifacts/ and printed when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=.venv/bin/python
LOGS=test-artifacts
SPREAD=(-n "${TEST_PROCESSES:-2}" --dist worksteal)
mkdir -p "$LOGS"

set +e
postgres_url=$($PYTHON -m scripts.postgres_test_db)
postgres=$?
set -e
if [ $postgres -ne 0 ] && [ $postgres -ne 3 ]; then
  exit 1  # a server is there but refused us; postgres_test_db said why
fi

echo "== pytest on SQLite"
env -u TEST_DATABASE_URL $PYTHON -m pytest "${SPREAD[@]}" "$@" >"$LOGS/pytest-sqlite.log" 2>&1 &
sqlite_run=$!
if [ $postgres -eq 0 ]; then
  echo "== pytest on PostgreSQL ($postgres_url), side by side"
  TEST_DATABASE_URL="$postgres_url" $PYTHON -m pytest "${SPREAD[@]}" "$@" >"$LOGS/pytest-postgresql.log" 2>&1 &
  postgres_run=$!
fi

status=0
wait $sqlite_run || status=1
echo "== SQLite run ($LOGS/pytest-sqlite.log)"
cat "$LOGS/pytest-sqlite.log"
if [ $postgres -eq 0 ]; then
  wait $postgres_run || status=1
  echo "== PostgreSQL run ($LOGS/pytest-postgresql.log)"
  cat "$LOGS/pytest-postgresql.log"
else
  echo "== No PostgreSQL on 127.0.0.1:5432: the PostgreSQL run is skipped"
fi
exit $status
