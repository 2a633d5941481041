"""``pixivcrawl demo``: crawl a local pixiv replica end to end and show what landed in the database."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pixivcrawl.db import default_database_url
from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.replica.follow_graph import FollowGraph
from pixivcrawl.replica.world import World


@contextmanager
def running_replica(works: int, seed: int = 1, extra: list[str] | None = None) -> Iterator[str]:
    """Start ``python -m pixivcrawl.replica`` on a free port; yield its origin; stop it afterwards."""
    cmd = [sys.executable, "-m", "pixivcrawl.replica", "--port", "0", "--works", str(works), "--seed", str(seed),
           *(extra or [])]
    with replica_process(cmd) as (origin, _pid):
        yield origin


@contextmanager
def replica_process(cmd: list[str], cwd: str | None = None) -> Iterator[tuple[str, int]]:
    """Run a replica command that prints "… listening on <origin>"; yield (origin, pid); stop it afterwards."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=cwd)  # noqa: S603 - the replica command lines this module builds
    try:
        line = proc.stdout.readline()
        if "listening on " not in line:
            raise RuntimeError(f"the replica did not start (said {line!r})")
        yield line.rsplit(" ", 1)[-1].strip(), proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def replica_get(origin: str, path: str) -> dict:
    with urllib.request.urlopen(f"{origin}{path}", timeout=30) as resp:  # noqa: S310 - the http origin of the replica it started
        return json.loads(resp.read())


def demo_jobs(world: dict) -> list[tuple[str, dict[str, str]]]:
    """Which spiders the demo runs, with their arguments, chosen from the replica's world (its summary,
    ``/_replica/world``): both series spiders, search, rankings, commissions, a small user's works and novels
    (:func:`demo_user`), the account's own bookmarks, a user's follows with their works (:func:`demo_follower`),
    the first page of the account's follow feed, and what :func:`demo_urls` name (``pixivcrawl get``'s
    crawls)."""
    illust_series = list(world["illust_series"].items())
    novel_series = list(world["novel_series"].items())
    latest = world["latest_ranking_date"]
    user, follower = demo_user(world), demo_follower(world)
    return [  # a world of a few dozen works may have one series of each kind: it is then crawled both ways
        ("illust_series", {"series_id": illust_series[0][0]}),
        ("illust_series", {"illust_id": str(illust_series[min(1, len(illust_series) - 1)][1][0])}),
        ("novel_series", {"series_id": novel_series[0][0]}),
        ("novel_series", {"novel_id": str(novel_series[min(1, len(novel_series) - 1)][1][-1])}),
        ("search", {"word": "漫画", "s_mode": "s_tag", "order": "date_d"}),
        ("ranking", {"mode": "daily", "date_from": world["ranking_week_start"], "date_to": latest}),
        ("ranking", {"api": "app", "work": "novel", "mode": "day", "date": latest}),
        ("commission", {}),
        *([("user", {"user_id": str(user)})] if user else []),
        ("bookmarks", {}),
        *([("following", {"user_id": str(follower), "works": "1"})] if follower else []),
        ("feed", {"max_pages": "1"}),
        *url_jobs(demo_urls(world)),
    ]


def _world(summary: dict) -> World:
    """The replica's world itself, rebuilt from its summary (the same seed and size make the same world)."""
    return World(seed=summary["seed"], works=summary["works"])


def demo_user(summary: dict) -> int | None:
    """The user whose works the demo crawls: the one with the fewest works among those with at least three
    illusts or manga, one of them an ugoira, and a novel (a short crawl that still shows every kind); None in a
    world too small to have one."""
    world = _world(summary)
    users = [u for u in world.users.values() if len(u.work_ids) >= 3 and u.novel_ids
             and any(world.work(w).type == "ugoira" for w in u.work_ids)]
    return min(users, key=lambda u: (len(u.work_ids) + len(u.novel_ids), u.id)).id if users else None


def demo_follower(summary: dict) -> int | None:
    """The user whose follows the demo crawls with ``works=1``: of those who follow at least two users publicly,
    the one whose followed users published the fewest works and novels (a short crawl); None when nobody does."""
    world = _world(summary)
    graph = FollowGraph(world)
    published = {uid: len(u.work_ids) + len(u.novel_ids) for uid, u in world.users.items()}
    followers = {uid: graph.followed(uid, "public") for uid in world.users}
    return min((uid for uid, followed in followers.items() if len(followed) >= 2),
               key=lambda uid: (sum(published[f] for f in followers[uid]), uid), default=None)


