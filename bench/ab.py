"""pixivcrawl against itself: the same job with the code of a base revision and of the working tree, in one run.

    python bench/ab.py --base REV [--jobs 1,3] [--runs 5] [--works 2000] [--latency 0] [-s NAME=VALUE …]

Checks the base revision out into a temporary git worktree, starts one replica (the one bench/peers.py uses),
then runs each job alternately with the base tree and with this tree (``--runs`` times each, so that a change in
the machine's load hits both alike). Each run is its own ``scrapy crawl`` process, limits off, into a new SQLite
file; only pixivcrawl runs (bench/peers.py compares with the peers). Prints per job the medians of wall seconds, CPU
seconds (the process's own rusage) and peak RSS, the requests the replica saw, and this tree's figures as ratios of
the base's (under 1.00: less); then whether the last run of each side stored the same (bench/compare_stores.py:
every table and column but ``*_at``, and for job 2 the files' bytes and modes). Jobs: 1 metadata of a --works
illust series, 2 the same plus every original image, 3 a week of App API rankings. ``--latency S`` adds S seconds to
every App API and CDN answer; ``-s NAME=VALUE`` gives this tree's runs a setting (``--base HEAD -s …`` measures a
setting alone).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from compare_stores import compare  # noqa: E402
from peers import Bench, bench_replica, post, replica_log, run_measured  # noqa: E402


def worktree(rev: str, into: Path) -> Path:
    """``rev`` checked out (detached) into ``into``; raises CalledProcessError for an unknown revision."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(into), rev], check=True)
    return into


def measure(bench: Bench, tree: Path, job: int, out: Path, settings: list[str] = ()) -> dict:
    """One crawl of ``job`` with the code in ``tree`` (and ``settings``, ``NAME=VALUE`` each): wall, CPU, peak RSS,
    requests, exit code."""
    shutil.rmtree(out, ignore_errors=True)  # a new database and files store: every run downloads everything
    cmd, env, _cwd = bench.command("pixivcrawl", job, out)
    cmd += [arg for setting in settings for arg in ("-s", setting)]
    env = {**env, "PYTHONPATH": str(tree)}  # this tree's pixivcrawl, whatever the venv's editable install says
    post(bench.origin, "/_replica/requests/clear")
    result = run_measured(cmd, env=env, cwd=tree)
    result["requests"] = len(replica_log(bench.origin))
    if result["exit"] != 0:
        print(f"  ! {tree.name} job {job}: exit {result['exit']}: {result['stderr'].strip().splitlines()[-1:]}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with (e.g. main, HEAD~3)")
    parser.add_argument("--jobs", default="1,3", help="jobs to run, comma-separated (1, 2, 3)")
    parser.add_argument("--runs", type=int, default=5, help="runs per tree and job")
    parser.add_argument("--works", type=int, default=2000, help="works in the crawled series")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a Scrapy setting for this tree's runs only (repeatable): with --base HEAD, a setting's "
                             "effect alone")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every App API/CDN answer")
    args = parser.parse_args()
    jobs = [int(j) for j in args.jobs.split(",")]
    with tempfile.TemporaryDirectory(prefix="pixivcrawl-ab-") as tmpdir, \
            bench_replica(args.works, image_cache=args.works * 8 + 4096) as (origin, pid):
        tmp = Path(tmpdir)
        base = worktree(args.base, tmp / "base")
        try:
            bench = Bench(args, origin, pid, None, tmp)
            if args.latency:
                post(origin, "/_replica/config", {"fault_slow": 1.0, "slow_seconds": args.latency,
                                                  "fault_hosts": ["app-api.pixiv.net", "i.pximg.net"]})
            results: dict[int, dict[str, list[dict]]] = {}
            for job in jobs:
                measure(bench, ROOT, job, tmp / "warm")  # the replica's caches, paid by neither side
                for n in range(args.runs):
                    for label, tree in (("base", base), ("this", ROOT)):
                        print(f"job {job} run {n + 1}/{args.runs}: {label} …", flush=True)
                        r = measure(bench, tree, job, tmp / f"out-{label}-job{job}",
                                    args.set if label == "this" else [])
                        results.setdefault(job, {}).setdefault(label, []).append(r)
            # what the last run of each side stored, compared (every table and column but *_at, files and modes)
            print("stored by the last base run against the last run of this tree:")
            for job in jobs:
                out = {label: tmp / f"out-{label}-job{job}" for label in ("base", "this")}
                print(f"  job {job}: ", end="", flush=True)
                compare(out["base"] / "pixivcrawl.db", out["this"] / "pixivcrawl.db",
                        (out["base"] / "files", out["this"] / "files") if job == 2 else None)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print()
    print(f"pixivcrawl at {args.base} (base) and this tree{' with ' + ' '.join(args.set) if args.set else ''}; "
          f"{args.runs} runs each, alternating; medians; "
          f"{os.cpu_count()} CPUs; load average at the end {os.getloadavg()[0]:.2f}"
          + (f"; {args.latency * 1000:g} ms per answer" if args.latency else ""))
    print(f"{'job':<5}{'tree':<6}{'wall s':>8}{'CPU s':>8}{'peak RSS MB':>13}{'requests':>10}{'exits':>8}")
    for job, sides in results.items():
        med = {label: {k: statistics.median(r[k] for r in runs) for k in ("wall", "cpu", "rss_mb", "requests")}
               for label, runs in sides.items()}
        for label, runs in sides.items():
            m = med[label]
            exits = ",".join(sorted({str(r["exit"]) for r in runs}))
            print(f"{job:<5}{label:<6}{m['wall']:>8.2f}{m['cpu']:>8.2f}{m['rss_mb']:>13.0f}{m['requests']:>10,.0f}"
                  f"{exits:>8}")
        ratio = {k: med["this"][k] / med["base"][k] for k in ("wall", "cpu", "rss_mb")}
        print(f"{job:<5}{'ratio':<6}{ratio['wall']:>8.2f}{ratio['cpu']:>8.2f}{ratio['rss_mb']:>13.2f}")


if __name__ == "__main__":
    main()
