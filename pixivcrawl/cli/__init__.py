"""The ``pixivcrawl`` command: ``replica``, ``demo``, ``login``, ``db``, ``spiders`` and more; crawls run with
``scrapy crawl``.

Each subcommand is one module with ``add_arguments(parser)`` (its options) and ``run(args)`` (its exit status, or
None for 0), listed in :data:`SUBCOMMANDS`: ``replica`` (pixivcrawl.replica.cli), ``login``
(pixivcrawl.login.cli), and ``demo``, ``get``, ``export``, ``schedule``, ``spiders``, ``db`` (pixivcrawl.cli.*). A
subcommand that cannot use its arguments raises :class:`UsageError`: argparse's error, exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable
from types import ModuleType

#: (name, module, help) of every subcommand, in the order ``pixivcrawl --help`` lists them
SUBCOMMANDS: tuple[tuple[str, str, str], ...] = (
    ("replica", "pixivcrawl.replica.cli", "run the local pixiv replica"),
    ("demo", "pixivcrawl.cli.demo", "crawl a local replica into pixivcrawl.db and print a summary"),
    ("get", "pixivcrawl.cli.get",
     "crawl what pixiv URLs name (artworks, users, series, novels), each with the spider that fits"),
    ("login", "pixivcrawl.login.cli",
     "log in to pixiv in a browser and store the refresh token (mode 0600 file)"),
    ("export", "pixivcrawl.cli.export", "write a dataset (Parquet, WebDataset shards, manifest)"),
    ("schedule", "pixivcrawl.cli.schedule", "submit due crawls of a schedule file to scrapyd (for cron)"),
    ("spiders", "pixivcrawl.cli.spiders",
     "list every spider with its arguments (name, type, default, allowed values, description)"),
    ("db", "pixivcrawl.cli.db", "database maintenance"),
)

EPILOG = ("exit codes (as `scrapy crawl`): 0 done; 1 crashed (a traceback says where); 2 could not start "
          "(bad arguments or usage, missing credentials, unusable configuration); 3 a crawl finished with "
          "losses (demo, get: the worst of its crawls)")


class UsageError(Exception):
    """A subcommand cannot run with these arguments: ``pixivcrawl: error: <message>`` on stderr, exit status 2."""


def one_of(option: str, values: Iterable[str]) -> Callable[[str], str]:
    """An argparse ``type`` that accepts only ``values`` (give ``choices=`` the same values, so that the usage
    shows them): a wrong value is the one sentence ``<option> must be one of a, b, c, not 'x'``, exit status 2."""
    allowed = tuple(values)

    def check(text: str) -> str:
        if text not in allowed:
            # an ArgumentError of no argument: argparse prints the sentence alone, not "argument --x: invalid choice"
            raise argparse.ArgumentError(None, f"{option} must be one of {', '.join(allowed)}, not {text!r}")
        return text

    return check


def build_parser(argv: list[str] | None = None) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The ``pixivcrawl`` parser with every subcommand, and the module of each subcommand by name. With ``argv``,
    only the module of the subcommand it names is imported (and its options added): ``pixivcrawl get`` does not
    import the replica, the login or the export; without, every subcommand's."""
    parser = argparse.ArgumentParser(prog="pixivcrawl", description="pixivcrawl tools", epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    modules = {}
    for name, module_name, help_text in SUBCOMMANDS:
        subparser = sub.add_parser(name, help=help_text)
        if chosen is None or name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(subparser)
            modules[name] = module
    return parser, modules


def main(argv: list[str] | None = None) -> None:
    argv = argv if argv is not None else sys.argv[1:]
    parser, modules = build_parser(argv)
    args = parser.parse_args(argv)
    try:
        status = modules[args.command].run(args)
    except UsageError as exc:
        parser.error(str(exc))
    if status is not None:
        sys.exit(status)
