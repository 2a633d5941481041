"""The same crawls with pixivcrawl, gallery-dl and a pixivpy script, side by side, on one replica.

    python bench/peers.py [--works 2000] [--jobs 1,2,3,4,5,6] [--user-world 21000] [--peers-venv DIR]
                          [--limit-rate 10] [--api-concurrency 16] [--rss-scan] [--profile DIR]

1. Makes (once) a virtualenv outside the repository with the peers from PyPI, at the versions pinned below
   (``--peers-venv``, default ``~/.cache/pixivcrawl-bench/peers-venv``). Their code is not copied: the
   adapters in bench/peer_adapters/ only send their requests to the replica (``mirror.py``, the same job
   as ``PIXIV_MIRROR``) and, for pixivpy, are the loop a user would write.
2. Starts a replica whose first illust series has --works works (a world about 22 times that size, so
   that one user owns enough works), and runs three jobs with each tool, limits off, each in its own
   process: (1) metadata of the series, (2) the same plus every original image (and ugoira zip), (3) a
   week of daily rankings from the App API (pixivcrawl with ``--api-concurrency`` App API requests in flight,
   default 16; the peers send one at a time). Per run: wall seconds, requests (the replica's log, cleared
   between runs), works/s, MB (job 2: the image files written; jobs 1 and 3: requests × the mean answer size wrk saw
   for the same requests), peak RSS and CPU seconds
   (``wait4`` rusage of that process alone), the ratio to the best peer, and the fraction of the ceiling.
3. The ceiling: wrk against the replica with exactly the requests pixivcrawl sent in that job.
4. Job 1 again with --latency seconds (default 0.02 and 0.1) added to every App API answer (the replica's
   ``fault_slow``): a network round trip, which loopback does not have. Then job 1 with the replica's App
   API limited to --limit-rate requests/s (over a 5 s window), each
   tool paced to that rate the way its users do it (pixivcrawl ``PIXIV_THROTTLE_APP_RATE``, gallery-dl
   ``sleep-request``, a sleep in the pixivpy loop): achieved rate as a fraction of the limit, limits met.
5. SQL: rows/s of pixivcrawl's batched upserts into SQLite (the storage pipeline's code, no crawl).
6. Jobs 4, 5 and 6 (bench/peer_user_jobs.py: a user's works, 1,000 bookmarks, ``following works=1`` over 20
   users) on a replica of the standard world with --user-world works (21,000: its first user has about
   1,000 works), in which account 0 follows 20 users
   publicly: requests per 100 works, wall time on loopback and at 100 ms, the rate-limited run, and job 6's
   incremental re-run.
7. With --rss-scan: pixivcrawl's job 1 at 2,000, 20,000 and 100,000 works (peak RSS should stay flat).
   With --profile DIR: pixivcrawl's jobs 1 and 2 under py-spy, and the top costs.

Needs wrk (Debian: apt-get install wrk). Takes about 9 minutes with the defaults on 2 cores.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
ADAPTERS = BENCH / "peer_adapters"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from peer_user_jobs import FOLLOWS, USER_JOBS, UserJobs, print_user_jobs, refresh_token, run_user_jobs  # noqa: E402
from replica_load import token, wrk_mix  # noqa: E402

from pixivcrawl.demo import replica_get, replica_process  # noqa: E402

#: the versions measured (bench/README.md); change them here to measure others
PEERS = {"gallery-dl": "1.32.18", "pixivpy3": "3.7.5"}
DEFAULT_VENV = Path.home() / ".cache" / "pixivcrawl-bench" / "peers-venv"
TOOLS = ("pixivcrawl", "gallery-dl", "pixivpy")
LIMIT_WINDOW = 5.0
RUN_TIMEOUT = 900

#: the replica, with its first illust series made as large as asked and an image cache that holds a
#: whole job (the world is otherwise the standard seeded one)
REPLICA_BOOT = """
import functools, sys
import pixivcrawl.replica.images as images
import pixivcrawl.replica.world as world
world.FIRST_ILLUST_SERIES_SIZE = int(sys.argv.pop(1))
cache = int(sys.argv.pop(1))
follows = int(sys.argv.pop(1))
try:  # jobs 4-6: account 0 follows this many users, all publicly
    import pixivcrawl.replica.follow_graph as follow_graph
    follow_graph.FIRST_USER_FOLLOWS = follows
    follow_graph.PRIVATE_SHARE = 0.0
