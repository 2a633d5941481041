"""Parsers against pixiv's real captures (tests/fixtures), checking concrete values, and bad input."""

from __future__ import annotations

import json
import re

import pytest

from pixivcrawl.parsers.app_api import (
    ParseError,
    next_url,
    parse_illust,
    parse_illust_series_detail,
    parse_novel,
    parse_novel_series_detail,
    parse_ugoira_metadata,
    parse_user,
    parse_user_detail,
    parse_webview_novel,
)

from .captures import FIXTURES, load_fixture

#: every capture of ``/v1/user/detail``
USER_DETAILS = sorted(path.relative_to(FIXTURES).as_posix() for path in FIXTURES.glob("app-api/v1_user_detail/*.json"))


def test_single_page_illust_detail():
    item = parse_illust(load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"])
    assert (item.id, item.user_id, item.type, item.page_count) == (126839540, 1697179, "illust", 1)
    assert item.pages[0].original_url == \
        "https://i.pximg.net/img-original/img/2025/02/03/00/03/17/126839540_p0.jpg"
    assert (item.pages[0].width, item.pages[0].height) == (1299, 871)
    assert [t.name for t in item.tags][:3] == ["キミとアイドルプリキュア♪", "キミプリ", "プリキュア"]
    assert item.tags[2].translated_name == "precure" and item.tags[0].translated_name is None
    assert (item.ai_type, item.book_style, item.total_comments, item.total_bookmarks) == (1, 0, 4, 2196)
    assert item.series_id is None and item.create_date == "2025-02-03T00:03:17+09:00"


def test_multi_page_manga_in_series_capture():
    data = load_fixture("app-api/v1_illust_series/anowlbear.json")
    series = parse_illust_series_detail(data["illust_series_detail"])
    assert (series.id, series.user_id, series.work_count) == (21859, 10509347, 112)
    work = parse_illust(data["illusts"][0])
    assert (work.id, work.type, work.page_count, work.series_id) == (79070294, "manga", 4, 21859)
    assert [p.page for p in work.pages] == [0, 1, 2, 3]
    assert work.pages[3].original_url.endswith("/79070294_p3.jpg")
    assert next_url(data) == "https://app-api.pixiv.net/v1/illust/series?filter=for_android&illust_series_id=21859&offset=30"


def test_user():
    user = parse_user(load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"]["user"])
    assert (user.id, user.name, user.account) == (1697179, "ZUCO/バロ", "zfqligqeirux")  # stand-ins


def test_novel_series_and_novels():
    data = load_fixture("app-api/v2_novel_series/anowlbear.json")
    series = parse_novel_series_detail(data["novel_series_detail"])
    assert (series.id, series.content_count, series.total_character_count) == (1238664, 13, 44907)
    assert series.is_concluded is False
    novel = parse_novel(data["novels"][0])
    assert (novel.id, novel.series_id, novel.text_length, novel.page_count) == (12248944, 1238664, 2832, 2)
    assert [t.name for t in novel.tags] == ["キバユウ", "ポケモン剣盾", "女子会"]


def test_novel_detail_with_series():
    novel = parse_novel(load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"])
    assert (novel.id, novel.user_id, novel.series_id, novel.total_bookmarks) == (12035664, 17572202, 1189914, 3541)


def test_novel_without_series_has_empty_object():
    obj = load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"]
    assert parse_novel({**obj, "series": {}}).series_id is None


@pytest.mark.parametrize(("fixture", "first_id", "marker"), [
    ("app-api/webview_v2_novel/pixiv-shaft__21688446.novel.json", "21688446", "[pixivimage:116524244]"),
    ("app-api/webview_v2_novel/pixko__19713880.novel.json", "19713880", "[uploadedimage:15324760]"),
])
def test_webview_novel_embedded_in_html(fixture, first_id, marker):
    obj = load_fixture(fixture)
    html = ("<html><script>Object.defineProperty(window, 'pixiv', {value: {\n            novel: "
            + json.dumps(obj, ensure_ascii=False) + ",\n            isOwnWork: false,\n}});</script></html>")
    parsed = parse_webview_novel(html)
    assert parsed.raw["id"] == first_id and marker in parsed.text and parsed.text == obj["text"]
    assert "text" not in parsed.raw and parsed.raw == {k: v for k, v in obj.items() if k != "text"}


def test_ugoira_metadata_capture():
    meta = parse_ugoira_metadata(load_fixture("app-api/v1_ugoira_metadata/pixko__126473222.json"), 126473222)
    assert meta.zip_url.endswith("/126473222_ugoira600x600.zip")
    assert [f["delay"] for f in meta.frames] == [60, 70, 70, 60, 70, 70]
    assert meta.frames[5]["file"] == "000005.jpg"


def _illust():
    return load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda o: o.update(type="novel"), "unknown work type 'novel'"),
    (lambda o: o.pop("id"), "has no 'id'"),
    (lambda o: o.update(id="abc"), "illust abc.id is str 'abc', expected int"),
    (lambda o: o.update(page_count=3), "page_count 3 but no meta_pages"),
    (lambda o: o.update(tags="x"), "tags is str"),
    (lambda o: o.update(user=None), "has no 'user'"),
    (lambda o: o["user"].update(id=0), "user.id is 0, not a pixiv id"),
])
def test_malformed_illusts_raise_a_clear_error(change, message):
    obj = _illust()
    change(obj)
    with pytest.raises(ParseError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_illust(obj)


def test_next_url_must_stay_on_the_app_api():
    with pytest.raises(ParseError, match="not an App API URL"):
        next_url({"next_url": "https://evil.example/v1/illust/series?offset=30"})
    assert next_url({"next_url": None}) is None


@pytest.mark.parametrize(("html", "message"), [
    ("<html></html>", "no 'novel: ' object"),
    ("novel: {\"id\": \"1\", ", "not JSON"),
    ("novel: {\"id\": \"1\"},\n isOwnWork", "has no text"),
])
def test_webview_without_a_novel(html, message):
    with pytest.raises(ParseError, match=message):
        parse_webview_novel(html)


@pytest.mark.parametrize("fixture", USER_DETAILS)
def test_user_detail_of_every_capture(fixture):
    data = load_fixture(fixture)
    detail = parse_user_detail(data)
    profile = data["profile"]
    assert (detail.user.id, detail.user.name, detail.user.account) == (
        data["user"]["id"], data["user"]["name"], data["user"]["account"])
    assert detail.user.whole and detail.user.profile_image_url == data["user"]["profile_image_urls"]["medium"]
    assert detail.profile.comment == data["user"]["comment"] and detail.raw is data
    counters = ("total_illusts", "total_manga", "total_novels", "total_illust_series", "total_novel_series",
                "total_illust_bookmarks_public", "total_follow_users", "total_mypixiv_users")
    assert {key: getattr(detail.profile, key) for key in counters} == {key: profile[key] for key in counters}
    assert detail.profile.is_premium is profile["is_premium"]
    # texts pixiv sends empty are None; the others are pixiv's
    for key in ("webpage", "twitter_account", "twitter_url", "pawoo_url", "gender", "region", "job", "birth_day",
                "background_image_url"):
        assert getattr(detail.profile, key) == (profile[key] or None), key
    assert detail.profile.birth_year == (profile["birth_year"] or None)


def test_user_detail_values():
    assert len(USER_DETAILS) == 8  # the parametrized test above sees every capture
    full = parse_user_detail(load_fixture("app-api/v1_user_detail/pixivutil2__1039353.json"))
    shown = full.profile
    assert (full.user.id, shown.total_illusts, shown.total_manga, shown.total_follow_users) == (1039353, 244, 3, 1577)
    assert (shown.gender, shown.birth_day, shown.birth_year, shown.region) == ("female", "06-24", 1992, None)
    assert (shown.webpage, shown.twitter_account, shown.is_premium) == (
        "https://www.muhsryllzi.com", "HlruJbmaUw", True)
    # a birthday without its year, and a novel among the works
    partial = parse_user_detail(load_fixture("app-api/v1_user_detail/anowlbear.json")).profile
    assert (partial.birth_day, partial.birth_year, partial.gender, partial.webpage) == ("05-18", None, None, None)
    assert (partial.total_illusts, partial.total_novels, partial.total_illust_bookmarks_public) == (27, 1, 366)
    assert partial.twitter_url == "https://twitter.com/rpiv_iuuh88" and partial.is_premium is False


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("profile"), "user_detail has no 'profile'"),
    (lambda d: d.update(user=[]), "user_detail.user is list '[]', expected dict"),
    (lambda d: d["user"].update(id=0), "user_detail.user.id is 0, not a pixiv id"),
    (lambda d: d["profile"].pop("total_illusts"), "user_detail.profile has no 'total_illusts'"),
    (lambda d: d["profile"].update(total_manga="many"), "user_detail.profile.total_manga is str 'many'"),
    (lambda d: d["profile"].update(is_premium="yes"), "user_detail.profile.is_premium is str 'yes', expected bool"),
])
def test_malformed_user_detail_raises_a_clear_error(change, message):
    data = load_fixture("app-api/v1_user_detail/anowlbear.json")
    change(data)
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_user_detail(data)
