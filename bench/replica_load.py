"""How fast the replica answers, measured with wrk (a load tool), so that it is never a benchmark's bottleneck.

    python bench/replica_load.py [--works 100000] [--seconds 10] [--connections 32]

Starts the replica, then runs wrk against: the control health endpoint (the server's own ceiling, the
baseline), illust detail with rotating ids, a series page, and a cached original image. Prints requests/s,
MB/s and each figure as a ratio of the baseline measured in the same run. Needs ``wrk`` (Debian: apt-get
install wrk).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixivcrawl.demo import running_replica
from pixivcrawl.replica.app_objects import work_image_urls
from pixivcrawl.replica.world import ILLUST_BASE, World

LUA = """
counter = 0
request = function()
  counter = counter + 1
  local path = string.gsub(PATH, "{n}", tostring(BASE + (counter %% COUNT)))
  return wrk.format("GET", path, HEADERS)
end
"""


def token(origin: str) -> str:
    form = (b"client_id=MOBrBDS8blbauoSck0ZfDbtuzpyT&client_secret=lsACyCD94FhDUtGTXi3QzcFE2uU1hqtDaKeqrdwj"
            b"&grant_type=refresh_token&refresh_token=replica-refresh-token-0")
    req = urllib.request.Request(f"{origin}/auth/token", data=form,
                                 headers={"X-Forwarded-Host": "oauth.secure.pixiv.net"})
    return json.loads(urllib.request.urlopen(req).read())["access_token"]


def wrk(origin: str, path: str, headers: dict, seconds: int, connections: int, count: int = 1) -> tuple[float, float]:
    script = Path(tempfile.mkdtemp()) / "s.lua"
    lua_headers = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
    script.write_text(f'PATH = "{path}"\nBASE = {ILLUST_BASE}\nCOUNT = {count}\nHEADERS = {lua_headers}\n'
                      + LUA.replace("%%", "%"))
    return _run_wrk(origin, script, seconds, connections)


MIX_LUA = """
i = 0
request = function()
  i = i + 1
  local r = requests[(i % #requests) + 1]
  return wrk.format("GET", r[1], header_sets[r[2]])
end
"""


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_mix(origin: str, requests: list[tuple[str, dict]], seconds: int, connections: int) -> tuple[float, float]:
    """wrk over a fixed list of (path with query, headers) requests, taken in turn: the raw throughput of
    the replica for exactly the requests a crawl sent. Returns requests/s and MB/s."""
    sets: list[dict] = []
    rows = []
    for path, headers in requests:
        if headers not in sets:
            sets.append(headers)
        rows.append(f"{{{_lua(path)}, {sets.index(headers) + 1}}}")
    header_sets = ", ".join("{" + ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in h.items()) + "}" for h in sets)
    script = Path(tempfile.mkdtemp()) / "mix.lua"
    script.write_text(f"requests = {{{', '.join(rows)}}}\nheader_sets = {{{header_sets}}}\n" + MIX_LUA)
    return _run_wrk(origin, script, seconds, connections)


def _run_wrk(origin: str, script: Path, seconds: int, connections: int) -> tuple[float, float]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), origin],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    unit = {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}[transfer.group(2)]
    return rps, float(transfer.group(1)) * unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    started = time.monotonic()
    with running_replica(args.works) as origin:
        ready = time.monotonic() - started
        world = World(seed=1, works=args.works)
        app = {"X-Forwarded-Host": "app-api.pixiv.net", "Authorization": f"Bearer {token(origin)}"}
        cdn = {"X-Forwarded-Host": "i.pximg.net", "Referer": "https://www.pixiv.net/"}
        series = next(iter(world.illust_series))
        image = work_image_urls(world, world.works[0].id, 0)["original"].split("i.pximg.net", 1)[1]
        cases = [
            ("health (baseline)", "/_replica/health", {}, 1),
            ("illust detail, rotating ids", "/v1/illust/detail?illust_id={n}", app, min(args.works, 50_000)),
            ("illust series page (30 works)", f"/v1/illust/series?illust_series_id={series}", app, 1),
            ("original image (cached)", image, cdn, 1),
        ]
        rows = [(name, *wrk(origin, path, headers, args.seconds, args.connections, count))
                for name, path, headers, count in cases]
    base = rows[0][1]
    print(f"replica with {args.works:,} works ready in {ready:.1f} s; wrk -t2 -c{args.connections} -d{args.seconds}s")
    print(f"{'endpoint':<32}{'req/s':>10}{'MB/s':>10}{'vs baseline':>13}")
    for name, rps, mbs in rows:
        print(f"{name:<32}{rps:>10,.0f}{mbs:>10.1f}{rps / base:>13.2f}")


if __name__ == "__main__":
    main()
