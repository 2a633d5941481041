"""Spider arguments: each wrong argument is refused with one sentence that names it and what it may be.

The sentences are checked on the argument models (each rule, each sentence, in full) and on spiders
constructed directly (no crawl, no replica), as are the spellings ``-a`` accepts and what the callbacks read
from valid arguments; one in-process crawl per spider shows that a refused argument stops the crawl at start
(``finish_reason: bad_arguments``, no request sent, the sentence logged once), and one ``scrapy crawl`` shows
the same from the command line.
"""

from __future__ import annotations

import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from scrapy.spiderloader import SpiderLoader

from pixivcrawl.replica.accounts import replica_account
from pixivcrawl.spiders.arguments import SpiderArgumentError, validate_arguments

from .conftest import ROOT, crawl_command, crawl_env, run_crawl
from .decorators import coroutine_test
from .settings import project_settings

BAD_ARGUMENTS = [
    ("illust_series", {"series_id": "abc"}, ("Argument series_id takes an illust series id or a series URL like "
                      "https://www.pixiv.net/user/1/series/123, not 'abc'.")),
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
    ("bookmarks", {"work": "manga"}, "Argument work must be one of illust, novel, not 'manga'."),
    ("bookmarks", {"restrict": "hide"}, "Argument restrict must be one of public, private, not 'hide'."),
    ("bookmarks", {"user_id": "https://www.pixiv.net/artworks/5"}, ("Argument user_id takes a user id or a user "
                   "URL like https://www.pixiv.net/users/123; https://www.pixiv.net/artworks/5 is an illust.")),
    ("following", {"user_id": "https://www.pixiv.net/artworks/123"},
     ("Argument user_id takes a user id or a user URL like https://www.pixiv.net/users/123; "
     "https://www.pixiv.net/artworks/123 is an illust.")),
    ("following", {"restrict": "hidden"}, "Argument restrict must be one of public, private, all, not 'hidden'."),
    ("following", {"incremental": "1"},
     "Argument incremental=1 needs works=1: the follow list itself is always read whole."),
    ("feed", {"work": "manga"}, "Argument work must be one of illust, novel, not 'manga'."),
    ("feed", {"restrict": "friends"}, "Argument restrict must be one of all, public, private, not 'friends'."),
    ("feed", {"user_id": "1"}, ("Unknown argument 'user_id'; this spider takes: work, restrict, max_pages, "
                               "incremental.")),
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
    assert result.stats["log_count/ERROR"] == 1  # the sentence alone, not pydantic's report as well


def test_scrapy_crawl_prints_the_sentence(tmp_path):
    spider, args, sentence = BAD_ARGUMENTS[0]
    env = crawl_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
                    PIXIV_REFRESH_TOKEN=replica_account(0).refresh_token)
    proc = subprocess.run(crawl_command(spider, args, {}), cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert sentence in proc.stderr
    assert "'finish_reason': 'bad_arguments'" in proc.stderr
    assert "downloader/request_count" not in proc.stderr


# -- the argument models: every rule, every sentence in full --------------------------------------------------

SEARCH_TAKES = ("word, type, order, mode, s_mode, content, wlt, wgt, hlt, hgt, ratio, tool, scd, ecd, blt, bgt, "
                "work_lang, ai_type, lang, max_pages, details, incremental")
FLAG_SENTENCE = "Argument {} must be one of 0, 1, true, false, yes, no, not {!r}."
#: pixiv's day now (the ranking spider refuses later days)
TODAY_JST = datetime.now(timezone(timedelta(hours=9))).date().isoformat()

SENTENCES = [
    # unknown arguments, named with everything the spider takes
    ("search", {"word": "x", "zeta": "1", "alpha": "2"},
     f"Unknown argument 'alpha'; this spider takes: {SEARCH_TAKES}."),
    ("illust_series", {"series_id": "1", "novel_id": "3"},
     "Unknown argument 'novel_id'; this spider takes: series_id, illust_id, incremental."),
    ("commission", {"incremental": "1"},
     "Unknown argument 'incremental'; this spider takes: section, type, mode, max_pages."),
    ("ranking", {"colour": "red"},
     ("Unknown argument 'colour'; this spider takes: api, work, mode, content, date, date_from, date_to, max_pages, "
      "incremental.")),
    # value types
    ("illust_series", {"series_id": "0"}, ("Argument series_id takes an illust series id or a series URL like "
                                          "https://www.pixiv.net/user/1/series/123, not '0'.")),
    ("novel_series", {"novel_id": "x"}, ("Argument novel_id takes a novel id or a novel URL like "
                                        "https://www.pixiv.net/novel/show.php?id=123, not 'x'.")),
    ("novel_series", {"novel_id": "https://www.pixiv.net/artworks/5"},
     ("Argument novel_id takes a novel id or a novel URL like https://www.pixiv.net/novel/show.php?id=123; "
     "https://www.pixiv.net/artworks/5 is an illust.")),
    ("search", {"word": "x", "hgt": "a"}, "Argument hgt must be a whole number of 0 or more, not 'a'."),
    ("search", {"word": "x", "bgt": ""}, "Argument bgt must be a whole number of 0 or more, not ''."),
    ("ranking", {"date": "bad"}, "Argument date must be a date like 2024-01-31 or 20240131, not 'bad'."),
    ("search", {"word": "x", "details": "Maybe"}, FLAG_SENTENCE.format("details", "maybe")),
    ("ranking", {"incremental": "2"}, FLAG_SENTENCE.format("incremental", "2")),
    ("search", {"word": "x", "ratio": "wide"},
     "Argument ratio must be a number (0.5 landscape, -0.5 portrait, 0 square), not 'wide'."),
    # choices (the model's Literal values, in order)
    ("search", {"word": "x", "type": "bad"},
     "Argument type must be one of artworks, illustrations, manga, novels, not 'bad'."),
    ("search", {"word": "x", "mode": "R18"}, "Argument mode must be one of all, safe, r18, not 'R18'."),
    ("search", {"word": "x", "s_mode": "x"}, "Argument s_mode must be one of s_tag_full, s_tag, s_tc, not 'x'."),
    ("search", {"word": "x", "content": "bad"},
     "Argument content must be one of all, illust_and_ugoira, illust, manga, ugoira, not 'bad'."),
    ("search", {"word": "x", "ai_type": " 1"}, "Argument ai_type must be one of 0, 1, not ' 1'."),
    ("ranking", {"api": "bad"}, "Argument api must be one of web, app, not 'bad'."),
    ("ranking", {"api": "app", "work": "bad", "date": "20240101"},
     "Argument work must be one of illust, novel, not 'bad'."),
    ("commission", {"section": "complete,finished"},
     "Argument section must be one of overview, complete, creators, in_progress, not 'finished'."),
    ("commission", {"mode": "x"}, "Argument mode must be one of all, safe, r18, not 'x'."),
    # search rules
    ("search", {}, "Argument word is required (the tag or keywords to search for)."),
    ("search", {"word": "  "}, "Argument word is required (the tag or keywords to search for)."),
    ("search", {"word": "x", "type": "novels", "content": "bad"},
     "Argument content applies to artworks, illustrations and manga, not novels."),
    ("search", {"word": "x", "work_lang": "ja"}, "Argument work_lang applies to type=novels only."),
    ("search", {"word": "x", "scd": "2024-02-01", "ecd": "2024-01-01"}, "Argument scd must not be later than ecd."),
    ("search", {"word": "x", "wlt": "2000", "wgt": "100"},
     "Argument wlt (a minimum) must not be more than wgt (a maximum): 2000 > 100."),
    ("search", {"word": "x", "blt": "100", "bgt": "5"},
     "Argument blt (a minimum) must not be more than bgt (a maximum): 100 > 5."),
    ("search", {"word": "x", "type": "novels", "tool": "SAI"},
     "Argument tool applies to artworks, illustrations and manga, not novels."),
    # ranking rules
    ("ranking", {"work": "novel"}, "Novel rankings are crawled with -a api=app -a work=novel."),
    ("ranking", {"date": "2999-01-01"},
     f"Argument date must not be after today in Japan ({TODAY_JST}): pixiv has no ranking of 2999-01-01 yet."),
    ("ranking", {"api": "app", "work": "novel", "mode": "month", "date": "20240101"},
     "Argument mode must be one of day, week, day_male, day_female, week_rookie, day_r18, not 'month'."),
    ("ranking", {"api": "app", "mode": "daily", "date": "20240101"},
     ("Argument mode must be one of day, week, month, day_male, day_female, week_original, week_rookie, day_manga, "
      "week_manga, month_manga, week_rookie_manga, day_r18, day_male_r18, day_female_r18, week_r18, week_r18g, "
      "day_ai, day_r18_ai, not 'daily'.")),
    ("ranking", {"mode": "monthly", "content": "ugoira"},
     "Argument content must be one of all, illust, manga for mode monthly, not 'ugoira'."),
    ("ranking", {"content": "novel"},
     "Argument content must be one of all, illust, ugoira, manga for mode daily, not 'novel'."),
    ("ranking", {"api": "app", "content": "all", "date": "20240101"},
     "Argument content is for api=web; App API modes name it (day_manga, …)."),
    ("ranking", {"date": "20240101", "date_to": "20240102"},
     "Give either -a date=… or -a date_from=… -a date_to=…, not both."),
    ("ranking", {"date_from": "20240101"}, "Give both -a date_from=… and -a date_to=…."),
    ("ranking", {"api": "app", "date_to": "20240101"}, "Give both -a date_from=… and -a date_to=…."),
    ("ranking", {"date_from": "20100101", "date_to": "20240101"}, "A date range may span at most ten years."),
    ("ranking", {"api": "app", "work": "novel"},
     "The App API ranking needs -a date=… (or date_from/date_to): its answers do not say which day they are."),
    # commission rules
    ("commission", {"section": "overview,complete", "type": "all"},
     "No listing matches section='overview,complete' and type='all'; see the spider's documentation."),
    ("commission", {"section": ""}, "No listing matches section='' and type=None; see the spider's documentation."),
    # series rules
    ("novel_series", {}, "Give exactly one of -a series_id=… or -a novel_id=…."),
    ("illust_series", {"series_id": "1", "illust_id": "2"}, "Give exactly one of -a series_id=… or -a illust_id=…."),
]


@pytest.mark.parametrize(("spider", "args", "sentence"), SENTENCES)
def test_each_rule_has_its_sentence(spider, args, sentence):
    with pytest.raises(SpiderArgumentError) as raised:
        validate_arguments(spider_class(spider).params_model(), args)
    assert str(raised.value) == sentence


@pytest.mark.parametrize(("spider", "args", "expected"), [
    # dates in both spellings, with spaces around them
    ("search", {"word": "x", "scd": "2024-01-01", "ecd": " 20240131 "},
     {"scd": date(2024, 1, 1), "ecd": date(2024, 1, 31)}),
    # flags in every spelling and case
    *[("search", {"word": "x", "details": given}, {"details": value}) for given, value in
      [("1", True), ("0", False), ("TRUE", True), ("false", False), (" Yes ", True), ("no", False)]],
    # numbers with spaces around them
    ("search", {"word": "x", "wlt": " 5 ", "max_pages": " 2 ", "ratio": " -0.5 "},
     {"wlt": 5, "max_pages": 2, "ratio": -0.5}),
    ("illust_series", {"illust_id": " 5 "}, {"illust_id": 5, "series_id": None, "incremental": False}),
    ("commission", {"section": " complete , in_progress ", "type": "illust,manga"},
     {"section": ["complete", "in_progress"], "type": ["illust", "manga"]}),
    # scrapyd's own arguments are let through
    ("novel_series", {"series_id": "7", "_job": "j1", "_version": "v"}, {"series_id": 7}),
])
def test_the_spellings_of_a_command_line_are_accepted(spider, args, expected):
    params = validate_arguments(spider_class(spider).params_model(), args)
    assert {name: getattr(params, name) for name in expected} == expected


# -- what the callbacks read from valid arguments -------------------------------------------------------------

def test_a_search_spider_reads_the_query_and_its_credentials():
    spider = spider_class("search")(word=" 猫 ", type="novels", mode="r18", details="1", order="date", wlt="10",
                                    work_lang="ja", ai_type="1", scd="20240101", _job="j")
    assert spider.argument_error is None
    assert (spider.kind, spider.scd, spider.ecd, spider.max_pages, spider.details, spider.incremental) == \
        ("novels", date(2024, 1, 1), None, None, True, False)
    assert list(spider.params.items()) == [("word", "猫"), ("order", "date"), ("mode", "r18"),
                                           ("s_mode", "s_tag_full"), ("wlt", 10), ("ai_type", 1), ("work_lang", "ja")]
    assert list(spider.query) == ["type", "word", "order", "mode", "s_mode", "wlt", "ai_type", "work_lang", "scd"]
    assert spider.query_key == ("novels:猫?ai_type=1&mode=r18&order=date&s_mode=s_tag_full&scd=2024-01-01&wlt=10"
                                "&work_lang=ja")
    assert spider.pixiv_credentials == ("phpsessid", "refresh_token")
    assert spider.arguments["_job"] == "j"  # every argument as given names the shared frontier
    assert spider_class("search")(word="x").pixiv_credentials == ()


@pytest.mark.parametrize(("args", "expected"), [
    ({}, ("daily", "all", [None], ())),
    ({"mode": "weekly_r18", "content": "manga", "date": "20240131"},
     ("weekly_r18", "manga", [date(2024, 1, 31)], ("phpsessid",))),
    ({"date_from": "2024-01-30", "date_to": "20240201"},
     ("daily", "all", [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1)], ())),
    ({"api": "app", "date": "20240101"}, ("day", "all", [date(2024, 1, 1)], ("refresh_token",))),
    ({"api": "app", "work": "novel", "mode": "week", "date": "20240101"},
     ("week", "novel", [date(2024, 1, 1)], ("refresh_token",))),
])
def test_a_ranking_spider_reads_its_days_mode_and_content(args, expected):
    spider = spider_class("ranking")(**args)
    assert (spider.mode, spider.content, spider.dates, spider.pixiv_credentials) == expected


