"""``pixivcrawl schedule``'s options; the schedule itself (due jobs, state file, scrapyd) is pixivcrawl.schedule."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from pixivcrawl.cli import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the schedule (TOML, see README)")
    parser.add_argument("--scrapyd", default=None, help="scrapyd URL (default $SCRAPYD_URL)")
    parser.add_argument("--project", default="pixivcrawl")
    parser.add_argument("--now", default=None, help="pretend it is this ISO time (for testing a schedule)")


def run(args: argparse.Namespace) -> None:
    """Submit the due jobs to scrapyd (``--scrapyd`` or ``SCRAPYD_URL``, basic auth from ``SCRAPYD_USERNAME`` and
    ``SCRAPYD_PASSWORD``) and print each job id, or ``nothing due``; no scrapyd URL or a bad schedule is a
    :class:`~pixivcrawl.cli.UsageError`."""
    from pixivcrawl.schedule import ScheduleError, Scrapyd, run as run_schedule

    url = args.scrapyd or os.environ.get("SCRAPYD_URL")
    if not url:
        raise UsageError("set SCRAPYD_URL or give --scrapyd http://host:6800")
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    scrapyd = Scrapyd(url, os.environ.get("SCRAPYD_USERNAME"), os.environ.get("SCRAPYD_PASSWORD"))
    try:
        submitted = run_schedule(Path(args.file), scrapyd, args.project, now)
    except ScheduleError as exc:
        raise UsageError(str(exc)) from None
    for name, jobid in submitted:
        print(f"submitted {name}: job {jobid}")
    if not submitted:
        print("nothing due")
