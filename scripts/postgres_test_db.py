"""A fresh `sitepack_test` database for `make test`'s PostgreSQL run; prints its URL.

Exit 0 with the URL, 3 when nothing listens on 127.0.0.1:5432 (the run is skipped), 1 when a
server is there but refuses us (that is a broken setup, and the test run must say so).
The usual libpq variables (PGUSER, PGPASSWORD) apply.
"""

from __future__ import annotations

import os
import socket
import sys

import psycopg
from psycopg import sql

HOST, PORT, NAME = "127.0.0.1", 5432, "sitepack_test"
NO_SERVER = 3


def server_listens() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, PORT)) == 0


def recreate(user: str) -> None:
    """Drop and create, so every run starts from an empty schema whatever the last one left."""
    conninfo = f"host={HOST} port={PORT} user={user} dbname=postgres connect_timeout=5"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        name = sql.Identifier(NAME)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def main() -> int:
    if not server_listens():
        return NO_SERVER
    user = os.environ.get("PGUSER", "postgres")
    try:
        recreate(user)
    except psycopg.Error as exc:
        print(f"PostgreSQL on {HOST}:{PORT} refused to create {NAME}: {exc}", file=sys.stderr)
        return 1
    print(f"postgresql+psycopg://{user}@{HOST}:{PORT}/{NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
