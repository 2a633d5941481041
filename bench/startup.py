"""How long pixivcrawl takes from process start to its first request, next to ``python -c pass``.

    python bench/startup.py [--runs 9] [--base REV] [--works 3000]

Starts one replica (``pixivcrawl/replica``) behind a relay of this script's own: a TCP listener that passes every
connection on to the replica and notes when the first bytes of the first request arrive. Then runs, each in its own
process, ``--runs`` times (alternately, so that the machine's load hits every row alike):

- ``python -c pass``: the interpreter alone, the baseline;
- ``python -c "import scrapy"``;
- ``scrapy crawl illust_series -a series_id=…`` (the replica's first illust series, limits off, as bench/peers.py
  runs job 1) from process start to the first request the relay sees, into a new SQLite file, and into a file
  already at the newest schema (``pixivcrawl db upgrade`` once, copied for each run); the crawl is killed there;
- ``scrapy crawl illust_series -a series_id=abc``: a crawl refused at once (a bad argument), start to exit;
- ``pixivcrawl get https://www.pixiv.net/user/…/series/…`` (the same series), start to the first request, into a
  database at the newest schema.

Every process runs with Python's bytecode cache on, kept in the temporary folder (``PYTHONPYCACHEPREFIX``;
``PYTHONDONTWRITEBYTECODE`` is dropped): an installed pixivcrawl has its ``.pyc`` files, and without them each run
would compile pixivcrawl's modules from source again. A run's clock starts just before ``Popen``. Prints per row the
median, min and max wall seconds, the median CPU seconds (the process's own rusage, up to its exit or kill), and the
median as a ratio of ``python -c pass``'s and as seconds above it. With ``--base REV`` every row also runs with that
revision's code (a temporary git worktree, as bench/ab.py does: ``PYTHONPATH`` and the working directory point at
the tree), alternating with this tree's, and a third line per row gives this tree's median over the base's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from pixivcrawl.demo import replica_get, running_replica  # noqa: E402

RUN_TIMEOUT = 60.0


class Relay:
    """A TCP listener on a free local port that relays each connection to ``target`` (host, port) and notes, in
    ``first``, the ``time.monotonic()`` at which the first bytes of any connection arrived since :meth:`reset`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.first: float | None = None
        self.arrived = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.origin = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        self.first = None
        self.arrived.clear()

    def _accept(self) -> None:
        while True:
            client, _ = self.server.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            data = client.recv(65536)
            if not data:
                return
            if self.first is None:
                self.first = time.monotonic()
                self.arrived.set()
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                return
            with upstream:
                upstream.sendall(data)
                back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
                back.start()
                self._pump(client, upstream)
                back.join()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def run_once(cmd: list[str], env: dict, cwd: Path, relay: Relay | None) -> dict:
    """One process: wall seconds from just before Popen to its first request at ``relay`` (then it is killed), or
    to its exit when ``relay`` is None; its CPU seconds (rusage) and exit status."""
    if relay:
        relay.reset()
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors,
                                start_new_session=True)
        end = None
        while True:
            if relay and relay.arrived.wait(0.002):
                end = relay.first
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                end = time.monotonic() if relay is None else None
                break
            if time.monotonic() > started + RUN_TIMEOUT:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            if relay is None:
                time.sleep(0.002)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        err = errors.read().decode(errors="replace")
    if end is None:
        raise RuntimeError(f"{' '.join(cmd[:6])} …: no first request (exit {code}): {err.strip().splitlines()[-3:]}")
    return {"wall": end - started, "cpu": usage.ru_utime + usage.ru_stime, "exit": code if relay is None else None}


class Rows:
    """The measured commands, for one tree."""

    def __init__(self, relay: Relay, series: str, owner: int, at_head: Path, tmp: Path) -> None:
        self.relay, self.series, self.owner, self.at_head, self.tmp = relay, series, owner, at_head, tmp
        self.n = 0
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("PYTHONDONTWRITEBYTECODE", "SCRAPY_SETTINGS_MODULE")}
        self.env.update({"PYTHONPYCACHEPREFIX": str(tmp / "pycache"), "PIXIV_MIRROR": relay.origin,
                         "PIXIV_REFRESH_TOKEN": "replica-refresh-token-0"})

    def crawl_flags(self, out: Path) -> list[str]:
        return ["-s", "PIXIV_THROTTLE_APP_RATE=0", "-s", "PIXIV_THROTTLE_WEB_RATE=0", "-s", "PIXIV_API_CONCURRENCY=8",
                "-s", "PIXIV_FILES_IMAGE_SIZE=none", "-s", f"FILES_STORE={out / 'files'}", "-s", "LOG_LEVEL=WARNING"]

    def database(self, out: Path, fresh: bool) -> str:
        db = out / "pixivcrawl.db"
        if not fresh:
            shutil.copyfile(self.at_head, db)
        return f"sqlite:///{db}"

    def measure(self, row: str, tree: Path) -> dict:
        python = sys.executable
        self.n += 1
        out = self.tmp / f"run-{self.n}"
        out.mkdir()
        env = {**self.env, "PYTHONPATH": str(tree)}
        relay = self.relay
        spider = ["illust_series", "-a", f"series_id={self.series}"]
        if row == "pass":
            cmd, relay = [python, "-c", "pass"], None
        elif row == "import scrapy":
            cmd, relay = [python, "-c", "import scrapy"], None
        elif row in ("crawl, new database", "crawl, database at head"):
            env["DATABASE_URL"] = self.database(out, fresh=row.endswith("new database"))
            cmd = [python, "-m", "scrapy", "crawl", *spider, *self.crawl_flags(out)]
        elif row == "crawl refused (series_id=abc)":
            env["DATABASE_URL"] = self.database(out, fresh=True)
            cmd, relay = [python, "-m", "scrapy", "crawl", "illust_series", "-a", "series_id=abc",
                          *self.crawl_flags(out)], None
        elif row == "pixivcrawl get, database at head":
            env["DATABASE_URL"] = self.database(out, fresh=False)
            url = f"https://www.pixiv.net/user/{self.owner}/series/{self.series}"
            cmd = [python, "-m", "pixivcrawl", "get", url, *self.crawl_flags(out)]
        else:
            raise ValueError(row)
        try:
            return run_once(cmd, env, tree, relay)
        finally:
            shutil.rmtree(out, ignore_errors=True)


