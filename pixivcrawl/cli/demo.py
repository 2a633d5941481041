"""``pixivcrawl demo``'s options; the demo itself (a replica, eight crawls, a summary) is pixivcrawl.demo."""

from __future__ import annotations

import argparse

from pixivcrawl.db import DEFAULT_DATABASE_URL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--works", type=int, default=3000, help="size of the replica's world (default 3000)")
    parser.add_argument("--database-url", default=None,
                        help=f"where to store (default: $DATABASE_URL or {DEFAULT_DATABASE_URL})")


def run(args: argparse.Namespace) -> int:
    """The demo's exit status: that of the worst of its crawls (pixivcrawl.demo.run_demo)."""
    from pixivcrawl.demo import run_demo

    return run_demo(works=args.works, database_url=args.database_url)