def demo_urls(summary: dict) -> list[str]:
    """The pixiv URLs the demo crawls as ``pixivcrawl get`` does: two works outside any series (the first illust
    of the world, and an ugoira by its ``/en/`` URL) and a novel outside any series (those the world has)."""
    world = _world(summary)
    illust = next((w.id for w in world.works if w.type == "illust" and w.series_id is None), None)
    ugoira = next((w.id for w in world.works if w.type == "ugoira" and w.series_id is None), None)
    novel = next((n.id for n in world.novels if n.series_id is None), None)
    urls = [f"https://www.pixiv.net/artworks/{illust}", f"https://www.pixiv.net/en/artworks/{ugoira}",
            f"https://www.pixiv.net/novel/show.php?id={novel}"]
    return [url for url, wid in zip(urls, (illust, ugoira, novel), strict=True) if wid is not None]


def url_jobs(urls: list[str]) -> list[tuple[str, dict[str, str]]]:
    """The crawls ``pixivcrawl get`` makes of ``urls`` (pixivcrawl.cli.get: one spider per URL kind, the ids of a
    list argument batched)."""
    from pixivcrawl.cli.get import batches, read_targets

    return [(spider, dict(args)) for spider, args in batches(read_targets(urls, []))]


def run_demo(works: int = 3000, database_url: str | None = None) -> int:
    """Start a replica of ``works`` works, run :func:`demo_jobs` against it into ``database_url`` (default:
    pixivcrawl.db.default_database_url) and print the rows per table; the exit status of ``scrapy crawl`` for the
    worst of the crawls (0, 2 could not start, 3 losses), 3 also when something logged an error that lost nothing."""
    from pixivcrawl.db.store import Store, UnusableDatabase, open_store
    from pixivcrawl.extensions.summary import EXIT_NOT_STARTED
    from pixivcrawl.runs import exit_code, print_summary

    database_url = default_database_url(database_url)
    try:  # an unusable DATABASE_URL: one sentence on stderr, exit status 2, before the replica starts
        open_store(database_url).dispose()
    except UnusableDatabase as exc:
        print(f"pixivcrawl: {exc}", file=sys.stderr)
        return EXIT_NOT_STARTED
    print(f"Starting a pixiv replica with {works} works…", flush=True)
    with running_replica(works) as origin:
        stats, seconds = _crawl(origin, database_url)
        replica_requests = replica_get(origin, "/_replica/health")["requests"]
    store = Store(database_url)
    counts = store.count_rows()
    store.dispose()
    print_summary(counts, stats, seconds, replica_requests)
    return exit_code(stats)


def _crawl(origin: str, database_url: str) -> tuple[list[dict[str, Any]], float]:
    """Run every demo job against the replica at ``origin`` in one Scrapy process; each crawl's stats, and the
    seconds they took together."""
    from pixivcrawl.db.store import Store
    from pixivcrawl.runs import project_settings, run_crawls

    world = replica_get(origin, "/_replica/world")
    account = replica_account(0)
    settings = project_settings({
        "PIXIV_MIRROR": origin,
        "PIXIV_REFRESH_TOKEN": account.refresh_token,
        "PIXIV_PHPSESSID": account.phpsessid,
        "DATABASE_URL": database_url,
        # the replica is local: the demo explicitly lifts the one-request-per-second default
        "PIXIV_THROTTLE_APP_RATE": 0,
        "PIXIV_THROTTLE_WEB_RATE": 0,
        "PIXIV_API_CONCURRENCY": 8,
        "PIXIV_PROGRESS": True,
        "LOG_LEVEL": "WARNING",
    })
    print(f"Replica at {origin}; crawling into {Store(database_url).describe()}", flush=True)
    from pixivcrawl.cli.get import read_targets

    print("pixivcrawl get " + " ".join(demo_urls(world)) + " plans:", flush=True)
    for target in read_targets(demo_urls(world), []):
        print(f"  {target.plan_line()}", flush=True)
    return run_crawls(settings, demo_jobs(world))
