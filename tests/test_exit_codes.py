"""``scrapy crawl`` says how the crawl went: exit 0 when it finished with nothing lost, 2 when it could not start,
3 when it finished (or was stopped) with losses; every crawl ends with one summary line. The process is the
subject, so each test runs ``scrapy crawl`` as a subprocess (pixivcrawl's ``crawl`` command, COMMANDS_MODULE)
against the replica, with short retries."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from pixivcrawl.extensions.summary import crawl_outcome, worst
from pixivcrawl.protocol import OAUTH_HOST
from pixivcrawl.replica.accounts import replica_account

from .conftest import ROOT, ReplicaClient, crawl_command, crawl_env, table_rows

#: a request that fails is retried once, quickly
FAIL_FAST = {"RETRY_TIMES": "1", "PIXIV_RETRY_BACKOFF": "0.02"}
SUMMARY = "[pixivcrawl.extensions.summary] "


@dataclass
class Run:
    returncode: int
    output: str
    stats: dict
    seconds: float

    def lines(self, level: str) -> list[str]:
        return [line for line in self.output.splitlines() if f" {level}: " in line]

    def summary(self) -> str:
        lines = [line for line in self.output.splitlines() if SUMMARY in line]
        assert len(lines) == 1, self.output[-3000:]
        return lines[0].split(": ", 1)[1]


def crawl(spider: str, args: dict, tmp_path: Path, *, replica: ReplicaClient | None = None, mirror: str | None = None,
          refresh_token: str | None = replica_account(0).refresh_token, settings: dict | None = None,
          timeout: float = 120) -> Run:
    """``python -m scrapy crawl spider -a … -s …`` in the project folder, with the replica's (or no) credentials."""
    stats_file = tmp_path / "stats.json"
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    extra = {"DATABASE_URL": db_url, "PIXIV_MIRROR": mirror or (replica.origin if replica else "")}
    if refresh_token is not None:
        extra["PIXIV_REFRESH_TOKEN"] = refresh_token
    cmd = crawl_command(spider, args, {"PIXIV_THROTTLE_APP_RATE": "0", "PIXIV_THROTTLE_WEB_RATE": "0",
                                       "PIXIV_API_CONCURRENCY": "4",
                                       "PIXIV_FILES_IMAGE_SIZE": "none", "FILES_STORE": str(tmp_path / "files"),
                                       "PIXIV_STATS_FILE": str(stats_file), "LOG_LEVEL": "INFO", **(settings or {})})
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=crawl_env(tmp_path, **extra), capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - started
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return Run(proc.returncode, proc.stdout + proc.stderr, stats, seconds)


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_one_sentence(run: Run, sentence: str) -> None:
    """Exactly one ERROR line, ending with ``sentence``, and no traceback anywhere."""
    errors = run.lines("ERROR")
    assert len(errors) == 1 and errors[0].endswith(sentence), run.output[-3000:]
    assert run.output.count("Traceback") == 0, run.output[-3000:]


# -- could not start: exit 2 ---------------------------------------------------------------------------------

def test_bad_arguments_exit_2(tmp_path):
    run = crawl("illust_series", {"series_id": "abc"}, tmp_path)
    assert run.returncode == 2, run.output[-3000:]
    assert_one_sentence(run, "Argument series_id takes an illust series id or a series URL like "
                             "https://www.pixiv.net/user/1/series/123, not 'abc'.")
    assert run.stats["finish_reason"] == "bad_arguments"
    assert run.summary().startswith("Crawl summary: could not start (finish_reason bad_arguments, exit code 2)")
    assert run.stats["pixiv/exit_code"] == 2 and run.stats["pixiv/outcome"] == "could not start"


def test_missing_credentials_exit_2(tmp_path):
    run = crawl("illust_series", {"series_id": "1"}, tmp_path, refresh_token=None)
    assert run.returncode == 2, run.output[-3000:]
    assert_one_sentence(run, "The illust_series spider needs a pixiv refresh token: set PIXIV_REFRESH_TOKEN "
                             "(environment or -s) or run `pixivcrawl login`.")
    assert run.stats["finish_reason"] == "missing_credentials"


def test_unreachable_pixiv_stops_at_once_with_one_sentence_and_exit_2(tmp_path):
    """Connection refused everywhere: one round of token tries, whose failure fails every waiting request (a
    series' first listing request) and stops the crawl."""
    run = crawl("illust_series", {"series_id": "1"}, tmp_path, mirror=f"http://127.0.0.1:{closed_port()}",
                settings={"PIXIV_RETRY_BACKOFF": "0.05"}, timeout=90)
    assert run.returncode == 2, run.output[-3000:]
    assert run.seconds < 60
    errors = run.lines("ERROR")
    assert_one_sentence(run, "; stopping the crawl.")
    assert "Could not reach pixiv: its token endpoint did not answer 6 tries (" in errors[0]
    assert "Connection was refused" in errors[0]
    assert run.stats["finish_reason"] == "auth_unavailable"
    assert run.stats["pixiv/auth/token_errors"] == 6  # RETRY_TIMES (5) retries after the first try
    assert run.stats["pixiv/errors/no_access_token"] == 1
    summary = run.summary()
    assert "could not start (finish_reason auth_unavailable, exit code 2)" in summary
    assert summary.endswith("lost 1 (no_access_token 1)"), summary


