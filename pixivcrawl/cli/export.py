"""``pixivcrawl export``'s options; the export itself (Parquet, WebDataset shards, manifest) is pixivcrawl.export."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from pixivcrawl.cli import UsageError, one_of
from pixivcrawl.db import DEFAULT_DATABASE_URL, default_database_url

#: the values of ``--rating`` and ``--ai`` (pixivcrawl.export.RATINGS and AI, which check them again)
RATINGS = ("all", "safe", "r18", "r18g", "nsfw")
AI = ("include", "exclude", "only")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", help="folder to write into")
    parser.add_argument("--database-url", default=None, help=f"default: $DATABASE_URL or {DEFAULT_DATABASE_URL}")
    parser.add_argument("--files-store", default="files", help="the crawl's FILES_STORE folder (default files)")
    parser.add_argument("--rating", default="all", choices=RATINGS, type=one_of("--rating", RATINGS),
                        help="by x_restrict: safe 0, r18 1, r18g 2, nsfw 1 or 2 (default all)")
    parser.add_argument("--ai", default="include", choices=AI, type=one_of("--ai", AI),
                        help="works pixiv marks AI-generated (ai_type 2): include, exclude or only them "
                             "(default include)")
    parser.add_argument("--min-bookmarks", type=int, default=0)
    parser.add_argument("--since", type=_day, default=None, help="first posting day, YYYY-MM-DD")
    parser.add_argument("--until", type=_day, default=None, help="last posting day, YYYY-MM-DD")
    parser.add_argument("--tags", default="", help="comma-separated tags a work must all have")
    parser.add_argument("--type", default="illust,manga,ugoira", help="work types (default all)")
    parser.add_argument("--bookmarked-by", type=_user, default=None, metavar="USER",
                        help="only works this user bookmarked (a user id or /users/ID URL; their bookmarks crawled "
                             "by the bookmarks spider)")
    parser.add_argument("--user", type=_users, default=[], metavar="USER[,USER…]",
                        help="only works of these users (ids or /users/ID URLs, comma-separated)")
    parser.add_argument("--shard-size", type=int, default=1000, help="images per WebDataset shard")
    parser.add_argument("--val-fraction", type=float, default=0.05, help="share of works in validation")
    parser.add_argument("--no-webdataset", action="store_true", help="write only the Parquet and manifest")


def run(args: argparse.Namespace) -> None:
    """Write the dataset and say how many images of how many works went to each split; a filter the export
    refuses (pixivcrawl.export.Filters.check) is a :class:`~pixivcrawl.cli.UsageError`."""
    from pixivcrawl.export import Filters, export

    filters = Filters(rating=args.rating, ai=args.ai, min_bookmarks=args.min_bookmarks, since=args.since,
                      until=args.until, tags=[t for t in args.tags.split(",") if t],
                      types=[t for t in args.type.split(",") if t], bookmarked_by=args.bookmarked_by, users=args.user)
    try:
        manifest = export(default_database_url(args.database_url), args.files_store, args.out, filters,
                          shard_size=args.shard_size, val_fraction=args.val_fraction,
                          webdataset=not args.no_webdataset, progress=sys.stderr.isatty())
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(f"{manifest['images']} images of {manifest['works']} works written to {args.out} "
          f"(train {manifest['splits']['train']}, validation {manifest['splits']['validation']})")


def _user(value: str) -> int:
    """``--bookmarked-by``'s user: an id, or a user's URL (pixivcrawl.urls: ``https://www.pixiv.net/users/ID`` and
    its pages)."""
    from pixivcrawl.urls import PixivUrlError, expect_ref

    try:
        return expect_ref("--bookmarked-by", "user", value).id
    except PixivUrlError as exc:
        raise argparse.ArgumentError(None, str(exc)) from None


def _users(value: str) -> list[int]:
    """``--user``'s users: ids or users' URLs, comma-separated."""
    from pixivcrawl.urls import PixivUrlError, expect_ref

    try:
        return [expect_ref("--user", "user", part.strip()).id for part in value.split(",") if part.strip()]
    except PixivUrlError as exc:
        raise argparse.ArgumentError(None, str(exc)) from None


def _day(value: str) -> date:
    """A ``YYYY-MM-DD`` option's day (named for argparse's "invalid _day value" message)."""
    return date.fromisoformat(value)
