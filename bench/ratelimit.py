"""How close pixivcrawl runs to a rate limit it is not told about, and whether it is refused again.

    python bench/ratelimit.py [--limit 20] [--window 5] [--seconds 60]

Starts a replica whose web API allows --limit requests per --window seconds per account, then runs a
search crawl (one page per request) that starts far faster than that. pixivcrawl meets the limit once,
learns it, pauses, and continues. Printed: requests served after the first back-off, the achieved rate as
a fraction of the limit (target: at least 0.9), and requests refused after the first back-off (target: 0).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pixivcrawl.demo import replica_get, running_replica  # noqa: E402
from pixivcrawl.replica.accounts import replica_account  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=20, help="requests allowed per window")
    parser.add_argument("--window", type=float, default=5.0, help="window in seconds")
    parser.add_argument("--seconds", type=int, default=60, help="how long to crawl")
    args = parser.parse_args()
    limit_rate = args.limit / args.window
    pages = int(args.seconds * limit_rate) + args.limit
    with running_replica(30000) as origin, tempfile.TemporaryDirectory() as tmp:
        import json
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(
            f"{origin}/_replica/config", data=json.dumps({"rate_limit": args.limit, "rate_window": args.window,
                                                          "search_page_cap": 100000}).encode())).read()
        env = {**os.environ, "PIXIV_MIRROR": origin, "PIXIV_PHPSESSID": replica_account(0).phpsessid,
               "DATABASE_URL": f"sqlite:///{tmp}/bench.db"}
        subprocess.run([sys.executable, "-m", "scrapy", "crawl", "search", "-a", "word=イラスト", "-a", "s_mode=s_tag",
                        "-a", f"max_pages={pages}", "-s", f"PIXIV_WEB_RATE={limit_rate * 10}",
                        "-s", f"PIXIV_RATELIMIT_WINDOW={args.window}", "-s", f"PIXIV_BACKOFF_BASE={args.window}",
                        "-s", "PIXIV_API_CONCURRENCY=1", "-s", "LOG_LEVEL=WARNING",
                        "-s", f"CLOSESPIDER_TIMEOUT={args.seconds}"],
                       cwd=ROOT, env=env, check=True)
        log = [r for r in replica_get(origin, "/_replica/requests")["requests"] if r["host"] == "www.pixiv.net"]
    refused = [i for i, r in enumerate(log) if r.get("limited")]
    first = refused[0] if refused else -1
    after = log[first + 1:]
    served = [r for r in after if r["status"] == 200]
    span = (after[-1]["t"] - log[first]["t"]) if after else 0.0
    achieved = len(served) / span if span else 0.0
    steady_span = (served[-1]["t"] - served[0]["t"]) if len(served) > 1 else 0.0
    steady = (len(served) - 1) / steady_span if steady_span else 0.0
    worst = max((sum(1 for u in served if t - args.window < u["t"] <= t) for t in (r["t"] for r in served)),
                default=0)
    print(f"replica limit: {args.limit} requests / {args.window:g} s = {limit_rate:.2f} req/s; "
          f"crawler started at {limit_rate * 10:.1f} req/s")
    print(f"{'requests before the first back-off':<46}{first + 1 if refused else len(log):>10}")
    print(f"{'requests served after it':<46}{len(served):>10}")
    print(f"{'rate once resumed (req/s)':<46}{steady:>10.2f}")
    print(f"{'  fraction of the limit':<46}{steady / limit_rate:>10.2f}")
    print(f"{'rate from the limit on, pause included (req/s)':<46}{achieved:>10.2f}")
    print(f"{'  fraction of the limit':<46}{achieved / limit_rate:>10.2f}")
    print(f"{'most requests in any window after it':<46}{worst:>10}")
    print(f"{'refused after the first back-off':<46}{len([i for i in refused if i > first]):>10}")


if __name__ == "__main__":
    main()