@pytest.mark.parametrize(("args", "listings", "credentials"), [
    ({}, [("overview", None), ("complete", "illust"), ("complete", "manga"), ("complete", "ugoira"),
          ("creators", "illust"), ("creators", "manga"), ("creators", "ugoira"), ("in_progress", "all"),
          ("in_progress", "illust"), ("in_progress", "manga"), ("in_progress", "ugoira")], ()),
    ({"section": "overview,complete", "type": "manga", "mode": "r18", "max_pages": "3"}, [("complete", "manga")],
     ("phpsessid",)),
])
def test_a_commission_spider_reads_its_listings(args, listings, credentials):
    spider = spider_class("commission")(**args)
    assert (spider.listings, spider.pixiv_credentials) == (listings, credentials)


@pytest.mark.parametrize(("spider", "args", "expected"), [
    ("illust_series", {"series_id": "10", "incremental": "yes"}, (10, None, True)),
    ("novel_series", {"novel_id": "20"}, (None, 20, False)),
])
def test_a_series_spider_reads_where_it_starts(spider, args, expected):
    crawler = spider_class(spider)(**args)
    assert (crawler.series_id, crawler.member_id, crawler.incremental) == expected
    assert crawler.pixiv_credentials == ("refresh_token",)


@pytest.mark.parametrize(("args", "expected"), [
    ({}, (None, "illust", "public", None, "USER_BOOKMARKS_ILLUST")),
    ({"user_id": "https://www.pixiv.net/en/users/7", "work": "novel"}, (7, "novel", "public", None,
                                                                        "USER_BOOKMARKS_NOVEL")),
    # a bookmarks page's URL gives its list, tag and restrict; arguments given say otherwise
    ({"user_id": "https://www.pixiv.net/users/7/bookmarks/novels?tag=%E9%A2%A8%E6%99%AF&rest=hide"},
     (7, "novel", "private", "風景", "USER_BOOKMARKS_NOVEL")),
    ({"user_id": "https://www.pixiv.net/users/7/bookmarks/artworks?rest=hide", "restrict": "public", "tag": "a"},
     (7, "illust", "public", "a", "USER_BOOKMARKS_ILLUST")),
])
def test_a_bookmarks_spider_reads_whose_list(args, expected):
    from pixivcrawl import endpoints

    spider = spider_class("bookmarks")(**args)
    *values, endpoint = expected
    assert (spider.owner, spider.work, spider.restrict, spider.tag) == tuple(values)
    assert spider.endpoint is getattr(endpoints, endpoint) and spider.pixiv_credentials == ("refresh_token",)


def test_a_following_page_url_with_rest_hide_asks_for_the_private_list():
    from pixivcrawl.spiders.following import FollowingParams

    url = "https://www.pixiv.net/users/5000000/following?rest=hide"
    assert validate_arguments(FollowingParams, {"user_id": url}).restrict == "private"
    assert validate_arguments(FollowingParams, {"user_id": url, "restrict": "all"}).restrict == "all"
    assert validate_arguments(FollowingParams, {"user_id": url.split("?", maxsplit=1)[0]}).restrict == "public"
