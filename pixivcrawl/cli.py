"""The ``pixivcrawl`` command: ``replica``, ``demo`` and ``db``. Crawls themselves run with ``scrapy crawl``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> None:
    from pixivcrawl.replica import cli as replica_cli

    parser = argparse.ArgumentParser(prog="pixivcrawl", description="pixivcrawl tools")
    sub = parser.add_subparsers(dest="command", required=True)

    replica = sub.add_parser("replica", help="run the local pixiv replica")
    replica_cli.add_arguments(replica)

    demo = sub.add_parser("demo", help="crawl a local replica into pixivcrawl.db and print a summary")
    demo.add_argument("--works", type=int, default=3000, help="size of the replica's world (default 3000)")
    demo.add_argument("--database-url", default=None,
                      help="where to store (default: $DATABASE_URL or sqlite:///pixivcrawl.db)")

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade", "counts"], help="upgrade: run migrations; counts: rows per table")
    db.add_argument("--database-url", default=None, help="default: $DATABASE_URL or sqlite:///pixivcrawl.db")

    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.command == "replica":
        replica_cli.run(args)
    elif args.command == "demo":
        from pixivcrawl.demo import run_demo

        sys.exit(run_demo(works=args.works, database_url=args.database_url))
    elif args.command == "db":
        from pixivcrawl.db.store import Store

        store = Store(args.database_url or os.environ.get("DATABASE_URL") or "sqlite:///pixivcrawl.db")
        if args.action == "upgrade":
            store.upgrade()
            print(f"{store.describe()}: schema is up to date")
        else:
            for table, n in store.count_rows().items():
                print(f"{table:<22}{n:>12,}")
