"""``pixivcrawl get URL [URL …]``: crawl what pixiv URLs name, each with the spider that fits (gallery-dl's habit).

    pixivcrawl get https://www.pixiv.net/artworks/123 https://www.pixiv.net/novel/series/45
    pixivcrawl get -i urls.txt -s PIXIV_FILES_IMAGE_SIZE=none

Each URL (:mod:`pixivcrawl.urls`) becomes a spider and its arguments (:func:`target_of`)::

    /artworks/ID, member_illust.php?illust_id=, i.pximg.net    work illust_id=ID
    /novel/show.php?id=ID, a novel cover on i.pximg.net         work novel_id=ID
    /users/ID                                                   user user_id=ID
    /users/ID/illustrations | manga | artworks | novels [/TAG]  user user_id=ID type=… [tag=TAG]
    /users/ID/bookmarks/artworks | novels [?rest=hide]          bookmarks user_id=ID work=illust|novel [restrict=…]
    /users/ID/following [?rest=hide]                            following user_id=ID [restrict=…]
    /user/ID/series/S                                           illust_series series_id=S
    /novel/series/ID                                            novel_series series_id=ID

The URLs of one spider with the same other arguments are batched into one crawl when the spider takes a list
(``work``'s ``illust_id`` and ``novel_id``, ``user``'s ``user_id``); the crawls run together in one process.
The command prints one plan line per URL (``https://www.pixiv.net/artworks/123 → work illust_id=123``), checks
every crawl's arguments before any starts, crawls into ``DATABASE_URL`` (default: $DATABASE_URL or
``pixivcrawl.db``) with the project's settings and ``-s NAME=VALUE``, shows the progress line on a terminal,
and ends with the summary table the demo prints. Exit status: the worst of its crawls' (0, 2 could not start,
3 losses); 2 also for a URL it cannot map, a spider this install lacks, or an unusable database.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from pixivcrawl.cli import UsageError
from pixivcrawl.db import DEFAULT_DATABASE_URL, default_database_url
from pixivcrawl.runs import Job
from pixivcrawl.urls import PixivRef, PixivUrlError, parse_ref, read_file_lines

#: (spider, argument) pairs that take comma-separated lists: their URLs share a crawl
LIST_ARGUMENTS = frozenset({("work", "illust_id"), ("work", "novel_id"), ("user", "user_id")})
#: a user's works page → the ``user`` spider's ``type``
USER_PAGE_TYPES = {"illustrations": "illust", "manga": "manga", "artworks": "illust,manga", "novels": "novel"}
#: a user's bookmarks page → the ``bookmarks`` spider's ``work``
BOOKMARK_PAGES = {"bookmarks/artworks": "illust", "bookmarks/novels": "novel"}


@dataclass(frozen=True)
class Target:
    """What one URL (``text``) asks for: ``spider`` with ``id_arg=id`` and the ``extra`` arguments."""

    text: str
    spider: str
    id_arg: str
    id: int
    extra: tuple[tuple[str, str], ...] = ()

    def plan_line(self) -> str:
        """``<url> → <spider> <id_arg>=<id> [k=v …]``."""
        args = " ".join(f"{k}={v}" for k, v in ((self.id_arg, str(self.id)), *self.extra))
        return f"{self.text} → {self.spider} {args}"


def target_of(ref: PixivRef) -> Target:
    """The spider and arguments of one reference (see the module docstring)."""
    text = str(ref)
    if ref.kind in ("illust", "novel"):
        return Target(text, "work", f"{ref.kind}_id", ref.id)
    if ref.kind in ("illust_series", "novel_series"):
        return Target(text, ref.kind, "series_id", ref.id)
    restrict = (("restrict", ref.restrict),) if ref.restrict else ()
    tag = (("tag", ref.tag),) if ref.tag else ()
    if ref.page in BOOKMARK_PAGES:
        return Target(text, "bookmarks", "user_id", ref.id, (("work", BOOKMARK_PAGES[ref.page]), *restrict, *tag))
    if ref.page == "following":
        return Target(text, "following", "user_id", ref.id, restrict)
    if ref.page in USER_PAGE_TYPES:
        return Target(text, "user", "user_id", ref.id, (("type", USER_PAGE_TYPES[ref.page]), *tag))
    return Target(text, "user", "user_id", ref.id)


def read_targets(urls: list[str], files: list[str]) -> list[Target]:
    """The targets of the command's URLs, then of each ``-i`` file's lines; :class:`UsageError` (one sentence,
    naming the file and line) for a value that names nothing pixivcrawl can crawl, or when there is none."""
    values = [(None, url) for url in urls]
    for path in files:
        try:
            values += [(f"Line {n} of {path}", value) for n, value in read_file_lines(path)]
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {path} ({exc})") from None
    if not values:
        raise UsageError("give at least one pixiv URL, or -i FILE with one URL per line")
    targets = []
    for where, value in values:
        try:
            targets.append(target_of(parse_ref(value)))
        except PixivUrlError as exc:
            raise UsageError(f"{where}: {exc}" if where else str(exc)) from None
    return targets


def batches(targets: list[Target]) -> list[Job]:
    """One crawl per spider and other arguments, in the order the URLs first ask for it; the ids of a list
    argument joined (each once), any other target a crawl of its own."""
    jobs: dict[tuple, dict[str, list[int]]] = {}
    for n, target in enumerate(targets):
        shared = (target.spider, target.id_arg) in LIST_ARGUMENTS
        key = (target.spider, target.extra) if shared else (target.spider, target.extra, n)
        jobs.setdefault(key, {}).setdefault(target.id_arg, []).append(target.id)
    return [(key[0], {**{arg: ",".join(map(str, dict.fromkeys(ids))) for arg, ids in ids_by_arg.items()},
                      **dict(key[1])})
            for key, ids_by_arg in jobs.items()]


def check_jobs(jobs: list[Job], settings) -> None:
    """Every crawl's spider exists and takes its arguments; :class:`UsageError` with one sentence otherwise."""
    from scrapy.spiderloader import get_spider_loader

    from pixivcrawl.spiders.arguments import SpiderArgumentError, validate_arguments

    loader = get_spider_loader(settings)
    for spider, args in jobs:
        if spider not in loader.list():
            raise UsageError(f"the {spider} spider, which {', '.join(f'{k}={v}' for k, v in args.items())} needs, "
                             "is not in this pixivcrawl")
        try:
            validate_arguments(loader.load(spider).params_model(), dict(args))
        except SpiderArgumentError as exc:
            raise UsageError(f"{spider}: {exc}") from None


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` options as a dict; :class:`UsageError` for one without ``=``."""
    given = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-s takes NAME=VALUE, not {pair!r}")
        given[name.strip()] = value
    return given


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="*", metavar="URL", help="pixiv URLs (artworks, users, series, novels, "
                                                                "i.pximg.net images)")
    parser.add_argument("-i", "--input-file", action="append", default=[], metavar="FILE",
                        help="a file of URLs, one per line (# comments, blank lines)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
                        help="a Scrapy or pixivcrawl setting, as scrapy crawl -s takes it (DATABASE_URL default: "
                             f"$DATABASE_URL or {DEFAULT_DATABASE_URL}; LOG_LEVEL default WARNING; PIXIV_PROGRESS "
                             "default 1 on a terminal)")
    parser.add_argument("--plan", action="store_true", help="print the plan and the crawls, and crawl nothing")


def run(args: argparse.Namespace) -> int:
    """Print the plan, crawl, print the summary; the exit status (see the module docstring)."""
    from pixivcrawl.db.store import Store, UnusableDatabase, open_store
    from pixivcrawl.extensions.summary import EXIT_NOT_STARTED
    from pixivcrawl.runs import command_line, exit_code, print_summary, project_settings, run_crawls

    targets = read_targets(args.urls, args.input_file)
    given = parse_settings(args.settings)
    database_url = given.get("DATABASE_URL") or default_database_url()
    settings = project_settings({"LOG_LEVEL": "WARNING", "PIXIV_PROGRESS": sys.stderr.isatty(), **given,
                                 "DATABASE_URL": database_url})
    jobs = batches(targets)
    check_jobs(jobs, settings)
    for target in targets:
        print(target.plan_line(), flush=True)
    if args.plan:
        for spider, kwargs in jobs:
            print(f"  {command_line(spider, kwargs)}")
        return 0
    try:
        open_store(database_url).dispose()
    except UnusableDatabase as exc:
        print(f"pixivcrawl: {exc}", file=sys.stderr)
        return EXIT_NOT_STARTED
    store = Store(database_url)
    print(f"Crawling into {store.describe()}", flush=True)
    stats, seconds = run_crawls(settings, jobs)
    counts = store.count_rows()
    store.dispose()
    print_summary(counts, stats, seconds)
    return exit_code(stats)

