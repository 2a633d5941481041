"""The garbage collector set for a crawl (pixivcrawl.collector): the start-up heap frozen, the young generation's
threshold raised, once per process, from the spider's start."""

from __future__ import annotations

import gc

import pytest

from pixivcrawl import collector
from tests.components.helpers import make_crawler
from tests.decorators import coroutine_test


@pytest.fixture
def fresh_collector(monkeypatch):
    """collector as if this process had not settled yet; the collector's state restored afterwards."""
    threshold = gc.get_threshold()
    monkeypatch.setitem(collector._state, "settled", False)
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_settle_freezes_the_heap_and_raises_the_young_threshold_once(fresh_collector):
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    held = [object(), {"a": []}]  # tracked containers, frozen with the rest
    assert collector.settle() is True
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    assert collector.settle() is False  # a second crawl in this process changes nothing
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)
    assert held


@coroutine_test
async def test_the_spider_settles_the_collector_when_it_starts(fresh_collector, monkeypatch):
    calls = []
    monkeypatch.setattr(collector, "settle", lambda: calls.append(1) or True)
    crawler = make_crawler()
    requests = [request async for request in crawler.spider.start()]
    assert requests
    assert calls == [1]


def test_starting_raises_the_young_threshold_and_leaves_the_collector_on(fresh_collector):
    gc.set_threshold(700, 10, 10)
    collector.starting()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    assert gc.isenabled()
    collector._state["settled"] = True
    gc.set_threshold(700, 10, 10)
    collector.starting()  # after settle: nothing
    assert gc.get_threshold() == (700, 10, 10)


def test_importing_the_settings_module_raises_the_threshold_in_a_new_process():
    import subprocess
    import sys

    code = ("import gc; before = gc.get_threshold()[0]; import pixivcrawl.settings; "
            "print(before, gc.get_threshold()[0], gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["700", str(collector.YOUNG_THRESHOLD), "True"]


def test_pause_turns_the_collector_off_until_settle_or_resume(fresh_collector):
    gc.unfreeze()
    assert gc.isenabled()
    try:
        collector.pause()
        assert not gc.isenabled()
        assert collector.settle() is True  # frozen, then on again
        assert gc.isenabled() and gc.get_freeze_count() > 0
        collector.pause()  # settled: the crawl runs with the collector on
        assert gc.isenabled()
        collector._state["settled"] = False
        collector.pause()
        collector.resume()
        assert gc.isenabled()
        gc.disable()
        collector.pause()  # off already: whoever turned it off turns it on
        collector.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()
        collector._state.pop("paused", None)


def _crawl_command_gc(tmp_path, series_id: str, database: str = "") -> list[str]:
    import os
    import subprocess
    import sys

    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('GC', gc.isenabled(), gc.get_freeze_count() > 0, gc.get_threshold()[0]))\n"
            "from scrapy.cmdline import execute\n"
            f"sys.argv = ['scrapy', 'crawl', 'illust_series', '-a', 'series_id={series_id}', '-s', 'LOG_LEVEL=ERROR',"
            f" '-s', 'FILES_STORE={tmp_path / 'files'}', '-s', 'PIXIV_MIRROR=http://127.0.0.1:9']\nexecute()\n")
    env = {**os.environ, "DATABASE_URL": database or f"sqlite:///{tmp_path / 'db.sqlite'}",
           "PIXIV_REFRESH_TOKEN": "token", "PIXIV_REDIS_URL": "", "SCRAPY_SETTINGS_MODULE": "pixivcrawl.settings"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                         env=env)
    lines = [line.split()[1:] for line in out.stdout.splitlines() if line.startswith("GC ")]
    assert lines, out.stderr[-2000:]
    return lines[-1]


def test_a_crawl_that_cannot_open_its_spider_leaves_the_collector_on(tmp_path):
    # a database that cannot be used stops the crawl before its spider opens: the collector is on all the same
    database = f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}"
    assert _crawl_command_gc(tmp_path, "1", database)[0] == "True"


def test_a_crawl_settles_the_collector_when_its_spider_opens(tmp_path):
    # the spider opens (then fails to reach the closed port 9): frozen, threshold raised, on
    assert _crawl_command_gc(tmp_path, "1") == ["True", "True", str(collector.YOUNG_THRESHOLD)]