except ImportError:
    pass
init = images.ImageFactory.__init__
def bench_init(self, w, *args, **kwargs):
    init(self, w, *args, **kwargs)
    self.page = functools.lru_cache(maxsize=cache)(self._page)
images.ImageFactory.__init__ = bench_init
from pixivcrawl.replica.cli import main
main()
"""


@contextmanager
def bench_replica(series_size: int, image_cache: int = 4096, works: int | None = None,
                  follows: int = 20) -> Iterator[tuple[str, int]]:
    """A replica whose first illust series has ``series_size`` works in a world of ``works`` works (default:
    about 22 times the series), in which account 0 follows ``follows`` users publicly; (origin, pid)."""
    works = works or series_size * 22 + 5000
    cmd = [sys.executable, "-c", REPLICA_BOOT, str(series_size), str(image_cache), str(follows), "--port", "0",
           "--works", str(works), "--search-page-cap", "100000"]
    with replica_process(cmd, cwd=ROOT) as running:
        yield running


def post(origin: str, path: str, payload: dict | None = None) -> dict:
    req = urllib.request.Request(f"{origin}{path}", data=json.dumps(payload or {}).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


# -- the peers' virtualenv --------------------------------------------------------------------------------

def peers_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    want = [f"{name}=={version}" for name, version in PEERS.items()]
    if python.exists():
        have = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True, check=False).stdout
        have = have.lower().replace("_", "-")
        if all(w.lower() in have for w in want):
            return python
    print(f"installing {' '.join(want)} into {venv} …", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", *want], check=True)
    return python


# -- one measured run -------------------------------------------------------------------------------------

#: where the measured processes keep their bytecode (``PYTHONPYCACHEPREFIX``), across runs and bench scripts
PYCACHE = Path.home() / ".cache" / "pixivcrawl-bench" / "pycache"


def bytecode_env(env: dict | None) -> dict:
    """``env`` (default: this process's) with Python's bytecode cache on: ``PYTHONDONTWRITEBYTECODE`` dropped and
    ``PYTHONPYCACHEPREFIX`` set to :data:`PYCACHE`. An installed pixivcrawl, gallery-dl or pixivpy has its ``.pyc``
    files; without a cache, an editable checkout would be compiled from source in every run (about 0.2 s)."""
    env = {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def warm_bytecode(peers: Path) -> None:
    """Fill :data:`PYCACHE` before any measured run, so that no tool's first run compiles its modules."""
    env = bytecode_env(None)
    subprocess.run([peers, "-c", "import gallery_dl.__main__, gallery_dl.extractor.pixiv, pixivpy3, requests"],
                   env=env, check=True)
    subprocess.run([sys.executable, "-c", ("import pixivcrawl.spiders.illust_series, pixivcrawl.spiders.ranking, "
                    "pixivcrawl.pipelines.sql, pixivcrawl.pipelines.files, pixivcrawl.db.migrate, scrapy.cmdline")],
                   env=env, cwd=ROOT, check=True)
    subprocess.run([sys.executable, "-m", "scrapy", "list"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def run_measured(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None,
                 timeout: float = RUN_TIMEOUT) -> dict:
    """Run one process to its end; its wall time and its own rusage (wait4: peak RSS, CPU). The process runs with
    Python's bytecode cache on (:func:`bytecode_env`), as an installed tool has its ``.pyc`` files."""
    env = bytecode_env(env)
    with tempfile.TemporaryFile(mode="w+") as errors:
        started = time.monotonic()
        proc = subprocess.Popen([str(c) for c in cmd], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = started + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.monotonic() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read()
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
            "exit": code, "timed_out": timed_out, "stderr": err[-2000:]}


def replica_log(origin: str) -> list[dict]:
    return replica_get(origin, "/_replica/requests")["requests"]


class Bench:
    def __init__(self, args: argparse.Namespace, origin: str, pid: int, python: Path, tmp: Path) -> None:
        self.args, self.origin, self.pid, self.peers_python, self.tmp = args, origin, pid, python, tmp
        world = replica_get(origin, "/_replica/world")
        self.series_id = min(world["illust_series"], key=int)
        self.members = world["illust_series"][self.series_id]
        latest = world["latest_ranking_date"]
        self.days = [d.isoformat() for d in _days(world["ranking_week_start"], latest)]
        self.token = token(origin)
        first = self._app(f"/v1/illust/detail?illust_id={self.members[0]}")
        self.owner = first["illust"]["user"]["id"]
        self.gdl_config = tmp / "gallery-dl.json"
        #: pixivcrawl's App API requests in flight (PIXIV_API_CONCURRENCY; the peers send one at a time)
        self.api_concurrency = getattr(args, "api_concurrency", 16)
        self.runs: list[dict] = []
        self.user_jobs: UserJobs | None = None

    def _app(self, path: str) -> dict:
        req = urllib.request.Request(f"{self.origin}{path}", headers={
            "X-Forwarded-Host": "app-api.pixiv.net", "Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    # commands ----------------------------------------------------------------------------------------------

    def command(self, tool: str, job: int, out: Path, paced: float = 0.0,
                incremental: bool = False) -> tuple[list, dict, Path | None]:
        out.mkdir(parents=True, exist_ok=True)
        if tool == "pixivcrawl":
            account = 0
            if job in USER_JOBS:
                spider, account = self.user_jobs.pixivcrawl_spider(job, incremental)
            elif job == 3:
                spider = ["ranking", "-a", "api=app", "-a", "mode=day", "-a", f"date_from={self.days[0]}",
                          "-a", f"date_to={self.days[-1]}"]
            else:
                spider = ["illust_series", "-a", f"series_id={self.series_id}"]
            env = {**os.environ, "PIXIV_MIRROR": self.origin, "PIXIV_REFRESH_TOKEN": refresh_token(account),
                   "DATABASE_URL": f"sqlite:///{out / 'pixivcrawl.db'}"}
            rate = ["-s", f"PIXIV_THROTTLE_APP_RATE={1 / paced:g}"] if paced else \
                ["-s", "PIXIV_THROTTLE_APP_RATE=0", "-s", "PIXIV_THROTTLE_WEB_RATE=0"]
            cmd = [sys.executable, "-m", "scrapy", "crawl", *spider, *rate,
                   "-s", f"PIXIV_API_CONCURRENCY={self.api_concurrency}",
                   "-s", f"PIXIV_FILES_IMAGE_SIZE={'original' if job == 2 else 'none'}",
                   "-s", f"FILES_STORE={out / 'files'}",
                   "-s", "LOG_LEVEL=WARNING", "-s", f"PIXIV_STATS_FILE={out / 'stats.json'}"]
            return cmd, env, ROOT
        if tool == "gallery-dl":
            account = 0
            if job in USER_JOBS:
                url, account = self.user_jobs.gallerydl_url(job)
            config = {"cache": {"file": str(out / "cache.sqlite3")}, "extractor": {"base-directory": str(out),
                                    "pixiv": {"refresh-token": refresh_token(account), "sanity": False,
                                              **({"sleep-request": paced} if paced else {})}}}
            path = out / "gallery-dl.json"
            path.write_text(json.dumps(config))
            if job in USER_JOBS:
                urls = [url]
            elif job == 3:
                urls = [f"https://www.pixiv.net/ranking.php?mode=daily&date={d.replace('-', '')}" for d in self.days]
            else:
                urls = [f"https://www.pixiv.net/user/{self.owner}/series/{self.series_id}"]
            flags = ["--write-metadata"] + ([] if job == 2 else ["--no-download"])
            return ([self.peers_python, ADAPTERS / "gallerydl_replica.py", self.origin, "--config", path, "-q",
                     *flags, *urls], None, out)
        account = 0
        if job in USER_JOBS:
            target, account = self.user_jobs.pixivpy_target(job)
        else:
            target = ["ranking", ",".join(self.days)] if job == 3 else ["series", self.series_id]
        extra = (["--download", out / "files"] if job == 2 else []) + (["--sleep", str(paced)] if paced else [])
        extra += ["--refresh-token", refresh_token(account)]
        return [self.peers_python, ADAPTERS / "pixivpy_job.py", self.origin, *target, out / "works.jsonl",
                *extra], None, out

    def run(self, tool: str, job: int, *, paced: float = 0.0, keep_log: bool = False,
            wrap: list[str] | None = None, label: str = "", keep_out: bool = False,
            incremental: bool = False) -> dict:
        """One measured run; its output folder is removed afterwards unless ``keep_out`` (the next run with the
        same label then finds it: an incremental re-run into the same database)."""
        out = self.tmp / f"{tool}-job{job}{label}"
        if not incremental:
            shutil.rmtree(out, ignore_errors=True)
        cmd, env, cwd = self.command(tool, job, out, paced, incremental)
        post(self.origin, "/_replica/requests/clear")
        result = run_measured((wrap or []) + cmd, env=env, cwd=cwd)
        log = replica_log(self.origin)
        works = len(self.members) if job in (1, 2) else None
        if job == 3:
            works = self.ranking_entries
        elif job in USER_JOBS:
            works = self.user_jobs.works[job]
        result.update(tool=tool, job=job, requests=len(log), works=works,
                      limited=sum(1 for r in log if r.get("limited")),
                      errors=sum(1 for r in log if (r["status"] or 500) >= 400 and not r.get("limited")))
        app = [r for r in log if r["host"] == "app-api.pixiv.net"]
        span = app[-1]["t"] - app[0]["t"] if len(app) > 1 else 0.0
        result["app_rate"] = sum(1 for r in app if r["status"] == 200) / span if span else 0.0
        result["paths"] = collections.Counter(r["path"] for r in log)
        if keep_log:
            result["log"] = log
        if result["exit"] != 0 or result["timed_out"]:
            print(f"  ! {tool} job {job}: exit {result['exit']}{' (timed out)' if result['timed_out'] else ''}: "
                  f"{result['stderr'].strip().splitlines()[-1:] or ''}", flush=True)
        if job == 2:
            result["files_mb"] = sum(f.stat().st_size for f in out.rglob("*")
                                     if f.is_file() and f.suffix in (".jpg", ".png", ".gif", ".zip")) / 1e6
        if not keep_out:
            shutil.rmtree(out, ignore_errors=True)
        return result

    @property
    def ranking_entries(self) -> int:
        if not hasattr(self, "_entries"):
            total = 0
            for day in self.days:
                url = f"/v1/illust/ranking?mode=day&date={day}"
                while url:
                    page = self._app(url)
                    total += len(page["illusts"])
                    nxt = page.get("next_url")
                    url = nxt.split("app-api.pixiv.net", 1)[1] if nxt else None
            self._entries = total
        return self._entries

    def ceiling(self, log: list[dict], seconds: int, connections: int) -> tuple[float, float]:
        """wrk with the very requests of a crawl (the token refresh left out)."""
        headers = {"app-api.pixiv.net": {"X-Forwarded-Host": "app-api.pixiv.net",
                                         "Authorization": f"Bearer {self.token}"},
                   "i.pximg.net": {"X-Forwarded-Host": "i.pximg.net", "Referer": "https://www.pixiv.net/"}}
        mix = [(r["path"] + (f"?{r['query']}" if r["query"] else ""), headers[r["host"]])
               for r in log if r["host"] in headers]
        return wrk_mix(self.origin, mix, seconds, connections)


def _days(start: str, end: str):
    from datetime import date, timedelta

    day, last = date.fromisoformat(start), date.fromisoformat(end)
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- SQL rows/s -------------------------------------------------------------------------------------------

def sql_rows_per_second(works: int, tmp: Path) -> dict:
    """Write ``works`` App API illust records (parsed as the spiders parse them) through the storage
    pipeline's code — item_rows, Batch (500 items), Store.write — into a new SQLite file, then again (the
    re-crawl: every row an update)."""
    from pixivcrawl.db.rows import item_rows
    from pixivcrawl.db.store import Batch, Store
    from pixivcrawl.parsers.app_api import parse_illust
    from pixivcrawl.replica import app_objects as ao
    from pixivcrawl.replica.world import ILLUST_BASE, World

    world = World(seed=1, works=works)
    items = [parse_illust(ao.illust_obj(world, ILLUST_BASE + i, detail=True)) for i in range(works)]
    db = tmp / "sql-bench.db"
    store = Store(f"sqlite:///{db}")
    store.upgrade()
    result = {}
    for label in ("insert", "update"):
        rows = 0
        write_seconds = 0.0
        started = time.perf_counter()
        batch = Batch()
        for n, item in enumerate(items, 1):
            batch.add(item_rows(item))
            if len(batch) >= 500 or n == len(items):
                t = time.perf_counter()
                rows += sum(store.write(batch).values())
                write_seconds += time.perf_counter() - t
                batch = Batch()
        total = time.perf_counter() - started
        result[label] = {"rows": rows, "items": works, "rows_s": rows / total, "write_rows_s": rows / write_seconds,
                         "items_s": works / total}
    store.dispose()
    return result


# -- profile ----------------------------------------------------------------------------------------------

def top_costs(raw: Path, n: int = 12) -> list[tuple[float, str]]:
    """From py-spy's raw (collapsed) output: the functions of pixivcrawl with the most time spent in them
    or below them, as a share of all samples."""
    total = 0
    cum: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, count = line.rsplit(" ", 1)
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = re.sub(r":\d+\)$", ")", frame)
            if "pixivcrawl/" in name and "<module>" not in name and name not in seen:
                seen.add(name)
                cum[name] += int(count)
    return [(100 * c / total, name) for name, c in cum.most_common(n)]


# -- report -----------------------------------------------------------------------------------------------

JOBS = {1: "metadata of a {n:,}-work illust series", 2: "the same plus every original image",
        3: "a week of daily rankings (App API), {e:,} entries"}


def print_job(job: int, runs: list[dict], ceiling: tuple[float, float], base_requests: int, bench: Bench) -> None:
    by_tool = {r["tool"]: r for r in runs}
    for r in runs:
        r["works_s"] = r["works"] / r["wall"]
    best_peer = max(by_tool[t]["works_s"] for t in ("gallery-dl", "pixivpy"))
    rps, mbs = ceiling
    per_request = mbs / rps  # MB per request of this job's mix, as wrk received it
    for r in runs:
        r["mb"] = r.get("files_mb") or r["requests"] * per_request
        r["mb_s"] = r["mb"] / r["wall"]
    works = runs[0]["works"]
    ceiling_works_s = rps * works / base_requests
    print()
    print(f"Job {job}: " + JOBS[job].format(n=len(bench.members), e=works))
    print(f"{'tool':<14}{'wall s':>8}{'requests':>10}{'works/s':>10}{'MB':>9}{'MB/s':>8}{'peak RSS MB':>13}"
          f"{'CPU s':>8}{'vs best peer':>14}{'of ceiling':>12}")
    for tool in TOOLS:
        r = by_tool[tool]
        print(f"{tool:<14}{r['wall']:>8.2f}{r['requests']:>10,}{r['works_s']:>10,.0f}{r['mb']:>9.1f}{r['mb_s']:>8.1f}"
              f"{r['rss_mb']:>13.0f}{r['cpu']:>8.2f}{r['works_s'] / best_peer:>13.2f}x"
              f"{r['works_s'] / ceiling_works_s:>12.2f}")
    print(f"{'ceiling (wrk)':<14}{'':>8}{'':>10}{ceiling_works_s:>10,.0f}{'':>9}{mbs:>8.1f}{'':>13}{'':>8}{'':>14}"
          f"{1:>12.2f}   ({rps:,.0f} req/s, pixivcrawl's {base_requests:,} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=2000, help="works in the crawled series")
    parser.add_argument("--peers-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--limit-rate", type=float, default=10.0, help="App API requests/s of the limited run")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--sql-works", type=int, default=5000, help="works written by the SQL measurement")
    parser.add_argument("--rss-scan", action="store_true", help="pixivcrawl's job 1 at 2,000/20,000/100,000 works")
    parser.add_argument("--profile", type=Path, help="profile pixivcrawl's jobs 1 and 2 with py-spy into DIR")
    parser.add_argument("--latency", type=float, nargs="*", default=[0.02, 0.1],
                        help="seconds added to every answer in last runs of job 1, one run per value "
                             "(a network round trip: ~0.02 s in Japan, 0.1-0.25 s from elsewhere; none: no such run)")
    parser.add_argument("--api-concurrency", type=int, default=16,
                        help="pixivcrawl's PIXIV_API_CONCURRENCY in every run (default 16, Scrapy's "
                             "CONCURRENT_REQUESTS; its default of 1 is for pixiv's limits, which these runs lift)")
    parser.add_argument("--skip-images", action="store_true", help="leave job 2 out")
    parser.add_argument("--jobs", default="1,2,3,4,5,6", help="which jobs to run (comma-separated)")
    parser.add_argument("--user-world", type=int, default=21000,
                        help="works in the world of jobs 4-6 (its users and their follows)")
    args = parser.parse_args()
    jobs = sorted({int(j) for j in args.jobs.split(",")} - ({2} if args.skip_images else set()))
    if any(j in (1, 2, 3) for j in jobs) and not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk); jobs 4-6 run without it (--jobs 4,5,6)")
    python = peers_python(args.peers_venv)
    versions = subprocess.run([python, "-c", ("import gallery_dl.version as g, importlib.metadata as m; "
                                              "print(g.__version__, m.version('pixivpy3'))")],
                              capture_output=True, text=True, check=True).stdout.split()
    warm_bytecode(python)
    import scrapy

    print(f"pixivcrawl (Scrapy {scrapy.__version__}), gallery-dl {versions[0]}, pixivpy3 {versions[1]}; "
          f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')}; "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)
    if series_jobs := [j for j in jobs if j in (1, 2, 3)]:
        run_series_jobs(args, python, series_jobs)
    if user_jobs := [j for j in jobs if j in USER_JOBS]:
        run_user_part(args, python, user_jobs)


def run_series_jobs(args: argparse.Namespace, python: Path, jobs: list[int]) -> None:
    """Jobs 1-3 and what comes with them: ceilings, the limited and latency runs of job 1, SQL, profiles, RSS."""
    with tempfile.TemporaryDirectory(prefix="pixivcrawl-peers-") as tmpdir, \
            bench_replica(args.works, image_cache=args.works * 8 + 4096) as (origin, pid):
        tmp = Path(tmpdir)
        bench = Bench(args, origin, pid, python, tmp)
        print(f"replica {origin}: series {bench.series_id} with {len(bench.members):,} works; "
              f"rankings {bench.days[0]} … {bench.days[-1]}", flush=True)
        results: dict[int, tuple[list[dict], tuple[float, float], int]] = {}
        for job in jobs:
            # warm the replica's caches (objects, image bytes) so that no tool pays for them
            print(f"job {job}: warming the replica …", flush=True)
            bench.run("pixivpy", job, label="-warm")
            runs = []
            for tool in TOOLS:
                print(f"job {job}: {tool} …", flush=True)
                runs.append(bench.run(tool, job, keep_log=(tool == "pixivcrawl")))
            base = runs[0].pop("log")
            print(f"job {job}: wrk ceiling …", flush=True)
            results[job] = (runs, bench.ceiling(base, args.seconds, args.connections), len(base))
        # the limited run
        limit = args.limit_rate
        post(origin, "/_replica/config", {"rate_limit": round(limit * LIMIT_WINDOW), "rate_window": LIMIT_WINDOW})
        limited = []
        for tool in TOOLS:
            print(f"limited: {tool} …", flush=True)
            time.sleep(LIMIT_WINDOW)  # an empty window for each tool
            limited.append(bench.run(tool, 1, paced=1 / limit, label="-limited"))
        post(origin, "/_replica/config", {"rate_limit": 0})
        latency_runs: dict[float, list[dict]] = {}
        for latency in args.latency:
            # every App API and CDN answer delayed by this many seconds: the round trip of a real network
            post(origin, "/_replica/config", {"fault_slow": 1.0, "slow_seconds": latency,
                                              "fault_hosts": ["app-api.pixiv.net", "i.pximg.net"]})
            for tool in TOOLS:
                print(f"latency {latency:g} s: {tool} …", flush=True)
                latency_runs.setdefault(latency, []).append(bench.run(tool, 1, label="-latency"))
            post(origin, "/_replica/config", {"fault_slow": 0.0})
        profiles = {}
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            for job in [j for j in jobs if j in (1, 2)]:
                raw = args.profile / f"pixivcrawl-job{job}.txt"
                print(f"profile: pixivcrawl job {job} …", flush=True)
                bench.run("pixivcrawl", job, label="-profile",
                          wrap=[spy, "record", "-r", "250", "--format", "raw", "-o", str(raw), "--"])
                profiles[job] = top_costs(raw)
        print("SQL: writing …", flush=True)
        sql = sql_rows_per_second(args.sql_works, tmp)

    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other processes on the machine skew the figures)")
    for job in jobs:
        print_job(job, *results[job], bench)
    if 2 in results:
        print("  job 2 files written (MB): " + ", ".join(f"{r['tool']} {r.get('files_mb', 0):.0f}"
                                                     for r in results[2][0]))
    print()
    print(f"Job 1 with the replica's App API limited to {limit:g} requests/s ({round(limit * LIMIT_WINDOW)} per "
          f"{LIMIT_WINDOW:g} s), each tool paced to it")
    print(f"{'tool':<14}{'wall s':>8}{'requests':>10}{'app req/s':>11}{'of limit':>10}{'limits met':>12}{'errors':>8}")
    for r in limited:
        print(f"{r['tool']:<14}{r['wall']:>8.1f}{r['requests']:>10,}{r['app_rate']:>11.2f}"
              f"{r['app_rate'] / limit:>10.2f}{r['limited']:>12}{r['errors']:>8}")
    for latency, runs in latency_runs.items():
        print()
        print(f"Job 1 with {latency * 1000:g} ms added to every App API answer (a network round trip), limits off")
        best_peer = max(r["works"] / r["wall"] for r in runs if r["tool"] != "pixivcrawl")
        print(f"{'tool':<14}{'wall s':>8}{'requests':>10}{'works/s':>10}{'vs best peer':>14}")
        for r in runs:
            print(f"{r['tool']:<14}{r['wall']:>8.2f}{r['requests']:>10,}{r['works'] / r['wall']:>10,.0f}"
                  f"{r['works'] / r['wall'] / best_peer:>13.2f}x")
    print()
    print(f"SQL (SQLite, {args.sql_works:,} works, batches of 500): "
          + "; ".join(f"{k}: {v['rows']:,} rows, {v['rows_s']:,.0f} rows/s end to end "
                      f"({v['items_s']:,.0f} works/s), {v['write_rows_s']:,.0f} rows/s in Store.write"
                      for k, v in sql.items()))
    for job, costs in profiles.items():
        print()
        print(f"profile of pixivcrawl job {job} (share of samples in or below; py-spy, {args.profile})")
        for share, name in costs:
            print(f"  {share:5.1f}%  {name}")
    if args.rss_scan:
        print()
        print("pixivcrawl job 1 by series size (peak RSS should stay flat)")
        print(f"{'works':>9}{'wall s':>9}{'works/s':>10}{'requests':>10}{'peak RSS MB':>13}{'CPU s':>8}")
        for size in (2000, 20_000, 100_000):
            with tempfile.TemporaryDirectory(prefix="pixivcrawl-rss-") as tmpdir, \
                    bench_replica(size) as (origin, pid):
                scan = Bench(args, origin, pid, python, Path(tmpdir))
                r = scan.run("pixivcrawl", 1)
                print(f"{len(scan.members):>9,}{r['wall']:>9.1f}{r['works'] / r['wall']:>10,.0f}{r['requests']:>10,}"
                      f"{r['rss_mb']:>13.0f}{r['cpu']:>8.1f}", flush=True)


def run_user_part(args: argparse.Namespace, python: Path, jobs: list[int]) -> None:
    """Jobs 4-6 (bench/peer_user_jobs.py) on a replica of the standard world with ``--user-world`` works."""
    with tempfile.TemporaryDirectory(prefix="pixivcrawl-peers-") as tmpdir, \
            bench_replica(100, works=args.user_world, follows=FOLLOWS) as (origin, pid):
        bench = Bench(args, origin, pid, python, Path(tmpdir))
        world = replica_get(origin, "/_replica/world")
        bench.user_jobs = UserJobs(bench._app, world["users"], jobs)
        print(f"replica {origin}, {world['works']:,} works: " + "; ".join(
            f"job {job}: {bench.user_jobs.title(job)}" for job in jobs), flush=True)
        results = run_user_jobs(bench, jobs, args.limit_rate, post, LIMIT_WINDOW)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print_user_jobs(results, bench.user_jobs, args.limit_rate)


if __name__ == "__main__":
    main()
