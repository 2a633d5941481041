"""``pixivcrawl db``: database maintenance — ``upgrade`` runs the alembic migrations, ``counts`` prints the rows
per table (pixivcrawl.db.store)."""

from __future__ import annotations

import argparse
import sys

from pixivcrawl.db import DEFAULT_DATABASE_URL, default_database_url


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["upgrade", "counts"],
                        help="upgrade: run migrations; counts: rows per table")
    parser.add_argument("--database-url", default=None, help=f"default: $DATABASE_URL or {DEFAULT_DATABASE_URL}")


def run(args: argparse.Namespace) -> int | None:
    """Run the action; a database that cannot be opened or counted is one sentence on stderr and exit status 2
    (could not start)."""
    import sqlalchemy as sa

    from pixivcrawl.db.store import UnusableDatabase, database_problem, open_store
    from pixivcrawl.extensions.summary import EXIT_NOT_STARTED

    try:
        store = open_store(default_database_url(args.database_url), migrate=args.action == "upgrade")
    except UnusableDatabase as exc:
        print(f"pixivcrawl: {exc}", file=sys.stderr)
        return EXIT_NOT_STARTED
    try:
        if args.action == "upgrade":
            print(f"{store.describe()}: schema is up to date")
        else:
            for table, n in store.count_rows().items():
                print(f"{table:<22}{n:>12,}")
    except sa.exc.SQLAlchemyError as exc:
        print(f"pixivcrawl: Cannot count the rows of DATABASE_URL={store.describe()}: {database_problem(exc)}.",
              file=sys.stderr)
        return EXIT_NOT_STARTED
    finally:
        store.dispose()
    return None
