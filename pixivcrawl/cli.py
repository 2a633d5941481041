"""The ``pixivcrawl`` command: ``replica``, ``demo``, ``login``, ``db``, ``spiders`` and more; crawls run with
``scrapy crawl``."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> None:
    from pixivcrawl.replica import cli as replica_cli

    parser = argparse.ArgumentParser(
        prog="pixivcrawl", description="pixivcrawl tools",
        epilog="exit codes (as `scrapy crawl`): 0 done; 1 crashed (a traceback says where); 2 could not start "
               "(bad arguments or usage, missing credentials, unusable configuration); 3 a crawl finished with "
               "losses (demo: the worst of its crawls)")
    sub = parser.add_subparsers(dest="command", required=True)

    replica = sub.add_parser("replica", help="run the local pixiv replica")
    replica_cli.add_arguments(replica)

    demo = sub.add_parser("demo", help="crawl a local replica into pixivcrawl.db and print a summary")
    demo.add_argument("--works", type=int, default=3000, help="size of the replica's world (default 3000)")
    demo.add_argument("--database-url", default=None,
                      help="where to store (default: $DATABASE_URL or sqlite:///pixivcrawl.db)")

    login = sub.add_parser("login", help="log in to pixiv in a browser and store the refresh token (mode 0600 file)")
    login.add_argument("--cookie", action="store_true",
                       help="also log in to the web site and store its PHPSESSID cookie (for the web API)")
    login.add_argument("--headless", action="store_true",
                       help="no browser window (needs --username/--password or PIXIV_USERNAME/PIXIV_PASSWORD)")
    login.add_argument("--username", default=None, help="fill the login form with this pixiv ID or email "
                                                        "(default $PIXIV_USERNAME; else you type it)")
    login.add_argument("--password", default=None,
                       help="fill in this password (prefer $PIXIV_PASSWORD: arguments show in the process list)")
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the login (default 300)")
    login.add_argument("--chromium", default=None,
                       help="the Chromium executable (default $PIXIV_CHROMIUM_PATH, else chromium on the PATH)")
    login.add_argument("--credentials-file", default=None, help="where to write (default $PIXIV_CREDENTIALS_FILE, "
                                                                "else ~/.config/pixivcrawl/credentials.json)")
    login.add_argument("--mirror", default=None,
                       help="log in to a replica at this origin, e.g. http://127.0.0.1:8321 (default $PIXIV_MIRROR)")

    export = sub.add_parser("export", help="write a dataset (Parquet, WebDataset shards, manifest)")
    export.add_argument("out", help="folder to write into")
    export.add_argument("--database-url", default=None, help="default: $DATABASE_URL or sqlite:///pixivcrawl.db")
    export.add_argument("--files-store", default="files", help="the crawl's FILES_STORE folder (default files)")
    export.add_argument("--rating", default="all", help="all, safe, r18, r18g or nsfw (default all)")
    export.add_argument("--ai", default="include", help="include, exclude or only AI-generated works")
    export.add_argument("--min-bookmarks", type=int, default=0)
    export.add_argument("--since", type=_day, default=None, help="first posting day, YYYY-MM-DD")
    export.add_argument("--until", type=_day, default=None, help="last posting day, YYYY-MM-DD")
    export.add_argument("--tags", default="", help="comma-separated tags a work must all have")
    export.add_argument("--type", default="illust,manga,ugoira", help="work types (default all)")
    export.add_argument("--shard-size", type=int, default=1000, help="images per WebDataset shard")
    export.add_argument("--val-fraction", type=float, default=0.05, help="share of works in validation")
    export.add_argument("--no-webdataset", action="store_true", help="write only the Parquet and manifest")

    schedule = sub.add_parser("schedule", help="submit due crawls of a schedule file to scrapyd (for cron)")
    schedule.add_argument("file", help="the schedule (TOML, see README)")
    schedule.add_argument("--scrapyd", default=None, help="scrapyd URL (default $SCRAPYD_URL)")
    schedule.add_argument("--project", default="pixivcrawl")
    schedule.add_argument("--now", default=None, help="pretend it is this ISO time (for testing a schedule)")

    spiders = sub.add_parser("spiders", help="list every spider with its arguments (name, type, default, allowed "
                                             "values, description)")
    spiders.add_argument("names", nargs="*", metavar="NAME", help="only these spiders (default: all)")
    spiders_format = spiders.add_mutually_exclusive_group()
    spiders_format.add_argument("--json", dest="format", action="store_const", const="json", default="text",
                                help="print each spider's metadata with the JSON schema of its arguments")
    spiders_format.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                                help="print README.md's argument tables")

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade", "counts"], help="upgrade: run migrations; counts: rows per table")
    db.add_argument("--database-url", default=None, help="default: $DATABASE_URL or sqlite:///pixivcrawl.db")

    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if args.command == "replica":
        replica_cli.run(args)
    elif args.command == "demo":
        from pixivcrawl.demo import run_demo

        sys.exit(run_demo(works=args.works, database_url=args.database_url))
    elif args.command == "login":
        from pixivcrawl.login import main as run_login

        sys.exit(run_login(args))
    elif args.command == "export":
        from pixivcrawl.export import Filters, export as run_export

        filters = Filters(rating=args.rating, ai=args.ai, min_bookmarks=args.min_bookmarks, since=args.since,
                          until=args.until, tags=[t for t in args.tags.split(",") if t],
                          types=[t for t in args.type.split(",") if t])
        try:
            manifest = run_export(args.database_url or os.environ.get("DATABASE_URL") or "sqlite:///pixivcrawl.db",
                                  args.files_store, args.out, filters, shard_size=args.shard_size,
                                  val_fraction=args.val_fraction, webdataset=not args.no_webdataset,
                                  progress=sys.stderr.isatty())
        except ValueError as exc:
            parser.error(str(exc))
        print(f"{manifest['images']} images of {manifest['works']} works written to {args.out} "
              f"(train {manifest['splits']['train']}, validation {manifest['splits']['validation']})")
    elif args.command == "schedule":
        from datetime import UTC, datetime
        from pathlib import Path

        from pixivcrawl.schedule import ScheduleError, Scrapyd, run as run_schedule

        url = args.scrapyd or os.environ.get("SCRAPYD_URL")
        if not url:
            parser.error("set SCRAPYD_URL or give --scrapyd http://host:6800")
        now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        try:
            submitted = run_schedule(Path(args.file), Scrapyd(url, os.environ.get("SCRAPYD_USERNAME"),
                                                              os.environ.get("SCRAPYD_PASSWORD")),
                                     args.project, now)
        except ScheduleError as exc:
            parser.error(str(exc))
        for name, jobid in submitted:
            print(f"submitted {name}: job {jobid}")
        if not submitted:
            print("nothing due")
    elif args.command == "spiders":
        from pixivcrawl.spiders.reference import render

        try:
            print(render(args.names, args.format))
        except KeyError as exc:
            parser.error(f"no spider named {exc}")
    elif args.command == "db":
        import sqlalchemy as sa

        from pixivcrawl.db.store import UnusableDatabase, database_problem, open_store

        url = args.database_url or os.environ.get("DATABASE_URL") or "sqlite:///pixivcrawl.db"
        from pixivcrawl.extensions.summary import EXIT_NOT_STARTED

        try:  # an unusable DATABASE_URL: one sentence on stderr, exit status 2 (could not start)
            store = open_store(url, migrate=args.action == "upgrade")
        except UnusableDatabase as exc:
            print(f"pixivcrawl: {exc}", file=sys.stderr)
            sys.exit(EXIT_NOT_STARTED)
        try:
            if args.action == "upgrade":
                print(f"{store.describe()}: schema is up to date")
            else:
                for table, n in store.count_rows().items():
                    print(f"{table:<22}{n:>12,}")
        except sa.exc.SQLAlchemyError as exc:
            print(f"pixivcrawl: Cannot count the rows of DATABASE_URL={store.describe()}: {database_problem(exc)}.",
                  file=sys.stderr)
            sys.exit(EXIT_NOT_STARTED)
        finally:
            store.dispose()


def _day(value: str):
    from datetime import date

    return date.fromisoformat(value)