def test_every_request_waiting_for_the_token_fails_with_one_round(tmp_path):
    """Ten days of an App API ranking: ten requests wait for the token together; one round of tries for all."""
    days = 10
    run = crawl("ranking", {"api": "app", "mode": "day", "date_from": "2025-06-01", "date_to": "2025-06-10"},
                tmp_path, mirror=f"http://127.0.0.1:{closed_port()}",
                settings={"RETRY_TIMES": "3", "PIXIV_RETRY_BACKOFF": "0.05"}, timeout=90)
    assert run.returncode == 2, run.output[-3000:]
    assert run.seconds < 60
    assert_one_sentence(run, "; stopping the crawl.")
    assert run.stats["pixiv/auth/token_errors"] == 4
    assert run.stats["downloader/request_method_count/POST"] == 4  # no second round
    assert run.stats["pixiv/errors/no_access_token"] == days == run.stats["pixiv/errors/request_failed"]


def test_refused_refresh_token_exit_2(replica, tmp_path):
    run = crawl("illust_series", {"series_id": "1"}, tmp_path, replica=replica, refresh_token="not-a-real-token")
    assert run.returncode == 2, run.output[-3000:]
    assert_one_sentence(run, "pixiv rejected the refresh token (invalid_grant): get a new one with `pixivcrawl "
                             "login` and set PIXIV_REFRESH_TOKEN.")
    assert run.stats["finish_reason"] == "auth_failed"
    assert "not-a-real-token" not in run.output


def test_token_endpoint_blocked_for_good_exit_2(fresh_replica, tmp_path):
    rule = {"host": OAUTH_HOST, "path": "/auth/token", "status": 403, "times": 50}
    assert fresh_replica.control("block", rule)["blocks"]
    run = crawl("illust_series", {"series_id": "1"}, tmp_path, replica=fresh_replica,
                settings={"RETRY_TIMES": "2", "PIXIV_RETRY_BACKOFF": "0.02"})
    assert run.returncode == 2, run.output[-3000:]
    assert_one_sentence(run, "Could not get an access token from pixiv's token endpoint: HTTP 403 «Just a moment...» "
                             "after 3 tries; stopping the crawl.")
    assert run.stats["finish_reason"] == "blocked"
    assert [r["status"] for r in fresh_replica.requests() if r["path"] == "/auth/token"] == [403] * 3


# -- finished with losses: exit 3; clean: exit 0 -------------------------------------------------------------

def test_losses_exit_3_and_the_summary_names_their_cause(fresh_replica, world, tmp_path):
    series = list(world.illust_series.values())[2]
    ugoira = [m for m in series.member_ids if world.work(m).type == "ugoira"]
    assert ugoira and len(series.member_ids) < 30
    fresh_replica.control("config", {"fault_paths": "/v1/ugoira/metadata"})
    run = crawl("illust_series", {"series_id": series.id}, tmp_path, replica=fresh_replica, settings=FAIL_FAST)
    assert run.returncode == 3, run.output[-3000:]
    assert run.stats["finish_reason"] == "finished"
    n, members = len(ugoira), len(series.member_ids)
    assert run.summary() == (f"Crawl summary: finished with losses (finish_reason finished, exit code 3): works new "
                             f"{members}, updated 0, unchanged 0, hidden 0, incomplete {n}; lost {n} (http_503 {n})")
    lines = run.output.splitlines()
    closing = next(i for i, line in enumerate(lines) if "Closing spider (finished)" in line)
    assert any(SUMMARY in line for line in lines[closing:])  # logged when the spider closes
    assert run.stats["pixiv/outcome"] == "finished with losses" and run.stats["pixiv/exit_code"] == 3
    assert run.output.count("Traceback") == 0
    # what was stored stays stored: the ugoira without their frames
    db_url = f"sqlite:///{tmp_path / 'x.db'}"
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts where incomplete is not null")) == \
        sorted(ugoira)


