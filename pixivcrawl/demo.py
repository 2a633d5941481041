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
    """Which spiders the demo runs, with their arguments, chosen from the replica's world."""
    illust_series = list(world["illust_series"].items())
    novel_series = list(world["novel_series"].items())
    latest = world["latest_ranking_date"]
    return [
        ("illust_series", {"series_id": illust_series[0][0]}),
        ("illust_series", {"illust_id": str(illust_series[1][1][0])}),
        ("novel_series", {"series_id": novel_series[0][0]}),
        ("novel_series", {"novel_id": str(novel_series[1][1][-1])}),
        ("search", {"word": "漫画", "s_mode": "s_tag", "order": "date_d"}),
        ("ranking", {"mode": "daily", "date_from": world["ranking_week_start"], "date_to": latest}),
        ("ranking", {"api": "app", "work": "novel", "mode": "day", "date": latest}),
        ("commission", {}),
    ]


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
    return run_crawls(settings, demo_jobs(world))
