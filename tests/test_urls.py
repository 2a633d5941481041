"""pixiv URLs wherever an id goes: every URL form :mod:`pixivcrawl.urls` reads, what it refuses, and the
spider argument types of :mod:`pixivcrawl.spiders.params` built on it (one sentence for a wrong value).

The image URLs are the shapes of the captures in ``tests/fixtures`` (App API ``image_urls``, ugoira zips,
novel covers)."""

from __future__ import annotations

import pytest
from pydantic import Field

from pixivcrawl.spiders.arguments import PixivParams, SpiderArgumentError, validate_arguments
from pixivcrawl.spiders.illust_series import IllustSeriesParams
from pixivcrawl.spiders.novel_series import NovelSeriesParams
from pixivcrawl.spiders.params import (
    IllustRef,
    IllustRefList,
    IllustSeriesRef,
    NovelRef,
    NovelRefList,
    NovelSeriesRef,
    NovelSeriesRefList,
    UserRef,
    UserRefList,
)
from pixivcrawl.spiders.reference import arguments
from pixivcrawl.urls import PixivRef, PixivUrlError, parse_ref, read_lines

DATE = "2024/01/02/03/04/05"

#: (text, the reference it names) — every form the issue lists, and the spellings around them
URL_FORMS = [
    ("https://www.pixiv.net/artworks/123", PixivRef("illust", 123)),
    ("https://www.pixiv.net/en/artworks/123", PixivRef("illust", 123)),
    ("https://www.pixiv.net/zh-tw/artworks/123", PixivRef("illust", 123)),
    ("http://pixiv.net/artworks/123/", PixivRef("illust", 123)),
    ("www.pixiv.net/artworks/123", PixivRef("illust", 123)),
    ("https://www.pixiv.net/artworks/123#manga", PixivRef("illust", 123)),
    ("https://touch.pixiv.net/artworks/123?foo=bar", PixivRef("illust", 123)),
    ("https://www.pixiv.net/i/123", PixivRef("illust", 123)),
    ("https://www.pixiv.net/member_illust.php?mode=medium&illust_id=123", PixivRef("illust", 123)),
    ("https://www.pixiv.net/member_illust.php?illust_id=123&mode=manga", PixivRef("illust", 123)),
    ("https://www.pixiv.net/users/11", PixivRef("user", 11)),
    ("https://www.pixiv.net/en/users/11", PixivRef("user", 11)),
    ("https://www.pixiv.net/users/11/illustrations", PixivRef("user", 11, page="illustrations")),
    ("https://www.pixiv.net/users/11/manga", PixivRef("user", 11, page="manga")),
    ("https://www.pixiv.net/users/11/artworks", PixivRef("user", 11, page="artworks")),
    ("https://www.pixiv.net/users/11/novels", PixivRef("user", 11, page="novels")),
    ("https://www.pixiv.net/users/11/illustrations/%E7%8C%AB", PixivRef("user", 11, page="illustrations", tag="猫")),
    ("https://www.pixiv.net/users/11/artworks/original", PixivRef("user", 11, page="artworks", tag="original")),
    ("https://www.pixiv.net/users/11/bookmarks/artworks",
     PixivRef("user", 11, page="bookmarks/artworks")),
    ("https://www.pixiv.net/en/users/11/bookmarks/novels?rest=hide",
     PixivRef("user", 11, page="bookmarks/novels", restrict="private")),
    ("https://www.pixiv.net/users/11/bookmarks/artworks/%E7%8C%AB?rest=show",
     PixivRef("user", 11, page="bookmarks/artworks", tag="猫", restrict="public")),
    ("https://www.pixiv.net/users/11/bookmarks/artworks?tag=x",
     PixivRef("user", 11, page="bookmarks/artworks", tag="x")),
    ("https://www.pixiv.net/users/11/following?rest=hide", PixivRef("user", 11, page="following",
                                                                    restrict="private")),
    ("https://www.pixiv.net/member.php?id=11", PixivRef("user", 11)),
    ("https://www.pixiv.net/member_illust.php?id=11", PixivRef("user", 11, page="artworks")),
    ("https://www.pixiv.net/bookmark.php?id=11&rest=hide",
     PixivRef("user", 11, page="bookmarks/artworks", restrict="private")),
    ("https://www.pixiv.net/novel/member.php?id=11", PixivRef("user", 11, page="novels")),
    ("https://www.pixiv.net/novel/bookmark.php?id=11", PixivRef("user", 11, page="bookmarks/novels")),
    ("https://www.pixiv.net/user/11/series/10", PixivRef("illust_series", 10, user_id=11)),
    ("https://www.pixiv.net/en/user/11/series/10", PixivRef("illust_series", 10, user_id=11)),
    ("https://www.pixiv.net/novel/show.php?id=20", PixivRef("novel", 20)),
    ("https://www.pixiv.net/en/novel/show.php?id=20#1", PixivRef("novel", 20)),
    ("https://www.pixiv.net/novel/series/30", PixivRef("novel_series", 30)),
    ("https://www.pixiv.net/en/novel/series/30", PixivRef("novel_series", 30)),
    (f"https://i.pximg.net/img-original/img/{DATE}/123_p0.png", PixivRef("illust", 123)),
    (f"https://i.pximg.net/img-original/img/{DATE}/123_ugoira0.jpg", PixivRef("illust", 123)),
    (f"https://i.pximg.net/c/250x250_80_a2/img-master/img/{DATE}/123_p0_square1200.jpg", PixivRef("illust", 123)),
    (f"https://i.pximg.net/c/600x1200_90_webp/img-master/img/{DATE}/123_p3_master1200.jpg",
     PixivRef("illust", 123)),
    (f"https://i.pximg.net/c/360x360_70/custom-thumb/img/{DATE}/123_p0_custom1200.jpg", PixivRef("illust", 123)),
    (f"https://i.pximg.net/img-zip-ugoira/img/{DATE}/123_ugoira600x600.zip", PixivRef("illust", 123)),
    (f"https://i-f.pximg.net/img-original/img/{DATE}/123_p0.jpg", PixivRef("illust", 123)),
    ((f"https://i.pximg.net/c/240x480_80/novel-cover-master/img/{DATE}/20_07021ce8e2746e9c874746abc8a63259_"
     "master1200.jpg"), PixivRef("novel", 20)),
]


