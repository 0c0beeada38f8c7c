#!/usr/bin/env bash
# `make test`: pytest on SQLite, then on a fresh PostgreSQL database when one answers on
# 127.0.0.1:5432. Exits non-zero when either run fails. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=.venv/bin/python

# Each pytest session starts its own private redis-server (tests/servers.py), so parallel runs
# never flush each other's queues; system_packages.sh made sure the binary is installed.

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
