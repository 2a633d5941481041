"""Jobs 4, 5 and 6 of bench/peers.py (issue 15, "requests are the budget"): what people archive every day.

4. every work (illusts, manga, ugoira) of the user of the world whose count is nearest to 1,000;
5. the replica's account 1's public illust bookmarks (about 1,000: ``pixivcrawl/replica/bookmarks.py``);
6. ``following works=1``: every user account 0 follows publicly (20 in the bench's world: ``FOLLOWS``) and each
   one's works.

Each job runs with pixivcrawl (``user``, ``bookmarks``, ``following -a works=1``), gallery-dl (its ``pixiv:user``,
``pixiv:bookmark`` and ``following`` extractors on the URLs a user pastes) and a pixivpy loop
(``peer_adapters/pixivpy_job.py``), metadata only (no image files), and per tool: requests per 100 works, wall
seconds on loopback, wall seconds with 100 ms added to every answer (the replica's ``fault_slow``), and the run
with the App API limited (each tool paced to the limit as its users do it). Then job 6 again with pixivcrawl's
``incremental=1`` into the database of its first run, nothing new: requests per followed user (goal ≤ 2).

The works of a job are counted from the replica's own answers (``/v1/user/detail``'s counters, the bookmark and
following lists), before any tool runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from pixivcrawl.replica.accounts import replica_account

#: the jobs of this module
USER_JOBS = (4, 5, 6)
#: what each job is, for the report
TITLES = {4: "all works of user {user} ({n:,} works, {u:,} of them ugoira)",
          5: "account 1's public illust bookmarks ({n:,} works)",
          6: "following works=1: {f} users followed by account 0, {n:,} works"}
#: the work count job 4's user should be nearest to
USER_WORKS = 1000
#: job 4's user is one of the world's first this many users (those with the most works)
CANDIDATES = 50
#: how many users account 0 follows (all publicly) in the bench's world
FOLLOWS = 20
#: the replica's user ids start here (pixivcrawl.replica.world.USER_BASE)
USER_BASE = 5_000_000
#: the bench's added latency for jobs 4-6, seconds
LATENCY = 0.1


class UserJobs:
    """What jobs 4-6 crawl in one running replica, learned through ``app`` (a GET of an App API path as account 0,
    answering the JSON)."""

    def __init__(self, app: Callable[[str], dict], users: int, jobs: list[int]) -> None:
        self.app = app
        self.user, self.user_ugoira, self.followed = 0, 0, []
        self.bookmarker, self.follower = USER_BASE + 1, USER_BASE
        self.works: dict[int, int] = {}
        if 4 in jobs:  # the world's first users have the most works
            counts = {uid: self.count(uid) for uid in range(USER_BASE, USER_BASE + min(users, CANDIDATES))}
            self.user = min(counts, key=lambda uid: (abs(counts[uid] - USER_WORKS), uid))
            user_works = self.listing(f"/v1/user/illusts?user_id={self.user}", "illusts")
            self.user_ugoira = sum(1 for w in user_works if w["type"] == "ugoira")
            self.works[4] = len(user_works)
        if 5 in jobs:
            path = f"/v1/user/bookmarks/illust?user_id={self.bookmarker}&restrict=public"
            self.works[5] = len(self.listing(path, "illusts"))
        if 6 in jobs:
            path = f"/v1/user/following?user_id={self.follower}&restrict=public"
            self.followed = [p["user"]["id"] for p in self.listing(path, "user_previews")]
            self.works[6] = sum(self.count(uid) for uid in self.followed)

    def count(self, uid: int) -> int:
        """User ``uid``'s illusts and manga (ugoira among the illusts), from ``/v1/user/detail``'s counters."""
        profile = self.app(f"/v1/user/detail?user_id={uid}")["profile"]
        return profile["total_illusts"] + profile["total_manga"]

    def listing(self, path: str, key: str) -> list[dict]:
        """Every entry of an App API list, following ``next_url``."""
        entries: list[dict] = []
        while path:
            page = self.app(path)
            entries += page[key]
            nxt = page.get("next_url")
            path = nxt.split("app-api.pixiv.net", 1)[1] if nxt else ""
        return entries

    def title(self, job: int) -> str:
        return TITLES[job].format(user=self.user, n=self.works.get(job, 0), u=self.user_ugoira,
                                  f=len(self.followed))

    # commands ----------------------------------------------------------------------------------------------

    def pixivcrawl_spider(self, job: int, incremental: bool = False) -> tuple[list[str], int]:
        """``scrapy crawl`` arguments of job ``job`` and the replica account it runs as."""
        if job == 4:
            return ["user", "-a", f"user_id={self.user}", "-a", "type=illust,manga"], 0
        if job == 5:
            return ["bookmarks", "-a", "work=illust"], 1  # the account's own: account 1
        types = ["-a", "type=illust,manga"] if "type" in spider_arguments("following") else []
        return ["following", "-a", "works=1", *types, *(["-a", "incremental=1"] if incremental else [])], 0

    def gallerydl_url(self, job: int) -> tuple[str, int]:
        """The URL gallery-dl is given for job ``job`` and the replica account it runs as."""
        if job == 4:
            return f"https://www.pixiv.net/users/{self.user}", 0
        if job == 5:
            return f"https://www.pixiv.net/users/{self.bookmarker}/bookmarks/artworks", 1
        return f"https://www.pixiv.net/users/{self.follower}/following", 0

    def pixivpy_target(self, job: int) -> tuple[list[str], int]:
        """pixivpy_job.py's job and target for job ``job``, and the replica account it runs as."""
        if job == 4:
            return ["user", str(self.user)], 0
        if job == 5:
            return ["bookmarks", str(self.bookmarker)], 1
        return ["following", str(self.follower)], 0


