"""PixivAddon applied the way Scrapy applies it (ADDONS in pixivcrawl.settings, at crawler creation): download
slots from PIXIV_API_CONCURRENCY / PIXIV_CDN_CONCURRENCY, PIXIV_API_DELAY checked, and the Redis scheduler with
PIXIV_REDIS_URL."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from pixivcrawl.addon import PixivAddon, setting_problems
from pixivcrawl.protocol import APP_API_HOST, IMAGE_HOST, OAUTH_HOST, STATIC_HOST, WEB_HOST

from .helpers import isolate, make_crawler

LEASES = "pixivcrawl.distributed.leases.LeaseSpiderMiddleware"
REDIS_SCHEDULER = "pixivcrawl.distributed.scheduler.RedisScheduler"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


def test_slots_follow_the_concurrency_settings():
    api, cdn = 3, 12
    slots = make_crawler(PIXIV_API_CONCURRENCY=api, PIXIV_CDN_CONCURRENCY=cdn).settings.getdict("DOWNLOAD_SLOTS")
    assert {host: slots[host]["concurrency"] for host in (APP_API_HOST, WEB_HOST, OAUTH_HOST, IMAGE_HOST,
                                                          STATIC_HOST)} == {
        APP_API_HOST: api, WEB_HOST: api, OAUTH_HOST: 1, IMAGE_HOST: cdn, STATIC_HOST: cdn}
    # pacing is the throttle middleware's: slots never add a delay of their own
    assert {slot["delay"] for slot in slots.values()} == {0.0}


def test_a_users_slot_for_another_host_is_kept_beside_pixivs():
    slots = make_crawler(DOWNLOAD_SLOTS={"example.com": {"concurrency": 2, "delay": 3}}).settings.getdict(
        "DOWNLOAD_SLOTS")
    assert slots["example.com"] == {"concurrency": 2, "delay": 3} and APP_API_HOST in slots


@pytest.mark.parametrize(("settings", "problems"), [
    ({"PIXIV_API_DELAY": -1}, ["PIXIV_API_DELAY must be a number of seconds (0 or more), not -1"]),
    ({"PIXIV_API_DELAY": "-0.001"}, ["PIXIV_API_DELAY must be a number of seconds (0 or more), not '-0.001'"]),
    ({"PIXIV_API_DELAY": "abc", "PIXIV_THROTTLE_CDN_RATE": "fast"},
     ["PIXIV_API_DELAY must be a number of seconds (0 or more), not 'abc'",
      "PIXIV_THROTTLE_CDN_RATE must be a number of requests per second (0 or more, 0 for no limit), not 'fast'"]),
    ({"PIXIV_THROTTLE_SAFETY": 1.5}, ["PIXIV_THROTTLE_SAFETY must be a number (more than 0, at most 1), not 1.5"]),
    ({"PIXIV_THROTTLE_FLOOR": "-1", "PIXIV_THROTTLE_RECOVERY": "soon"},
     ["PIXIV_THROTTLE_FLOOR must be a number of requests per second (0 or more), not '-1'",
      "PIXIV_THROTTLE_RECOVERY must be a number of seconds (0 or more), not 'soon'"]),
    ({"PIXIV_THROTTLE_INCREASE": -0.5}, ["PIXIV_THROTTLE_INCREASE must be a number (0 or more, 0 for none), not -0.5"]),
    ({"PIXIV_AUTH_REFRESH_MARGIN": "x", "PIXIV_REDIS_OUTAGE_MAX": -3},
     ["PIXIV_AUTH_REFRESH_MARGIN must be a number of seconds (negative: refresh only after expiry), not 'x'",
      "PIXIV_REDIS_OUTAGE_MAX must be a number of seconds (0 or more), not -3"]),
    ({"PIXIV_DB_AUTO_MIGRATE": "perhaps"}, ["PIXIV_DB_AUTO_MIGRATE must be true or false (1 or 0), not 'perhaps'"]),
    ({"PIXIV_THROTTLE_BACKOFF_BASE": 1000, "PIXIV_THROTTLE_BACKOFF_MAX": 10},
     ["PIXIV_THROTTLE_BACKOFF_BASE (1000) must not be more than PIXIV_THROTTLE_BACKOFF_MAX (10)"]),
    ({"PIXIV_REDIS_URL": "http://127.0.0.1:6379"},
     [("PIXIV_REDIS_URL must be a Redis URL like redis://127.0.0.1:6379/0 (or rediss://, unix://), "
       "not 'http://127.0.0.1:6379'")]),
    ({"PIXIV_STATS_FILE": "/etc/hostname/run/stats.json"},  # under a file: no folder can be made there
     [("PIXIV_STATS_FILE must be a file in a writable folder, not '/etc/hostname/run/stats.json' "
       "(/etc/hostname is not a writable folder)")]),
    ({"PIXIV_FILES_IMAGE_TYPES": "illust,novel"}, ["PIXIV_FILES_IMAGE_TYPES takes illust, manga, ugoira, not novel"]),
    ({"PIXIV_MIRROR": "ftp://x"}, ["PIXIV_MIRROR must be an origin like http://127.0.0.1:8321, not 'ftp://x'"]),
])
def test_bad_settings_refuse_the_crawl_and_switch_pixivcrawls_components_off(settings, problems):
    crawler = make_crawler(**settings)
    assert crawler.get_addon(PixivAddon).problems == problems
    # nothing of pixivcrawl reads the bad value: only the summary line and the stats file stay (outcome, exit code,
    # finish reason)
    s = crawler.settings
    assert {path for path, order in s.getdict("ITEM_PIPELINES").items() if order is not None} == set()
    assert not [p for p, o in s.getdict("DOWNLOADER_MIDDLEWARES").items() if o is not None and "pixivcrawl" in p]
    assert sorted(p for p, o in s.getdict("EXTENSIONS").items() if o is not None and "pixivcrawl" in p) == [
        "pixivcrawl.extensions.stats_file.StatsFileExtension", "pixivcrawl.extensions.summary.SummaryExtension"]
    assert not [h for h in s.getdict("DOWNLOAD_HANDLERS").values() if h and "pixivcrawl" in h]
    assert "DOWNLOAD_SLOTS" not in s or APP_API_HOST not in s.getdict("DOWNLOAD_SLOTS")


def test_the_default_settings_have_no_problem():
    assert setting_problems(make_crawler().settings) == []
    assert make_crawler().get_addon(PixivAddon).problems == []


def test_a_zero_api_delay_is_allowed():
    assert make_crawler(PIXIV_API_DELAY=0).settings.getfloat("PIXIV_API_DELAY") == 0


def test_without_redis_scrapys_scheduler_stays():
    settings = make_crawler().settings
    assert settings.get("SCHEDULER") == Settings().get("SCHEDULER")
    assert LEASES not in settings.getdict("SPIDER_MIDDLEWARES")


@pytest.mark.parametrize("from_environment", [False, True])
def test_with_redis_the_scheduler_is_switched(monkeypatch, from_environment):
    url = "redis://127.0.0.1:6379/9"
    if from_environment:
        monkeypatch.setenv("PIXIV_REDIS_URL", url)
    settings = make_crawler(**({} if from_environment else {"PIXIV_REDIS_URL": url})).settings
    assert settings.get("SCHEDULER") == REDIS_SCHEDULER
    assert settings.getdict("SPIDER_MIDDLEWARES")[LEASES] == 10


def test_a_users_spider_middlewares_are_kept_with_redis():
    mine = "myproject.middlewares.Mine"
    settings = make_crawler(PIXIV_REDIS_URL="redis://127.0.0.1:6379/9",
                            SPIDER_MIDDLEWARES={mine: 543, LEASES: 20}).settings
    assert settings.getdict("SPIDER_MIDDLEWARES") == {mine: 543, LEASES: 20}



TELNET = "scrapy.extensions.telnet.TelnetConsole"
REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


def test_scrapys_extensions_switched_off_are_left_out():
    # pixivcrawl.settings switches the telnet console and the remote control off: their modules are not imported
    base = make_crawler().settings.getdict("EXTENSIONS_BASE")
    assert TELNET not in base and REMOTE_CONTROL not in base
    assert "scrapy.extensions.corestats.CoreStats" in base and "scrapy.extensions.logstats.LogStats" in base


@pytest.mark.parametrize("overrides", [{"REMOTE_CONTROL_ENABLED": True, "TELNETCONSOLE_ENABLED": "1"},
                                       {"EXTENSIONS": {REMOTE_CONTROL: 0, TELNET: 0}}])
def test_scrapys_extensions_switched_on_or_named_stay(overrides):
    assert {TELNET, REMOTE_CONTROL} <= set(make_crawler(**overrides).settings.getdict("EXTENSIONS_BASE"))