@pytest.mark.parametrize(("text", "expected"), URL_FORMS)
def test_every_url_form_names_its_work_user_or_series(text, expected):
    ref = parse_ref(text)
    assert (ref.kind, ref.id, ref.user_id, ref.page, ref.tag, ref.restrict) == (
        expected.kind, expected.id, expected.user_id, expected.page, expected.tag, expected.restrict)
    assert ref.url == text
    assert str(ref) == text


@pytest.mark.parametrize("kind", ["illust", "novel", "user", "illust_series", "novel_series"])
def test_a_plain_id_is_of_the_kind_asked_for(kind):
    assert parse_ref(" 42 ", kind) == PixivRef(kind, 42)
    assert str(parse_ref("42", kind)) == "42"


@pytest.mark.parametrize(("text", "sentence"), [
    ("42", "42 is a plain id: say what it is an id of, or give its pixiv URL."),
    ("", "An empty value is neither an id nor a pixiv URL."),
    ("abc", "'abc' is neither an id nor a pixiv URL."),
    ("https://example.com/artworks/1", ("https://example.com/artworks/1 is not a pixiv URL (www.pixiv.net or "
                                       "i.pximg.net).")),
    ("https://www.pixiv.net/ranking.php", ("https://www.pixiv.net/ranking.php names no pixiv work, user or series "
                                          "that pixivcrawl knows.")),
    ("https://www.pixiv.net/member_illust.php?mode=medium", ("https://www.pixiv.net/member_illust.php?mode=medium "
                                                            "names no pixiv work, user or series that pixivcrawl "
                                                            "knows.")),
    (f"https://i.pximg.net/user-profile/img/{DATE}/11_8aacb194299942725f0a90bf8a14a290_170.jpg",
     (f"https://i.pximg.net/user-profile/img/{DATE}/11_8aacb194299942725f0a90bf8a14a290_170.jpg names no pixiv "
     "work, user or series that pixivcrawl knows.")),
])
def test_what_names_nothing_is_refused_with_one_sentence(text, sentence):
    with pytest.raises(PixivUrlError) as exc:
        parse_ref(text)
    assert str(exc.value) == sentence