ROWS = {  # row -> what its time runs to
    "pass": "exit", "import scrapy": "exit", "crawl, new database": "first request",
    "crawl, database at head": "first request", "crawl refused (series_id=abc)": "exit",
    "pixivcrawl get, database at head": "first request",
}


def worktree(rev: str, into: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(into), rev], check=True)
    return into


def prepare_database(path: Path) -> None:
    """An empty SQLite database at the newest schema (this tree's migrations)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "pixivcrawl", "db", "upgrade", "--database-url", f"sqlite:///{path}"],
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each row (and tree)")
    parser.add_argument("--base", help="also run each row with this revision's code (e.g. main, HEAD~3)")
    parser.add_argument("--works", type=int, default=3000, help="works in the replica's world")
    parser.add_argument("--rows", help="comma-separated row numbers to run (1-based; the baseline always runs)")
    args = parser.parse_args()
    rows = list(ROWS)
    if args.rows:
        rows = ["pass"] + [rows[int(i) - 1] for i in args.rows.split(",") if rows[int(i) - 1] != "pass"]
    results: dict[str, dict[str, list[dict]]] = {row: {} for row in rows}
    with tempfile.TemporaryDirectory(prefix="pixivcrawl-startup-") as tmpdir, running_replica(args.works) as origin:
        tmp = Path(tmpdir)
        host, port = origin.rsplit("//", 1)[1].split(":")
        relay = Relay((host, int(port)))
        world = replica_get(origin, "/_replica/world")
        series = min(world["illust_series"], key=int)
        owner = _owner(origin, world["illust_series"][series][0])
        at_head = tmp / "at-head.db"
        prepare_database(at_head)
        trees = {"this": ROOT}
        try:
            if args.base:
                trees = {"base": worktree(args.base, tmp / "base"), "this": ROOT}
            measured = Rows(relay, series, owner, at_head, tmp)
            for tree in trees.values():  # one unmeasured round: the page cache, the replica's objects
                for row in rows:
                    measured.measure(row, tree)
            for n in range(args.runs):
                print(f"run {n + 1}/{args.runs} …", flush=True)
                for row in rows:
                    for label, tree in trees.items():
                        results[row].setdefault(label, []).append(measured.measure(row, tree))
        finally:
            if args.base:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "base")],
                               check=False)
    report(results, args)


def _owner(origin: str, work: int) -> int:
    import json
    import urllib.request

    from replica_load import token

    req = urllib.request.Request(f"{origin}/v1/illust/detail?illust_id={work}", headers={
        "X-Forwarded-Host": "app-api.pixiv.net", "Authorization": f"Bearer {token(origin)}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["illust"]["user"]["id"]


def report(results: dict[str, dict[str, list[dict]]], args: argparse.Namespace) -> None:
    import scrapy

    print()
    print(f"start-up: {args.runs} runs of each row{' and tree, alternating' if args.base else ''}; wall seconds "
          f"from just before Popen to the end named; Python {sys.version.split()[0]}, Scrapy {scrapy.__version__}; "
          f"{os.cpu_count()} CPUs; load average at the end {os.getloadavg()[0]:.2f}")
    baseline = {label: statistics.median(r["wall"] for r in runs) for label, runs in results["pass"].items()}
    print(f"{'what':<36}{'to':<15}{'tree':<7}{'median':>8}{'min':>8}{'max':>8}{'CPU s':>8}{'x pass':>8}"
          f"{'+ pass s':>10}")
    for row, sides in results.items():
        medians = {}
        for label, runs in sides.items():
            walls = [r["wall"] for r in runs]
            medians[label] = med = statistics.median(walls)
            cpu = statistics.median(r["cpu"] for r in runs)
            exits = {r["exit"] for r in runs} - {None, 0}
            note = f"  exit {','.join(map(str, sorted(exits)))}" if exits else ""
            print(f"{row:<36}{ROWS[row]:<15}{label:<7}{med:>8.3f}{min(walls):>8.3f}{max(walls):>8.3f}{cpu:>8.3f}"
                  f"{med / baseline[label]:>8.2f}{med - baseline[label]:>10.3f}{note}")
        if len(medians) == 2:
            print(f"{'':<36}{'':<15}{'ratio':<7}{medians['this'] / medians['base']:>8.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    main()
