"""``pixivcrawl spiders``: every spider with its arguments, as text, JSON schema or README's Markdown tables
(pixivcrawl.spiders.reference)."""

from __future__ import annotations

import argparse

from pixivcrawl.cli import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these spiders (default: all)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", dest="format", action="store_const", const="json", default="text",
                        help="print each spider's metadata with the JSON schema of its arguments")
    output.add_argument("--markdown", dest="format", action="store_const", const="markdown",
                        help="print README.md's argument tables")


def run(args: argparse.Namespace) -> None:
    """Print the reference; an unknown spider name is a :class:`~pixivcrawl.cli.UsageError`."""
    from pixivcrawl.spiders.reference import render

    try:
        print(render(args.names, args.format))
    except KeyError as exc:
        raise UsageError(f"no spider named {exc}") from None
