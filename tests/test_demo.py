"""``pixivcrawl demo`` from an empty folder: replica up, spiders run, pixivcrawl.db written, summary shown."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pixivcrawl.demo import demo_jobs
from pixivcrawl.replica.world import World

from .conftest import crawl_env, table_rows


@pytest.mark.slow
def test_demo_runs_offline_and_fills_the_database(tmp_path):
    workdir = tmp_path / "demo"
    workdir.mkdir()
    proc = subprocess.run([sys.executable, "-m", "pixivcrawl", "demo", "--works", "1000"], cwd=workdir,
                          env=crawl_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    db = workdir / "pixivcrawl.db"
    assert db.exists()

    world = World(seed=1, works=1000)
    summary = world.summary()
    expected_works, expected_novels = set(), set()
    spiders = {spider for spider, _ in demo_jobs(summary)}
    assert spiders == {"illust_series", "novel_series", "search", "ranking", "commission"}
    for spider, args in demo_jobs(summary):
        if spider == "illust_series":
            sid = args.get("series_id") or str(world.work(int(args["illust_id"])).series_id)
            expected_works.update(summary["illust_series"][sid])
        elif spider == "novel_series":
            sid = args.get("series_id") or str(world.novel(int(args["novel_id"])).series_id)
            expected_novels.update(summary["novel_series"][sid])
    url = f"sqlite:///{db}"
    complete = {r[0] for r in table_rows(url, "select illust_id from illust_pages")}
    assert complete == expected_works  # only the series crawls fetch whole works; listings add thumbnails
    assert {r[0] for r in table_rows(url, "select id from novels where text is not null")} == expected_novels
    counts = {t: table_rows(url, f"select count(*) from {t}")[0][0]
              for t in ("illusts", "rankings", "search_hits", "commission_requests")}
    assert all(n > 0 for n in counts.values()), counts
    out = proc.stdout
    assert "Summary" in out and f"illusts{counts['illusts']:>{34 - len('illusts')},}" in out
    for label in ("requests (crawler)", "requests (replica)", "errors", "seconds"):
        assert label in out
    assert "errors                           0" in out