def test_zero_is_no_id():
    with pytest.raises(PixivUrlError, match="is not an id"):
        parse_ref("0", "illust")


@pytest.mark.parametrize(("ref", "url"), [
    (PixivRef("illust", 1), "https://www.pixiv.net/artworks/1"),
    (PixivRef("novel", 2), "https://www.pixiv.net/novel/show.php?id=2"),
    (PixivRef("user", 3, page="bookmarks/artworks"), "https://www.pixiv.net/users/3"),
    (PixivRef("illust_series", 4, user_id=3), "https://www.pixiv.net/user/3/series/4"),
    (PixivRef("novel_series", 5), "https://www.pixiv.net/novel/series/5"),
])
def test_canonical_url_is_read_back_as_the_same_reference(ref, url):
    assert ref.canonical_url == url
    again = parse_ref(url)
    assert (again.kind, again.id) == (ref.kind, ref.id)


def test_lines_of_a_list_skip_blanks_and_comments_and_keep_their_numbers():
    text = ["# my works", "", "123", "https://www.pixiv.net/artworks/4#manga  # the manga", "  56  ", "\t#x"]
    assert read_lines(text) == [(3, "123"), (4, "https://www.pixiv.net/artworks/4#manga"), (5, "56")]


# -- argument types -------------------------------------------------------------------------------------


class Refs(PixivParams):
    illust_id: IllustRef | None = Field(None)
    novel_id: NovelRef | None = Field(None)
    user_id: UserRef | None = Field(None)
    illust_series_id: IllustSeriesRef | None = Field(None)
    novel_series_id: NovelSeriesRef | None = Field(None)
    illust_ids: IllustRefList | None = Field(None)
    novel_ids: NovelRefList | None = Field(None)
    user_ids: UserRefList | None = Field(None)
    novel_series_ids: NovelSeriesRefList | None = Field(None)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("illust_id", "123", 123),
    ("illust_id", "https://www.pixiv.net/en/artworks/123", 123),
    ("illust_id", "https://www.pixiv.net/member_illust.php?mode=medium&illust_id=123", 123),
    ("illust_id", f"https://i.pximg.net/img-original/img/{DATE}/123_p0.png", 123),
    ("illust_id", 123, 123),
    ("novel_id", "https://www.pixiv.net/novel/show.php?id=20", 20),
    ("novel_id", f"https://i.pximg.net/c/240x480_80/novel-cover-master/img/{DATE}/20_ab_master1200.jpg", 20),
    ("user_id", "https://www.pixiv.net/users/11/bookmarks/artworks", 11),
    ("user_id", "https://www.pixiv.net/member.php?id=11", 11),
    ("illust_series_id", "https://www.pixiv.net/user/11/series/10", 10),
    ("novel_series_id", "https://www.pixiv.net/novel/series/30", 30),
    ("illust_ids", "1, https://www.pixiv.net/artworks/2,,3,1", [1, 2, 3]),
    ("novel_ids", "https://www.pixiv.net/novel/show.php?id=5", [5]),
    ("user_ids", "https://www.pixiv.net/users/1,https://www.pixiv.net/en/users/2/illustrations, 3", [1, 2, 3]),
    ("user_ids", ["4", 5], [4, 5]),
    ("novel_series_ids", "30,https://www.pixiv.net/novel/series/31", [30, 31]),
])
def test_an_id_argument_takes_the_id_or_its_url(name, value, expected):
    assert getattr(validate_arguments(Refs, {name: value}), name) == expected


