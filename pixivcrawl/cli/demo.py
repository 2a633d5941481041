"""``pixivcrawl demo``'s options; the demo itself (a replica, eight crawls, a summary) is pixivcrawl.demo."""

from __future__ import annotations

import argparse

from pixivcrawl.db import DEFAULT_DATABASE_URL


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--works", type=_works, default=3000,
                        help="size of the replica's world: 10 or more (default 3000)")
    parser.add_argument("--database-url", default=None,
                        help=f"where to store (default: $DATABASE_URL or {DEFAULT_DATABASE_URL})")


def _works(text: str) -> int:
    """``--works``: a whole number of at least 10 (the replica's smallest world), else one sentence, exit 2."""
    try:
        works = int(text)
    except ValueError:
        works = 0
    if works < 10:
        raise argparse.ArgumentError(None, f"--works must be a whole number of at least 10, not {text!r}")
    return works


def run(args: argparse.Namespace) -> int:
    """The demo's exit status: that of the worst of its crawls (pixivcrawl.demo.run_demo)."""
    from pixivcrawl.demo import run_demo

    return run_demo(works=args.works, database_url=args.database_url)
