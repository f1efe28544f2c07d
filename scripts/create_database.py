"""Create a PostgreSQL database if it does not exist: ``create_database.py ADMIN_URL NAME``."""

from __future__ import annotations

import re
import sys

import psycopg


def main(admin_url: str, name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise SystemExit(f"not a plain database name: {name!r}")
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
