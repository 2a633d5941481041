"""Deprecated setting names, applied by the add-on when a crawler is created: an old name given at any priority
(``-s``, a project's settings, a spider's ``custom_settings``) reaches the components under its new name, with one
WARNING line and a ScrapyDeprecationWarning; a new name given too wins; PIXIV_API_DELAY still sets the API rates."""

from __future__ import annotations

import logging
import warnings
from typing import ClassVar

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, Settings
from scrapy.utils.misc import build_from_crawler

from pixivcrawl import settings as default_settings
from pixivcrawl.addon import PixivAddon
from pixivcrawl.deprecations import RENAMED, apply_deprecations
from pixivcrawl.middlewares.throttle import PixivThrottleMiddleware
from pixivcrawl.spiders.illust_series import IllustSeriesSpider
from tests.settings import project_settings

from .helpers import isolate, make_crawler

CMDLINE = SETTINGS_PRIORITIES["cmdline"]
PROJECT = SETTINGS_PRIORITIES["project"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)


def cmdline_crawler(spidercls: type = IllustSeriesSpider, **given) -> Crawler:
    """A crawler as ``scrapy crawl … -s NAME=VALUE`` builds it: pixivcrawl's settings at the project's priority,
    ``given`` at the command line's (pixiv_settings would flatten them all to the project's)."""
    crawler = Crawler(spidercls, Settings(project_settings(given)))
    crawler._apply_settings()
    return crawler


def deprecation_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "pixivcrawl.deprecations"
            and r.levelno == logging.WARNING]


def test_an_old_name_given_with_s_reaches_the_throttle_under_its_new_name(caplog):
    with caplog.at_level(logging.INFO), pytest.warns(
            ScrapyDeprecationWarning, match="^PIXIV_APP_RATE is deprecated: use PIXIV_THROTTLE_APP_RATE$"):
        crawler = cmdline_crawler(PIXIV_APP_RATE="4")
    assert crawler.settings.getfloat("PIXIV_THROTTLE_APP_RATE") == 4.0
    assert crawler.settings.getpriority("PIXIV_THROTTLE_APP_RATE") == CMDLINE
    assert build_from_crawler(PixivThrottleMiddleware, crawler).budgets["app"].rate == 4.0
    assert deprecation_lines(caplog) == ["PIXIV_APP_RATE is deprecated: use PIXIV_THROTTLE_APP_RATE"]


def test_an_old_name_in_a_project_settings_dict_moves_over_pixivcrawls_default(caplog):
    """Everything at the project's priority (a project's settings.py that imports pixivcrawl's): the new name
    holds pixivcrawl's default, which does not count as given."""
    with caplog.at_level(logging.INFO), pytest.warns(ScrapyDeprecationWarning, match="use PIXIV_THROTTLE_POLICY"):
        crawler = make_crawler(PIXIV_RATELIMIT_POLICY="skip")
    assert crawler.settings.getpriority("PIXIV_THROTTLE_POLICY") == PROJECT
    assert build_from_crawler(PixivThrottleMiddleware, crawler).policy == "skip"
    assert deprecation_lines(caplog) == ["PIXIV_RATELIMIT_POLICY is deprecated: use PIXIV_THROTTLE_POLICY"]


def test_an_old_name_in_a_spiders_custom_settings_moves_with_the_spiders_priority():
    class Patient(IllustSeriesSpider):
        custom_settings: ClassVar[dict] = {"PIXIV_BACKOFF_BASE": 5}

    with pytest.warns(ScrapyDeprecationWarning, match="use PIXIV_THROTTLE_BACKOFF_BASE"):
        crawler = cmdline_crawler(Patient)
    assert crawler.settings.getpriority("PIXIV_THROTTLE_BACKOFF_BASE") == SETTINGS_PRIORITIES["spider"]
    assert build_from_crawler(PixivThrottleMiddleware, crawler).backoff_base == 5.0


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED.items()))
def test_every_old_name_moves_to_its_new_one(old, new):
    settings = BaseSettings()
    settings.setmodule(default_settings, priority="project")
    settings.set(old, "given", priority="cmdline")
    with pytest.warns(ScrapyDeprecationWarning) as caught:
        apply_deprecations(settings)
    assert [str(w.message) for w in caught] == [f"{old} is deprecated: use {new}"]
    assert settings[new] == "given" and settings.getpriority(new) == CMDLINE
    assert settings[old] == "given"  # kept, for code that still reads it


