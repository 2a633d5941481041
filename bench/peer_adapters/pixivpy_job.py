"""The pixivpy "script": what a user would write — a sequential loop over pixivpy3's AppPixivAPI.

    python pixivpy_job.py ORIGIN series SERIES_ID OUT.jsonl [--download DIR] [--sleep S]
    python pixivpy_job.py ORIGIN ranking DAY1,DAY2,… OUT.jsonl [--download DIR] [--sleep S]
    python pixivpy_job.py ORIGIN user USER_ID OUT.jsonl [--sleep S]
    python pixivpy_job.py ORIGIN bookmarks USER_ID OUT.jsonl [--sleep S] [--refresh-token T]
    python pixivpy_job.py ORIGIN following USER_ID OUT.jsonl [--sleep S]

Logs in with a refresh token, walks the series (``/v1/illust/series``; pixivpy has no method for it, so
the script calls the endpoint through pixivpy's own request and parse helpers) or each day's ranking
(``illust_ranking``), a user's works (``user_detail``, then ``user_illusts`` without a type: illusts, manga
and ugoira), a user's public illust bookmarks (``user_bookmarks_illust``) or every user a user follows
(``user_following``, then each followed user as ``user`` does) page by page with ``next_url``, fetches
ugoira frame delays (``ugoira_metadata``), writes one JSON line per work, and with --download saves every
original page (and the ugoira zip) with pixivpy's ``download()``. --sleep waits between API calls (how a
user paces a known limit). Requests go to the replica through mirror.py."""

import argparse
import json
import time
from pathlib import Path

import mirror

ap = argparse.ArgumentParser()
ap.add_argument("origin")
ap.add_argument("job", choices=["series", "ranking", "user", "bookmarks", "following"])
ap.add_argument("target")
ap.add_argument("out")
ap.add_argument("--download")
ap.add_argument("--sleep", type=float, default=0.0)
ap.add_argument("--refresh-token", default="replica-refresh-token-0")
args = ap.parse_args()
mirror.install(args.origin)

from pixivpy3 import AppPixivAPI  # noqa: E402

api = AppPixivAPI()
api.auth(refresh_token=args.refresh_token)


def call(fn, **kwargs):
    if args.sleep:
        time.sleep(args.sleep)
    return fn(**kwargs)


def illust_series(**params):
    r = api.no_auth_requests_call("GET", f"{api.hosts}/v1/illust/series", params=params)
    return api.parse_result(r)


def paged(fn, **kwargs):
    """Every page of one App API list, following ``next_url`` (``type=None`` is kept: without it pixivpy's
    ``user_illusts`` would ask the next pages for ``type=illust`` only)."""
    keep = {k: v for k, v in kwargs.items() if v is None}
    while kwargs:
        page = call(fn, **kwargs)
        yield page
        kwargs = api.parse_qs(page.next_url)
        if kwargs:
            kwargs.update(keep)


def user_pages(user_id):
    call(api.user_detail, user_id=user_id)
    yield from paged(api.user_illusts, user_id=user_id, type=None)


def pages():
    if args.job == "user":
        yield from user_pages(args.target)
    elif args.job == "bookmarks":
        yield from paged(api.user_bookmarks_illust, user_id=args.target, restrict="public")
    elif args.job == "following":
        for listing in paged(api.user_following, user_id=args.target, restrict="public"):
            for preview in listing.user_previews:
                yield from user_pages(preview.user.id)
    elif args.job == "series":
        kwargs = {"illust_series_id": args.target, "filter": "for_ios"}
        while kwargs:
            page = call(illust_series, **kwargs)
            yield page
            kwargs = api.parse_qs(page.next_url)
    else:
        for day in args.target.split(","):
            kwargs = {"mode": "day", "date": day}
            while kwargs:
                page = call(api.illust_ranking, **kwargs)
                yield page
                kwargs = api.parse_qs(page.next_url)


works = 0
with Path(args.out).open("w") as out:
    for page in pages():
        for illust in page.illusts:
            if illust.type == "ugoira":
                illust["ugoira_metadata"] = call(api.ugoira_metadata, illust_id=illust.id).ugoira_metadata
            out.write(json.dumps(illust, ensure_ascii=False) + "\n")
            works += 1
            if not args.download:
                continue
            if illust.type == "ugoira":
                urls = [illust.ugoira_metadata.zip_urls.medium.replace("600x600", "1920x1080")]
            elif illust.meta_pages:
                urls = [p.image_urls.original for p in illust.meta_pages]
            else:
                urls = [illust.meta_single_page.original_image_url]
            folder = Path(args.download) / str(illust.id)
            folder.mkdir(parents=True, exist_ok=True)
            for url in urls:
                api.download(url, path=str(folder))
print(f"{works} works")
