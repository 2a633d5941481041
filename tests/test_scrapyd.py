"""Deploy to a real scrapyd, schedule a crawl with ``pixivcrawl schedule``, and find its rows in the database."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from base64 import b64encode

import pytest

from pixivcrawl.replica.accounts import replica_account

from .conftest import ROOT, crawl_env, table_rows

USER, PASSWORD = "crawler", "scrapyd-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _auth() -> dict:
    return {"Authorization": "Basic " + b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def _post(url: str, path: str, **form: str) -> dict:
    request = urllib.request.Request(f"{url}/{path}", data=urllib.parse.urlencode(form).encode(), headers=_auth())
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _get(url: str, path: str) -> dict:
    request = urllib.request.Request(f"{url}/{path}", headers={
        "Authorization": "Basic " + b64encode(f"{USER}:{PASSWORD}".encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture
def scrapyd(replica, tmp_path):
    workdir = tmp_path / "scrapyd"
    workdir.mkdir()
    port = _free_port()
    account = replica_account(0)
    db_url = f"sqlite:///{tmp_path / 'scheduled.db'}"
    env = crawl_env(tmp_path, SCRAPYD_BIND_ADDRESS="127.0.0.1", SCRAPYD_HTTP_PORT=str(port),
                    SCRAPYD_USERNAME=USER, SCRAPYD_PASSWORD=PASSWORD, PIXIV_MIRROR=replica.origin,
                    PIXIV_REFRESH_TOKEN=account.refresh_token, DATABASE_URL=db_url)
    with (workdir / "scrapyd.out").open("wb") as out:  # scrapyd's own log: how each job's process ended
        proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=workdir, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            _get(url, "daemonstatus.json")
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("scrapyd did not start")
            time.sleep(0.3)
    try:
        yield url, workdir, db_url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.slow
def test_deploy_schedule_and_crawl(scrapyd, world, tmp_path):
    url, workdir, db_url = scrapyd
    env = crawl_env(tmp_path, SCRAPYD_URL=url, SCRAPYD_USERNAME=USER, SCRAPYD_PASSWORD=PASSWORD)
    deploy = subprocess.run([sys.executable, "-m", "scrapyd_client.deploy", "--version", "t1"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert set(_get(url, "listspiders.json?project=pixivcrawl")["spiders"]) >= {
        "illust_series", "novel_series", "search", "ranking", "commission"}

    series = list(world.illust_series.values())[4]
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(f'''
[[job]]
name = "series"
spider = "illust_series"
args = {{ series_id = "{series.id}", incremental = "1" }}
every = "1h"
''')
    command = [sys.executable, "-m", "pixivcrawl", "schedule", str(schedule), "--now", "2026-11-23T10:30:00+00:00"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("submitted series: job ") and again.stdout.strip() == "nothing due"
    later = subprocess.run([*command[:-1], "2026-11-23T11:00:00+00:00"], env=env, capture_output=True, text=True)
    assert later.stdout.startswith("submitted series")
    jobid = first.stdout.split()[-1]
    deadline = time.monotonic() + 180
    while _get(url, f"status.json?job={jobid}")["currstate"] != "finished":
        assert time.monotonic() < deadline, "the scheduled crawl did not finish"
        time.sleep(1)
    assert sorted(r[0] for r in table_rows(db_url, "select id from illusts")) == sorted(series.member_ids)
    log = next(workdir.glob(f"logs/pixivcrawl/illust_series/{jobid}.log")).read_text()
    assert "'finish_reason': 'finished'" in log
    assert replica_account(0).refresh_token not in log
    assert "Crawl summary: finished (finish_reason finished, exit code 0): works new " in log
    jobs = _get(url, "listjobs.json?project=pixivcrawl")
    assert replica_account(0).refresh_token not in json.dumps(jobs)

    # a job that could not do its job: scrapyd's log says how its process ended, its job log says why
    bad = _post(url, "schedule.json", project="pixivcrawl", spider="illust_series", series_id="abc")["jobid"]
    while _get(url, f"status.json?job={bad}")["currstate"] != "finished":
        assert time.monotonic() < deadline + 60, "the bad job did not finish"
        time.sleep(0.5)
    bad_log = next(workdir.glob(f"logs/pixivcrawl/illust_series/{bad}.log")).read_text()
    assert "Crawl summary: could not start (finish_reason bad_arguments, exit code 2)" in bad_log
    scrapyd_log = (workdir / "scrapyd.out").read_text(errors="replace")
    assert f"Process died: exitstatus=2 project='pixivcrawl' spider='illust_series' job='{bad}'" in scrapyd_log
    assert f"Process finished: project='pixivcrawl' spider='illust_series' job='{jobid}'" in scrapyd_log


def test_schedule_refuses_credentials_as_arguments(tmp_path):
    schedule = tmp_path / "bad.toml"
    schedule.write_text('[[job]]\nname = "x"\nspider = "search"\nargs = { word = "a", refresh_token = "t" }\n'
                        'every = "1h"\n')
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "schedule", str(schedule), "--scrapyd",
                           "http://127.0.0.1:9"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "passes a credential as an argument" in proc.stderr
