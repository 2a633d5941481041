"""How close pixivcrawl runs to a rate limit it is not told about, on both APIs, with several requests in flight.

    python bench/ratelimit.py [--limit 20] [--window 5] [--seconds 45] [--concurrency 4]

Starts a replica whose App API and web allow --limit requests per --window seconds per account, then runs three
crawls, each starting ten times faster than the limit with --concurrency requests in flight per API:

- ``web, Retry-After``: a web search (one page per request); the replica's 429s carry ``Retry-After: <window>``;
- ``web, no Retry-After``: the same, 429s without the header (the crawl backs off ``PIXIV_THROTTLE_BACKOFF_BASE`` =
  --window seconds);
- ``App API, Rate Limit body``: App API daily rankings, refused with pixiv's ``{"error": {"message": "Rate
  Limit"}}`` in a 403, no Retry-After.

Each crawl stops after --seconds (``CLOSESPIDER_TIMEOUT``). Printed per crawl, from the replica's request log and
the crawl's stats (``PIXIV_STATS_FILE``):

- achieved / limit: requests the replica served, per second from the first request to the last, over the limit
  (target: at least 0.8);
- refused, limit events: refused requests, and limit events as the crawl counted them (``pixiv/ratelimit/events``;
  the refusals of requests sent before a pause began belong to its event);
- pauses, pauses per event: gaps of at least 0.8 × the pause (Retry-After or the backoff) with no request at the
  replica, per limit event (target: at most 1);
- final rate / limit: the crawl's learned rate at the end (``pixiv/budget/<api>/rate``) over the limit (target:
  at least 0.5).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pixivcrawl.demo import replica_get, running_replica  # noqa: E402
from pixivcrawl.replica.accounts import replica_account  # noqa: E402
from pixivcrawl.replica.rankings import Rankings  # noqa: E402
from pixivcrawl.replica.world import World  # noqa: E402

WORKS = 30000


def configure(origin: str, **knobs) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{origin}/_replica/config",
                                                  data=json.dumps(knobs).encode())).read()


def run(origin: str, tmp: str, name: str, api: str, crawl: list[str], args, retry_after: int) -> dict:
    """One crawl against the limit; returns its row of figures."""
    limit_rate = args.limit / args.window
    configure(origin, rate_limit=args.limit, rate_window=args.window, retry_after=retry_after,
              app_limit_status=403, search_page_cap=100000)
    urllib.request.urlopen(urllib.request.Request(f"{origin}/_replica/requests/clear", data=b"")).read()
    stats_file = Path(tmp) / f"{api}-{retry_after}.json"
    rate_setting = "PIXIV_THROTTLE_WEB_RATE" if api == "web" else "PIXIV_THROTTLE_APP_RATE"
    env = {**os.environ, "PIXIV_MIRROR": origin, "PIXIV_PHPSESSID": replica_account(0).phpsessid,
           "PIXIV_REFRESH_TOKEN": replica_account(0).refresh_token,
           "DATABASE_URL": f"sqlite:///{tmp}/{api}-{retry_after}.db"}
    subprocess.run([sys.executable, "-m", "scrapy", "crawl", *crawl, "-s", f"{rate_setting}={limit_rate * 10}",
                    "-s", f"PIXIV_THROTTLE_WINDOW={args.window}", "-s", f"PIXIV_THROTTLE_BACKOFF_BASE={args.window}",
                    "-s", f"PIXIV_API_CONCURRENCY={args.concurrency}", "-s", "PIXIV_FILES_IMAGE_SIZE=none",
                    "-s", "LOG_LEVEL=WARNING", "-s", f"CLOSESPIDER_TIMEOUT={args.seconds}",
                    "-s", f"PIXIV_STATS_FILE={stats_file}"], cwd=ROOT, env=env, check=False)
    stats = json.loads(stats_file.read_text())
    host = "www.pixiv.net" if api == "web" else "app-api.pixiv.net"
    log = [r for r in replica_get(origin, "/_replica/requests")["requests"] if r["host"] == host]
    served = [r for r in log if not r.get("limited") and r["status"] == 200]
    refused = [r for r in log if r.get("limited")]
    span = log[-1]["t"] - log[0]["t"] if len(log) > 1 else 0.0
    pause = retry_after or args.window
    gaps = sum(1 for a, b in itertools.pairwise(log) if b["t"] - a["t"] >= 0.8 * pause)
    events = stats.get("pixiv/ratelimit/events", 0)
    final = stats.get(f"pixiv/budget/{'web' if api == 'web' else 'app'}/rate")
    return {"name": name, "requests": len(log), "served": len(served), "refused": len(refused),
            "hits": stats.get("pixiv/ratelimit/hits", 0), "events": events, "pauses": gaps,
            "achieved": (len(served) / span / limit_rate) if span else 0.0,
            "per_event": gaps / events if events else 0.0,
            "final": (final / limit_rate) if final is not None else float("nan"),
            "finish": stats.get("finish_reason")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20, help="requests allowed per window")
    parser.add_argument("--window", type=float, default=5.0, help="window in seconds")
    parser.add_argument("--seconds", type=int, default=45, help="how long each crawl runs")
    parser.add_argument("--concurrency", type=int, default=4, help="PIXIV_API_CONCURRENCY")
    args = parser.parse_args()
    latest = Rankings(World(seed=1, works=WORKS)).latest
    first = latest - timedelta(days=200)
    crawls = [
        ("web, Retry-After", "web", ["search", "-a", "word=イラスト", "-a", "s_mode=s_tag", "-a", "max_pages=100000"],
         int(args.window)),
        ("web, no Retry-After", "web", ["search", "-a", "word=イラスト", "-a", "s_mode=s_tag",
                                        "-a", "max_pages=100000"], 0),
        ("App API, Rate Limit body", "app", ["ranking", "-a", "api=app", "-a", "mode=day",
                                             "-a", f"date_from={first}", "-a", f"date_to={latest}"], 0),
    ]
    with running_replica(WORKS) as origin, tempfile.TemporaryDirectory() as tmp:
        rows = []
        for name, api, crawl, retry_after in crawls:
            # each crawl starts with the replica's window clear of the previous crawl's requests (same account)
            time.sleep(args.window + 1 if rows else 0)
            rows.append(run(origin, tmp, name, api, crawl, args, retry_after))
    print(f"replica limit: {args.limit} requests / {args.window:g} s = {args.limit / args.window:.2f} req/s per API; "
          f"crawls start at 10x that, {args.concurrency} requests in flight, {args.seconds} s each")
    head = (f"{'crawl':<26}{'requests':>9}{'served':>8}{'refused':>8}{'events':>7}{'pauses':>7}"
            f"{'achieved/limit':>15}{'pauses/event':>13}{'final rate/limit':>17}  finish")
    print(head)
    for r in rows:
        print(f"{r['name']:<26}{r['requests']:>9}{r['served']:>8}{r['refused']:>8}{r['events']:>7}{r['pauses']:>7}"
              f"{r['achieved']:>15.2f}{r['per_event']:>13.2f}{r['final']:>17.2f}  {r['finish']}")
    print("targets: achieved/limit >= 0.8, pauses/event <= 1, final rate/limit >= 0.5")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
          "(other processes on the machine slow the crawls down)")


if __name__ == "__main__":
    main()