@pytest.mark.parametrize(("name", "value", "sentence"), [
    ("illust_id", "https://www.pixiv.net/users/1",
     ("Argument illust_id takes an illust id or an artworks URL like https://www.pixiv.net/artworks/123; "
     "https://www.pixiv.net/users/1 is a user.")),
    ("illust_id", "abc",
     "Argument illust_id takes an illust id or an artworks URL like https://www.pixiv.net/artworks/123, not 'abc'."),
    ("illust_id", "0",
     "Argument illust_id takes an illust id or an artworks URL like https://www.pixiv.net/artworks/123, not '0'."),
    ("novel_id", "https://www.pixiv.net/artworks/5",
     ("Argument novel_id takes a novel id or a novel URL like https://www.pixiv.net/novel/show.php?id=123; "
     "https://www.pixiv.net/artworks/5 is an illust.")),
    ("user_id", "https://www.pixiv.net/user/1/series/2",
     ("Argument user_id takes a user id or a user URL like https://www.pixiv.net/users/123; "
     "https://www.pixiv.net/user/1/series/2 is an illust series.")),
    ("illust_series_id", "https://www.pixiv.net/novel/series/2",
     ("Argument illust_series_id takes an illust series id or a series URL like "
     "https://www.pixiv.net/user/1/series/123; https://www.pixiv.net/novel/series/2 is a novel series.")),
    ("novel_series_id", "https://www.pixiv.net/novel/show.php?id=2",
     ("Argument novel_series_id takes a novel series id or a novel series URL like "
     "https://www.pixiv.net/novel/series/123; https://www.pixiv.net/novel/show.php?id=2 is a novel.")),
    ("illust_ids", "1,https://www.pixiv.net/novel/show.php?id=2",
     ("Argument illust_ids takes an illust id or an artworks URL like https://www.pixiv.net/artworks/123; "
     "https://www.pixiv.net/novel/show.php?id=2 is a novel.")),
    ("user_ids", " , ",
     ("Argument user_ids takes a user id or a user URL like https://www.pixiv.net/users/123 (several separated "
     "by commas), not ' , '.")),
])
def test_a_value_of_another_kind_is_refused_with_one_sentence(name, value, sentence):
    with pytest.raises(SpiderArgumentError) as exc:
        validate_arguments(Refs, {name: value})
    assert str(exc.value) == sentence


def test_the_series_spiders_take_urls_for_both_their_ids():
    assert validate_arguments(IllustSeriesParams, {"series_id": "https://www.pixiv.net/user/1/series/10"}).series_id \
        == 10
    assert validate_arguments(IllustSeriesParams, {"illust_id": "https://www.pixiv.net/artworks/7"}).illust_id == 7
    assert validate_arguments(NovelSeriesParams, {"series_id": "https://www.pixiv.net/novel/series/30"}).series_id \
        == 30
    assert validate_arguments(NovelSeriesParams, {"novel_id": "https://www.pixiv.net/novel/show.php?id=5"}) \
        .novel_id == 5
    with pytest.raises(SpiderArgumentError, match=r"https://www.pixiv.net/user/1/series/10 is an illust series\.$"):
        validate_arguments(NovelSeriesParams, {"series_id": "https://www.pixiv.net/user/1/series/10"})


def test_readme_tables_call_them_ids_or_urls():
    from pixivcrawl.spiders.illust_series import IllustSeriesSpider

    types = {arg.name: arg.type for arg in arguments(IllustSeriesSpider)}
    assert types == {"series_id": "id or URL", "illust_id": "id or URL", "incremental": "flag"}


@pytest.mark.parametrize("value", ["https://www.pixiv.net/artworks/99999999999999999999999", "9223372036854775808",
                                   "https://www.pixiv.net/users/99999999999999999999/bookmarks/artworks"])
def test_an_id_beyond_64_bits_is_refused(value):
    with pytest.raises(PixivUrlError, match=r"pixiv's ids are at most 9223372036854775807"):
        parse_ref(value, "illust")
