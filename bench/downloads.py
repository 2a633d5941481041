"""Image download throughput of pixivcrawl against the replica, next to raw loopback throughput of the
same files.

    python bench/downloads.py [--series 3] [--concurrency 8] [--seconds 10]

1. Starts a replica and crawls the largest illust series with original images (``scrapy crawl
   illust_series``, metadata delay 0, ``PIXIV_CDN_CONCURRENCY`` = --concurrency) once to warm the replica's
   image cache, then again into an empty store and database: that second crawl is measured.
2. Fetches the very same files with wrk at the same concurrency for --seconds (the loopback ceiling).
3. Prints files/s and MB/s of both and their ratio. Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pixivcrawl.demo import replica_get, running_replica  # noqa: E402
from pixivcrawl.replica.accounts import replica_account  # noqa: E402

LUA = """
paths = {%s}
i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["X-Forwarded-Host"] = "i.pximg.net",
                                                      ["Referer"] = "https://www.pixiv.net/"})
end
"""


def crawl(origin: str, series: list[str], workdir: Path, concurrency: int) -> dict:
    stats_total = {"files": 0, "bytes": 0, "seconds": 0.0}
    db = workdir / "bench.db"
    for sid in series:
        stats_file = workdir / f"stats-{sid}.json"
        env = {**os.environ, "PIXIV_MIRROR": origin, "PIXIV_REFRESH_TOKEN": replica_account(0).refresh_token,
               "DATABASE_URL": f"sqlite:///{db}"}
        subprocess.run([sys.executable, "-m", "scrapy", "crawl", "illust_series", "-a", f"series_id={sid}",
                        "-s", "PIXIV_THROTTLE_APP_RATE=0", "-s", "PIXIV_THROTTLE_WEB_RATE=0",
                        "-s", "PIXIV_API_CONCURRENCY=4",
                        "-s", f"PIXIV_CDN_CONCURRENCY={concurrency}",
                        "-s", f"CONCURRENT_REQUESTS={concurrency + 4}", "-s", f"FILES_STORE={workdir / 'files'}",
                        "-s", "LOG_LEVEL=WARNING", "-s", f"PIXIV_STATS_FILE={stats_file}"],
                       cwd=ROOT, env=env, check=True)
        stats = json.loads(stats_file.read_text())
        stats_total["files"] += stats.get("pixiv/media/downloaded", 0)
        stats_total["bytes"] += stats.get("pixiv/media/bytes", 0)
        stats_total["seconds"] += stats["elapsed_time_seconds"]
    with sqlite3.connect(db) as conn:
        stats_total["paths"] = [urlsplit(u).path
                                for (u,) in conn.execute("select url from media where status = 'downloaded'")]
    return stats_total


def wrk(origin: str, paths: list[str], concurrency: int, seconds: int) -> tuple[float, float]:
    script = Path(tempfile.mkdtemp()) / "files.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths))
    out = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "-s", str(script), origin],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    amount, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out).groups()
    return rps, float(amount) * {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=3, help="how many of the largest series to crawl")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    with running_replica(3000) as origin:
        world = replica_get(origin, "/_replica/world")
        series = sorted(world["illust_series"], key=lambda s: -len(world["illust_series"][s]))[: args.series]
        with tempfile.TemporaryDirectory() as warm:
            crawl(origin, series, Path(warm), args.concurrency)
        with tempfile.TemporaryDirectory() as measured:
            result = crawl(origin, series, Path(measured), args.concurrency)
        rps, mbs = wrk(origin, result["paths"], args.concurrency, args.seconds)
    files_s = result["files"] / result["seconds"]
    mb_s = result["bytes"] / 1e6 / result["seconds"]
    print(f"{result['files']} files, {result['bytes'] / 1e6:.1f} MB from {len(series)} series; concurrency "
          f"{args.concurrency}; crawl time includes its metadata requests and writes")
    print(f"{'':<28}{'files/s':>10}{'MB/s':>10}")
    print(f"{'pixivcrawl (scrapy crawl)':<28}{files_s:>10.1f}{mb_s:>10.1f}")
    print(f"{'wrk, same files (ceiling)':<28}{rps:>10.1f}{mbs:>10.1f}")
    print(f"{'ratio':<28}{files_s / rps:>10.2f}{mb_s / mbs:>10.2f}")


if __name__ == "__main__":
    main()
