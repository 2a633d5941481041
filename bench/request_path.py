"""CPU per request of pixivcrawl's request path, at a base revision and in this tree, in one run.

    python bench/request_path.py --base REV [--requests 2000] [--runs 5] [-s NAME=VALUE ...]

Starts one replica (bench/peers.py's) and runs bench/request_path_spider.py — ``--requests`` App API illust details
whose answers are dropped, no item — and the same crawl with a single request, alternately with the base tree and
this one. The difference of the two medians of CPU seconds (the process's own rusage), divided by the requests,
is what one request costs from the spider's yield to its callback, start-up left out. ``-s`` settings go to both
crawls (e.g. ``-s CONCURRENT_ITEMS=8``). Limits off, 8 App API requests at once, as bench/peers.py's jobs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from ab import worktree  # noqa: E402
from peer_user_jobs import refresh_token  # noqa: E402
from peers import bench_replica, replica_get, run_measured  # noqa: E402


def crawl(tree: Path, origin: str, ids: list, out: Path, settings: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "PIXIV_MIRROR": origin, "PIXIV_REFRESH_TOKEN": refresh_token(0),
           "DATABASE_URL": f"sqlite:///{out / 'unused.db'}", "REQUEST_PATH_IDS": ",".join(map(str, ids))}
    cmd = [sys.executable, "-m", "scrapy", "runspider", BENCH / "request_path_spider.py",
           "-s", "PIXIV_THROTTLE_APP_RATE=0", "-s", "PIXIV_API_CONCURRENCY=8", "-s", "LOG_LEVEL=WARNING",
           *[a for s in settings for a in ("-s", s)]]
    result = run_measured(cmd, env=env, cwd=tree)
    if result["exit"] != 0:
        print(f"  ! {tree.name}: exit {result['exit']}: {result['stderr'].strip().splitlines()[-1:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with")
    parser.add_argument("--requests", type=int, default=2000, help="App API requests per crawl (at most 2,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per tree")
    parser.add_argument("-s", dest="settings", action="append", default=[], help="NAME=VALUE for both crawls")
    args = parser.parse_args()
    cpu: dict[tuple[str, int], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="pixivcrawl-rp-") as tmpdir, \
            bench_replica(2000) as (origin, _pid):
        tmp = Path(tmpdir)
        world = replica_get(origin, "/_replica/world")
        ids = world["illust_series"][min(world["illust_series"], key=int)][:args.requests]
        base = worktree(args.base, tmp / "base")
        try:
            crawl(ROOT, origin, ids, tmp, args.settings)  # the replica's caches, paid by neither side
            for n in range(args.runs):
                for label, tree in (("base", base), ("this", ROOT)):
                    for count in (len(ids), 1):
                        print(f"run {n + 1}/{args.runs}: {label}, {count} request(s) …", flush=True)
                        cpu.setdefault((label, count), []).append(crawl(tree, origin, ids[:count], tmp,
                                                                        args.settings)["cpu"])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    extra = "; " + " ".join(args.settings) if args.settings else ""
    print(f"\nrequest path at {args.base} (base) and this tree; {args.runs} runs each, alternating; medians; "
          f"load average at the end {os.getloadavg()[0]:.2f}{extra}")
    print(f"{'tree':<6}{'CPU s, ' + str(len(ids)) + ' requests':>22}{'CPU s, 1 request':>18}{'ms per request':>16}")
    per = {}
    for label in ("base", "this"):
        full, one = statistics.median(cpu[(label, len(ids))]), statistics.median(cpu[(label, 1)])
        per[label] = (full - one) / (len(ids) - 1) * 1000
        print(f"{label:<6}{full:>22.2f}{one:>18.2f}{per[label]:>16.3f}")
    print(f"{'ratio':<6}{'':>40}{per['this'] / per['base']:>16.2f}")


if __name__ == "__main__":
    main()
