"""``pixivcrawl schedule``: submit the crawls that are due to scrapyd. Safe to run from cron every minute.

The schedule is a TOML file of jobs::

    [[job]]
    name = "daily-ranking"            # unique; the state file remembers it
    spider = "ranking"
    args = { mode = "daily" }
    at = "12:05"                      # every day at this time...
    timezone = "Asia/Tokyo"           # ...in this zone (default UTC)

    [[job]]
    name = "cats"
    spider = "search"
    args = { word = "猫", incremental = "1" }
    every = "6h"                      # or every N minutes (m), hours (h) or days (d), counted from 1970 UTC

A job is due once per slot (a day for ``at``, an interval for ``every``). The slot last submitted is kept in
a state file beside the schedule (``<schedule>.state.json``, written atomically under a lock), so a due run
is never submitted twice, however often or concurrently the command runs. scrapyd's URL comes from
``--scrapyd`` or ``SCRAPYD_URL``, its basic-auth credentials from ``SCRAPYD_USERNAME``/``SCRAPYD_PASSWORD``;
pixiv credentials are never job arguments: scrapyd's jobs read them from scrapyd's environment.
"""

from __future__ import annotations

import base64
import fcntl
import json
import re
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

_EVERY = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400}
#: names pixiv credentials go by: refused as job arguments, which scrapyd logs and lists
SECRET_ARGS = {"refresh_token", "phpsessid", "pixiv_refresh_token", "pixiv_phpsessid", "access_token"}


class ScheduleError(ValueError):
    """A schedule file problem; the message is one sentence naming the job and the field."""


@dataclass
class Job:
    name: str
    spider: str
    args: dict[str, str] = field(default_factory=dict)
    at: time | None = None
    zone: ZoneInfo | timezone = UTC
    every: int | None = None  # seconds

    def slot(self, now: datetime) -> str:
        """The id of the latest slot that has begun: today's ``at`` time once reached (else yesterday's, so
        a run missed while nothing called this command is submitted once at the next call), or the start of
        the current ``every`` interval."""
        if self.every:
            start = int(now.timestamp()) // self.every * self.every
            return datetime.fromtimestamp(start, UTC).isoformat()
        local = now.astimezone(self.zone)
        today = datetime.combine(local.date(), self.at, self.zone)
        if local < today:
            today -= timedelta(days=1)
        return today.isoformat()


def load(path: Path) -> list[Job]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScheduleError(f"The schedule {path} cannot be read: {exc}.") from None
    jobs, names = [], set()
    for n, raw in enumerate(data.get("job", []), 1):
        name = raw.get("name") or f"job {n}"
        if not raw.get("name") or name in names:
            raise ScheduleError(f"Job {n} of {path} needs a unique name.")
        names.add(name)
        if not raw.get("spider"):
            raise ScheduleError(f"Job {name!r} needs a spider.")
        args = {str(k): str(v) for k, v in (raw.get("args") or {}).items()}
        if SECRET_ARGS & {k.lower() for k in args}:
            raise ScheduleError(f"Job {name!r} passes a credential as an argument; give it to scrapyd's environment.")
        job = Job(name=name, spider=raw["spider"], args=args)
        if ("at" in raw) == ("every" in raw):
            raise ScheduleError(f"Job {name!r} needs exactly one of at = \"HH:MM\" or every = \"6h\".")
        if "at" in raw:
            try:
                job.at = time.fromisoformat(raw["at"])
                job.zone = ZoneInfo(raw.get("timezone", "UTC"))
            except (ValueError, KeyError) as exc:
                raise ScheduleError(f"Job {name!r} has a bad at/timezone ({exc}).") from None
        else:
            m = _EVERY.match(str(raw["every"]))
            if not m or int(m.group(1)) <= 0:
                raise ScheduleError(f"Job {name!r}: every must look like 30m, 6h or 7d, not {raw['every']!r}.")
            job.every = int(m.group(1)) * _UNITS[m.group(2)]
        jobs.append(job)
    return jobs


class Scrapyd:
    def __init__(self, url: str, username: str | None = None, password: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.auth = None
        if username:
            self.auth = "Basic " + base64.b64encode(f"{username}:{password or ''}".encode()).decode()

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None, **params: str) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(f"{self.url}/{endpoint}{query}", data=body)  # noqa: S310 - the scrapyd URL the user gave
        if self.auth:
            request.add_header("Authorization", self.auth)
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - the scrapyd URL the user gave
            answer = json.loads(resp.read())
        if answer.get("status") != "ok":
            raise RuntimeError(f"scrapyd {endpoint}: {answer.get('message', answer)}")
        return answer

    def schedule(self, project: str, job: Job) -> str:
        data = [("project", project), ("spider", job.spider), *job.args.items()]
        return self.call("schedule.json", data)["jobid"]


def run(schedule: Path, scrapyd: Scrapyd, project: str = "pixivcrawl",
        now: datetime | None = None) -> list[tuple[str, str]]:
    """Submit every due job; returns [(job name, scrapyd job id)]."""
    now = now or datetime.now(UTC)
    jobs = load(schedule)
    state_path = schedule.with_name(schedule.name + ".state.json")
    lock_path = schedule.with_name(schedule.name + ".lock")
    submitted = []
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        for job in jobs:
            slot = job.slot(now)
            if state.get(job.name) == slot:
                continue
            jobid = scrapyd.schedule(project, job)
            state[job.name] = slot
            temporary = state_path.with_suffix(".tmp")
            temporary.write_text(json.dumps(state, indent=1))
            temporary.replace(state_path)
            submitted.append((job.name, jobid))
    return submitted
