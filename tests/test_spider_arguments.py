"""Spider arguments: each wrong argument is refused with one sentence that names it and what it may be.

The sentences are checked on spiders constructed directly (no crawl, no replica); one in-process crawl per
spider shows that a refused argument stops the crawl at start (``finish_reason: bad_arguments``, no request
sent, the sentence logged), and one ``scrapy crawl`` shows the same from the command line.
"""

from __future__ import annotations

import subprocess

import pytest
from scrapy.spiderloader import SpiderLoader

from pixivcrawl.replica.accounts import replica_account

from .conftest import ROOT, crawl_command, crawl_env, run_crawl
from .decorators import coroutine_test
from .settings import project_settings

BAD_ARGUMENTS = [
    ("illust_series", {"series_id": "abc"}, "Argument series_id must be a positive number, not 'abc'."),
    ("illust_series", {}, "Give exactly one of -a series_id=… or -a illust_id=…."),
    ("novel_series", {"series_id": "1", "colour": "red"},
     "Unknown argument 'colour'; this spider takes: series_id, novel_id, incremental."),
    ("search", {"word": "x", "order": "best"},
     "Argument order must be one of date_d, date, popular_d, popular_male_d, popular_female_d, not 'best'."),
    ("search", {"word": "x", "scd": "2024-13-01"},
     "Argument scd must be a date like 2024-01-31 or 20240131, not '2024-13-01'."),
    ("search", {"word": "x", "wlt": "-5"}, "Argument wlt must be a whole number of 0 or more, not '-5'."),
    ("search", {"order": "date"}, "Argument word is required"),
    ("search", {"word": "x", "type": "novels", "content": "manga"},
     "Argument content applies to artworks, illustrations"),
    ("search", {"word": "x", "colour": "red"}, "Unknown argument 'colour'"),
    ("ranking", {"mode": "original", "content": "manga"},
     "Argument content must be one of all for mode original, not 'manga'."),
    ("ranking", {"mode": "hourly"}, "Argument mode must be one of daily, weekly"),
    ("ranking", {"date": "20240101", "date_from": "20240101", "date_to": "20240102"}, "Give either -a date=… or"),
    ("ranking", {"date_from": "20240105", "date_to": "20240101"},
     "Argument date_from must not be later than date_to."),
    ("ranking", {"api": "app"}, "The App API ranking needs -a date=…"),
    ("commission", {"section": "finished"},
     "Argument section must be one of overview, complete, creators, in_progress"),
    ("commission", {"type": "novel"}, "Argument type must be one of all, illust, manga, ugoira, not 'novel'."),
    ("commission", {"section": "overview", "type": "manga"}, "Argument type does not apply to the overview"),
    ("commission", {"section": "in_progress", "type": "all", "mode": "all", "max_pages": "0"},
     "Argument max_pages must be a positive"),
]


def spider_class(name: str):
    return SpiderLoader.from_settings(project_settings({})).load(name)


@pytest.mark.parametrize(("spider", "args", "sentence"), BAD_ARGUMENTS)
def test_a_wrong_argument_is_one_sentence(spider, args, sentence):
    error = spider_class(spider)(**args).argument_error
    assert error is not None and sentence in str(error)
    assert str(error).count(". ") == 0 and str(error).endswith(".")  # one sentence


@pytest.mark.parametrize("spider", sorted({spider for spider, _, _ in BAD_ARGUMENTS}))
@coroutine_test
async def test_a_wrong_argument_stops_the_crawl_at_start(spider, tmp_path):
    args, sentence = next((a, s) for name, a, s in BAD_ARGUMENTS if name == spider)
    result = await run_crawl(spider, args, replica=None, db_url=f"sqlite:///{tmp_path / 'x.db'}", tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stats["finish_reason"] == "bad_arguments"
    assert sentence in result.output and sentence in result.stats["pixiv/errors/bad_argument"]
    assert result.stats.get("downloader/request_count", 0) == 0


def test_scrapy_crawl_prints_the_sentence(tmp_path):
    spider, args, sentence = BAD_ARGUMENTS[0]
    env = crawl_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                    PIXIV_REFRESH_TOKEN=replica_account(0).refresh_token)
    proc = subprocess.run(crawl_command(spider, args, {}), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert sentence in proc.stderr
    assert "'finish_reason': 'bad_arguments'" in proc.stderr
    assert "downloader/request_count" not in proc.stderr