@pytest.mark.parametrize("new_priority", ["cmdline", "spider"])
def test_both_given_the_new_name_wins(caplog, new_priority):
    settings = Settings(project_settings({}))
    settings.set("PIXIV_FILES_IMAGE_SIZE", "regular", priority=new_priority)
    settings.set("PIXIV_IMAGE_SIZE", "small", priority="spider")
    with caplog.at_level(logging.INFO), pytest.warns(ScrapyDeprecationWarning, match="both are set"):
        apply_deprecations(settings)
    assert settings["PIXIV_FILES_IMAGE_SIZE"] == "regular"
    line = ("PIXIV_IMAGE_SIZE is deprecated: use PIXIV_FILES_IMAGE_SIZE (both are set: "
            "PIXIV_FILES_IMAGE_SIZE='regular' is used)")
    assert deprecation_lines(caplog) == [line]


def test_both_given_with_s_the_new_name_reaches_the_throttle():
    with pytest.warns(ScrapyDeprecationWarning, match="both are set"):
        crawler = cmdline_crawler(PIXIV_RATELIMIT_WINDOW="10", PIXIV_THROTTLE_WINDOW="30")
    assert build_from_crawler(PixivThrottleMiddleware, crawler).window == 30.0


def test_both_given_at_the_projects_priority_the_new_name_wins_unless_it_is_pixivcrawls_default():
    with pytest.warns(ScrapyDeprecationWarning, match="both are set"):
        crawler = make_crawler(PIXIV_RATE_BURST=3, PIXIV_THROTTLE_BURST=2)
    assert crawler.settings.getfloat("PIXIV_THROTTLE_BURST") == 2.0
    default = default_settings.PIXIV_THROTTLE_BURST
    with pytest.warns(ScrapyDeprecationWarning, match="^PIXIV_RATE_BURST is deprecated: use PIXIV_THROTTLE_BURST$"):
        crawler = make_crawler(PIXIV_RATE_BURST=3, PIXIV_THROTTLE_BURST=default)
    assert crawler.settings.getfloat("PIXIV_THROTTLE_BURST") == 3.0


def test_an_old_name_below_the_new_ones_priority_loses():
    """A lower-priority old name (an add-on's) is what it was before the rename: pixivcrawl's project value wins."""
    settings = Settings(project_settings({}))
    settings.set("PIXIV_RATELIMIT_SAFETY", 0.5, priority="addon")
    with pytest.warns(ScrapyDeprecationWarning, match="both are set"):
        apply_deprecations(settings)
    assert settings.getfloat("PIXIV_THROTTLE_SAFETY") == default_settings.PIXIV_THROTTLE_SAFETY


def test_settings_that_are_not_renamed_are_untouched():
    given = {"PIXIV_RATE_SOMETHING": "1", "PIXIV_THROTTLE_UNKNOWN": "2", "PIXIV_IMAGE": "3",
             "PIXIV_RETRY_BACKOFF": "4", "PIXIV_FILES_MAX_ERRORS": "5", "PIXIV_REDIS_PREFIX": "six"}
    settings = Settings(project_settings(given))
    before = {name: (settings.getpriority(name), settings[name]) for name in settings}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        apply_deprecations(settings)
    assert {name: (settings.getpriority(name), settings[name]) for name in settings} == before