def test_clean_crawl_exit_0_with_a_summary_line(replica, world, tmp_path):
    series = list(world.illust_series.values())[2]
    members = len(series.member_ids)
    run = crawl("illust_series", {"series_id": series.id}, tmp_path, replica=replica)
    assert run.returncode == 0, run.output[-3000:]
    assert run.lines("ERROR") == [] and run.output.count("Traceback") == 0
    assert run.summary() == (f"Crawl summary: finished (finish_reason finished, exit code 0): works new {members}, "
                             "updated 0, unchanged 0, hidden 0, incomplete 0; lost 0")
    assert run.stats["pixiv/outcome"] == "finished" and run.stats["pixiv/exit_code"] == 0
    # again, into the same database: the same works are now unchanged, still exit 0
    again = crawl("illust_series", {"series_id": series.id}, tmp_path, replica=replica)
    assert again.returncode == 0, again.output[-3000:]
    assert again.summary().endswith(f"works new 0, updated 0, unchanged {members}, hidden 0, incomplete 0; lost 0")


def test_sigterm_stops_the_crawl_with_losses_exit_3(replica, world, tmp_path):
    """SIGTERM partway through a paced crawl: Scrapy stops it (``shutdown``), what was fetched is stored, exit 3."""
    series = max(world.illust_series.values(), key=lambda s: len(s.member_ids))
    log = tmp_path / "crawl.log"
    cmd = crawl_command("illust_series", {"series_id": series.id}, {
        "PIXIV_THROTTLE_APP_RATE": "2", "PIXIV_THROTTLE_WEB_RATE": "2", "PIXIV_FILES_IMAGE_SIZE": "none",
        "LOG_FILE": str(log), "PIXIV_DB_FLUSH_INTERVAL": "0.2",
        "PIXIV_STATS_FILE": str(tmp_path / "stats.json")})
    env = crawl_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}", PIXIV_MIRROR=replica.origin,
                    PIXIV_REFRESH_TOKEN=replica_account(0).refresh_token)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not any(r["path"] == "/v1/illust/series" and f"={series.id}" in r["query"] and r["status"] == 200
                      for r in replica.requests()[-100:]):  # the crawl is under way
            assert time.monotonic() < deadline and proc.poll() is None, "the crawl did not start"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = log.read_text()
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert code == 3, output[-3000:]
    assert stats["finish_reason"] == "shutdown" and stats["pixiv/outcome"] == "stopped with losses"
    assert "Crawl summary: stopped with losses (finish_reason shutdown, exit code 3)" in output
    assert output.count("Traceback") == 0


# -- the outcome of final stats, reason by reason ------------------------------------------------------------

@pytest.mark.parametrize(("stats", "code", "label"), [
    ({"finish_reason": "finished", "pixiv/items/new": 3}, 0, "finished"),
    ({"finish_reason": "closespider_itemcount", "pixiv/items/new": 3}, 0, "finished"),  # a limit the user set
    ({"finish_reason": "finished", "pixiv/items/new": 3, "pixiv/media/failed": 1}, 3, "finished with losses"),
    ({"finish_reason": "finished", "pixiv/db/failed_items": 1}, 3, "finished with losses"),
    ({"finish_reason": "finished", "pixiv/ratelimit/skipped_requests": 2}, 3, "finished with losses"),
    ({"finish_reason": "finished", "pixiv/errors/malformed": 1}, 3, "finished with losses"),
    ({"finish_reason": "start_failed"}, 2, "could not start"),
    ({"finish_reason": "auth_failed"}, 2, "could not start"),
    ({"finish_reason": "auth_failed", "pixiv/items/unchanged": 1}, 3, "stopped with losses"),  # stored something
    ({"finish_reason": "blocked", "item_scraped_count": 4}, 3, "stopped with losses"),
    ({"finish_reason": "shutdown"}, 3, "stopped with losses"),
    ({"finish_reason": "storage_failed", "pixiv/items/new": 3}, 3, "stopped with losses"),
    ({"finish_reason": "frontier_lost"}, 3, "stopped with losses"),
    ({}, 2, "could not start"),  # the spider never closed: it never opened
])
def test_crawl_outcome(stats, code, label):
    outcome = crawl_outcome(stats)
    assert (outcome.code, outcome.label) == (code, label)


def test_the_summary_counts_every_loss_with_its_cause():
    outcome = crawl_outcome({"pixiv/items/new": 5, "pixiv/items/updated": 2, "pixiv/items/unchanged": 1,
                             "pixiv/items/hidden": 1, "pixiv/works/incomplete": 1, "pixiv/errors/request_failed": 3,
                             "pixiv/errors/http_503": 2, "pixiv/errors/blocked": 1, "pixiv/media/failed": 2,
                             "pixiv/errors/bad_argument": "ignored"}, "finished")
    assert outcome.line() == ("Crawl summary: finished with losses (finish_reason finished, exit code 3): works new 5, "
                              "updated 2, unchanged 1, hidden 1, incomplete 1; lost 5 (blocked 1, http_503 2, files "
                              "failed 2)")


def test_several_crawls_exit_with_the_worst_code():
    assert worst([0, 3, 0]) == 3 and worst([3, 2]) == 2 and worst([2, 1, 3]) == 1 and worst([0, 0]) == worst([]) == 0