def spider_arguments(name: str) -> set[str]:
    """The arguments pixivcrawl's spider ``name`` takes (its pydantic model's fields)."""
    from scrapy.spiderloader import SpiderLoader

    from pixivcrawl.runs import project_settings

    return set(SpiderLoader.from_settings(project_settings({})).load(name).params_model().model_fields)


def refresh_token(account: int) -> str:
    return replica_account(account).refresh_token


# -- the runs ---------------------------------------------------------------------------------------------

def run_user_jobs(bench, jobs: list[int], limit: float, post: Callable, window: float) -> dict:
    """Every measured run of ``jobs`` (a subset of 4, 5, 6) on ``bench`` (peers.Bench, whose ``user_jobs`` is
    set): loopback, 100 ms latency, rate-limited, and job 6's incremental re-run; the results by kind."""
    tools = ("pixivcrawl", "gallery-dl", "pixivpy")
    results: dict = {"plain": {}, "latency": {}, "limited": {}, "incremental": None}
    for job in jobs:
        print(f"job {job}: warming the replica …", flush=True)
        bench.run("pixivpy", job, label="-warm")
        results["plain"][job] = [_run(bench, tool, job) for tool in tools]
    post(bench.origin, "/_replica/config", {"fault_slow": 1.0, "slow_seconds": LATENCY,
                                            "fault_hosts": ["app-api.pixiv.net", "i.pximg.net"]})
    for job in jobs:
        results["latency"][job] = [_run(bench, tool, job, label="-latency") for tool in tools]
    post(bench.origin, "/_replica/config", {"fault_slow": 0.0})
    post(bench.origin, "/_replica/config", {"rate_limit": round(limit * window), "rate_window": window})
    for job in jobs:
        runs = []
        for tool in tools:
            time.sleep(window)  # an empty window for each tool
            runs.append(_run(bench, tool, job, paced=1 / limit, label="-limited"))
        results["limited"][job] = runs
    post(bench.origin, "/_replica/config", {"rate_limit": 0})
    if 6 in jobs:
        print("job 6: pixivcrawl, then its incremental re-run …", flush=True)
        bench.run("pixivcrawl", 6, label="-incremental", keep_out=True)
        results["incremental"] = bench.run("pixivcrawl", 6, label="-incremental", incremental=True)
    return results


def _run(bench, tool: str, job: int, **kwargs) -> dict:
    print(f"job {job}{kwargs.get('label', '')}: {tool} …", flush=True)
    return bench.run(tool, job, **kwargs)


# -- report -----------------------------------------------------------------------------------------------

def print_user_jobs(results: dict, user_jobs: UserJobs, limit: float, out=None) -> None:
    """One table per job: requests per 100 works, wall on loopback, at 100 ms, limited; ratios to the best peer
    (the peer with the fewest requests per work, and the one with the shortest wall time, each measured in the
    same run)."""
    out = out or sys.stdout
    for job, plain in results["plain"].items():
        latency = {r["tool"]: r for r in results["latency"][job]}
        limited = {r["tool"]: r for r in results["limited"][job]}
        works = user_jobs.works[job]
        per_100 = {r["tool"]: 100 * r["requests"] / works for r in plain}
        best_requests = min(v for t, v in per_100.items() if t != "pixivcrawl")
        best_wall = min(r["wall"] for t, r in latency.items() if t != "pixivcrawl")
        print(f"\nJob {job}: {user_jobs.title(job)}", file=out)
        print(f"{'tool':<12}{'requests':>9}{'req/100 works':>14}{'vs best':>8}{'wall s':>8}{'wall s 100ms':>13}"
              f"{'best/this':>10}{'limited s':>10}{'of limit':>9}{'limits met':>11}{'exit':>5}", file=out)
        for r in plain:
            tool = r["tool"]
            lat, lim = latency[tool], limited[tool]
            print(f"{tool:<12}{r['requests']:>9,}{per_100[tool]:>14.1f}{per_100[tool] / best_requests:>7.2f}x"
                  f"{r['wall']:>8.2f}{lat['wall']:>13.2f}{best_wall / lat['wall']:>9.2f}x{lim['wall']:>10.1f}"
                  f"{lim['app_rate'] / limit:>9.2f}{lim['limited']:>11}{max(r['exit'], lat['exit'], lim['exit']):>5}",
                  file=out)
        for r in plain:
            paths = sorted(r["paths"].items(), key=lambda kv: -kv[1])
            print(f"  {r['tool']} requests by path: " + ", ".join(f"{p} {n}" for p, n in paths), file=out)
            novel = sum(n for path, n in r["paths"].items() if "novel" in path)
            if novel:  # novels (with text) the peers do not crawl: pixivcrawl without type= crawls them
                rest = r["requests"] - novel
                print(f"  {r['tool']} without its {novel} novel requests (novels the peers do not crawl): {rest} "
                      f"requests, {100 * rest / works:.1f} per 100 works, {100 * rest / works / best_requests:.2f}x "
                      "the best peer", file=out)
    inc = results.get("incremental")
    if inc is not None:
        followed = len(user_jobs.followed)
        print(f"\nJob 6 again with incremental=1, nothing new: {inc['requests']:,} requests for {followed} followed "
              f"users = {inc['requests'] / followed:.2f} per followed user (goal <= 2); {inc['wall']:.2f} s, "
              f"exit {inc['exit']}", file=out)
        print("  by path: " + ", ".join(f"{p} {n}" for p, n in sorted(inc["paths"].items(), key=lambda kv: -kv[1])),
              file=out)


def out_dir(tmp: Path, tool: str, job: int, label: str) -> Path:
    return tmp / f"{tool}-job{job}{label}"