def test_the_new_names_alone_give_no_warning(caplog):
    with caplog.at_level(logging.INFO), warnings.catch_warnings():
        warnings.simplefilter("error", ScrapyDeprecationWarning)
        crawler = cmdline_crawler(PIXIV_THROTTLE_APP_RATE="3", PIXIV_FILES_IMAGE_SIZE="none")
    assert crawler.settings.getfloat("PIXIV_THROTTLE_APP_RATE") == 3.0
    assert deprecation_lines(caplog) == []


@pytest.mark.parametrize(("delay", "rate"), [("0.5", 2.0), ("4", 0.25), ("0", 0.0)])
def test_the_api_delay_alone_still_gives_the_api_rates(caplog, delay, rate):
    with caplog.at_level(logging.INFO), pytest.warns(ScrapyDeprecationWarning, match="PIXIV_API_DELAY is deprecated"):
        crawler = cmdline_crawler(PIXIV_API_DELAY=delay)
    mw = build_from_crawler(PixivThrottleMiddleware, crawler)
    assert (mw.budgets["app"].rate, mw.budgets["web"].rate, mw.budgets["cdn"].rate) == (rate, rate, 0.0)
    [line] = deprecation_lines(caplog)
    assert line.startswith("PIXIV_API_DELAY is deprecated: use PIXIV_THROTTLE_APP_RATE and PIXIV_THROTTLE_WEB_RATE "
                           f"(requests per second; PIXIV_API_DELAY={delay} sets PIXIV_THROTTLE_APP_RATE and "
                           f"PIXIV_THROTTLE_WEB_RATE to {rate:g}")


def test_the_api_delay_in_a_project_settings_dict_sets_the_rates():
    with pytest.warns(ScrapyDeprecationWarning, match="PIXIV_API_DELAY"):
        mw = build_from_crawler(PixivThrottleMiddleware, make_crawler(PIXIV_API_DELAY=0.25))
    assert mw.budgets["app"].rate == mw.budgets["web"].rate == 4.0


@pytest.mark.parametrize("app_name", ["PIXIV_APP_RATE", "PIXIV_THROTTLE_APP_RATE"])
def test_explicit_rates_win_over_the_api_delay(app_name):
    app_rate = 1.0  # pixivcrawl's default value, given explicitly: still given
    with pytest.warns(ScrapyDeprecationWarning, match="PIXIV_API_DELAY is deprecated") as caught:
        crawler = cmdline_crawler(**{"PIXIV_API_DELAY": "0.5", app_name: str(app_rate)})
    mw = build_from_crawler(PixivThrottleMiddleware, crawler)
    assert mw.budgets["app"].rate == app_rate and mw.budgets["web"].rate == 2.0
    assert any("sets PIXIV_THROTTLE_WEB_RATE to 2" in str(w.message) for w in caught)


def test_the_api_delay_is_ignored_when_both_rates_are_given():
    with pytest.warns(ScrapyDeprecationWarning, match=r"both are set: PIXIV_API_DELAY is ignored"):
        crawler = cmdline_crawler(PIXIV_API_DELAY="0.5", PIXIV_THROTTLE_APP_RATE="4", PIXIV_WEB_RATE="0.25")
    mw = build_from_crawler(PixivThrottleMiddleware, crawler)
    assert (mw.budgets["app"].rate, mw.budgets["web"].rate) == (4.0, 0.25)


@pytest.mark.parametrize(("given", "problem"), [
    ({"PIXIV_IMAGE_SIZE": "huge"}, "PIXIV_FILES_IMAGE_SIZE must be one of original, regular, small, none, not 'huge'"),
    ({"PIXIV_RATELIMIT_SAFETY": "1.5"}, "PIXIV_THROTTLE_SAFETY must be a number (more than 0, at most 1), not '1.5'"),
    ({"PIXIV_API_DELAY": "abc"}, "PIXIV_API_DELAY must be a number of seconds (0 or more), not 'abc'"),
])
def test_the_checks_name_the_new_setting(given, problem):
    with pytest.warns(ScrapyDeprecationWarning):
        crawler = cmdline_crawler(**given)
    assert crawler.get_addon(PixivAddon).problems == [problem]
