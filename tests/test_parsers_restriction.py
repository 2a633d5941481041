"""Which kind of hiding a work record shows (pixivcrawl.parsers.restriction), on pixiv's real captures turned into
the shapes pixiv sends for works it hides (protocol notes §6.1: ``visible: false``, blank title, caption and tags,
every image URL a ``s.pximg.net/common/images/limit_*`` placeholder; or a ``visible: true`` work whose URLs are
the placeholder, mikf/gallery-dl#4327; or a friends-only novel chapter, auto-novel/auto-novel#219)."""

from __future__ import annotations

import copy

import pytest

from pixivcrawl.parsers.ajax import parse_illust_thumbnail, parse_novel_thumbnail, parse_ranking_page
from pixivcrawl.parsers.app_api import parse_illust, parse_novel
from pixivcrawl.parsers.restriction import (
    app_restriction,
    is_hidden,
    is_placeholder,
    placeholder_kind,
    thumbnail_restriction,
)

from .captures import load_fixture

LIMIT = "https://s.pximg.net/common/images/limit_{}_360.png"
DETAIL = "app-api/v1_illust_detail/pixivpy__126839540.json"
SERIES = "app-api/v1_illust_series/anowlbear.json"
SEARCH = ("ajax/ajax/search/illustrations/"
          "genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json")


def _urls_replaced(obj: dict, url: str) -> None:
    obj["image_urls"] = dict.fromkeys(obj["image_urls"], url)
    if obj.get("meta_single_page"):
        obj["meta_single_page"] = {"original_image_url": url}
    obj["meta_pages"] = [{"image_urls": dict.fromkeys(p["image_urls"], url)} for p in obj.get("meta_pages") or []]


def _hidden_illust(obj: dict, kind: str | None) -> dict:
    """pixiv's placeholder of a work it will not show (§6.1); ``kind`` None keeps the real URLs."""
    hidden = copy.deepcopy(obj)
    hidden.update(title="", caption="", tags=[], tools=[], width=100, height=100, total_view=0, total_bookmarks=0,
                  visible=False)
    hidden["user"] = {**hidden["user"], "name": "", "account": ""}
    if kind is not None:
        _urls_replaced(hidden, LIMIT.format(kind))
    return hidden


@pytest.mark.parametrize(("url", "kind"), [
    ("https://s.pximg.net/common/images/limit_sanity_level_360.png", "sanity_level"),
    ("https://s.pximg.net/common/images/limit_mypixiv_360.png", "mypixiv"),
    ("https://s.pximg.net/common/images/limit_unviewable_360.png", "unviewable"),
    ("https://s.pximg.net/common/images/limit_unknown_360.png", "unknown"),
    ("https://s.pximg.net/common/images/limit_r18_360.png", "r18"),
    ("https://s.pximg.net/common/images/limit_r18g_s.png", "r18g"),
    ("https://s.pximg.net/common/images/limit_sanity_level.jpg", "sanity_level"),
    ("https://s.pximg.net/common/images/limit_!odd.png", "unknown"),  # a placeholder, of a kind not known
    ("https://s.pximg.net/common/images/no_profile.png", None),  # an avatar stand-in, not a work's
    ("https://i.pximg.net/img-original/img/2025/02/03/00/03/17/126839540_p0.jpg", None),
    (None, None),
    (7, None),
])
def test_placeholder_kinds(url, kind):
    assert placeholder_kind(url) == kind and is_placeholder(url) is (kind is not None)


def test_a_shown_capture_has_no_restriction():
    for obj in (load_fixture(DETAIL)["illust"], *load_fixture(SERIES)["illusts"]):
        item = parse_illust(obj)
        assert item.restriction is None and is_hidden(item) is False


@pytest.mark.parametrize("kind", ["sanity_level", "mypixiv", "unviewable", "unknown", "r18", "r18g"])
@pytest.mark.parametrize("capture", ["single", "multi"])
def test_app_placeholders_name_their_kind(kind, capture):
    obj = load_fixture(DETAIL)["illust"] if capture == "single" else load_fixture(SERIES)["illusts"][0]
    item = parse_illust(_hidden_illust(obj, kind))
    assert (item.restriction, item.visible, is_hidden(item)) == (kind, False, True)
    assert all(p.original_url == LIMIT.format(kind) for p in item.pages)


@pytest.mark.parametrize(("flags", "kind"), [
    ({}, "hidden"),
    ({"restrict": 1}, "mypixiv"),
    ({"restrict": 2}, "private"),
    ({"is_mypixiv_only": True}, "mypixiv"),
])
def test_invisible_without_a_placeholder_is_named_by_its_flags(flags, kind):
    obj = {**_hidden_illust(load_fixture(DETAIL)["illust"], None), **flags}
    assert app_restriction(obj) == kind and parse_illust(obj).restriction == kind


def test_a_visible_work_with_placeholder_urls_is_hidden():
    """gallery-dl#4327 (case 07): visible true, sanity_level 4, title and tags kept, every URL the placeholder."""
    obj = copy.deepcopy(load_fixture(SERIES)["illusts"][0])
    _urls_replaced(obj, LIMIT.format("sanity_level"))
    obj["sanity_level"] = 4
    item = parse_illust(obj)
    assert (item.visible, item.restriction, is_hidden(item)) == (True, "sanity_level", True)
    assert item.title == obj["title"] and item.tags and item.image_stamp is None


def test_a_friends_only_novel_chapter():
    """auto-novel#219 / lifegpc/pixiv_downloader#640: the series lists the chapter blank and friends-only."""
    obj = copy.deepcopy(load_fixture("app-api/v2_novel_series/anowlbear.json")["novels"][0])
    assert parse_novel(obj).restriction is None
    obj.update(title="", caption="", tags=[], text_length=0, total_view=0, total_bookmarks=0, visible=False,
               is_mypixiv_only=True, image_urls=dict.fromkeys(obj["image_urls"], LIMIT.format("mypixiv")))
    obj["user"] = {"id": obj["user"]["id"], "name": "", "account": "",
                   "profile_image_urls": {"medium": "https://s.pximg.net/common/images/no_profile.png"}}
    item = parse_novel(obj)
    assert (item.restriction, item.visible, item.text_length, is_hidden(item)) == ("mypixiv", False, 0, True)
    # without the placeholder cover, is_mypixiv_only still names it
    obj["image_urls"] = load_fixture("app-api/v2_novel_series/anowlbear.json")["novels"][0]["image_urls"]
    assert parse_novel(obj).restriction == "mypixiv"


def test_thumbnails_masked_or_with_a_placeholder():
    data = load_fixture(SEARCH)["body"]["illust"]["data"]
    shown = next(d for d in data if not d.get("isAdContainer"))
    assert thumbnail_restriction(shown) is None and is_hidden(parse_illust_thumbnail(shown)) is False
    masked = {**shown, "isMasked": True}
    assert (parse_illust_thumbnail(masked).restriction, parse_illust_thumbnail(masked).visible) == ("masked", False)
    placeholder = {**shown, "url": LIMIT.format("mypixiv"), "isMasked": True}
    item = parse_illust_thumbnail(placeholder)
    assert (item.restriction, is_hidden(item), item.image_stamp) == ("mypixiv", True, None)
    novel = load_fixture("ajax/ajax/search/top/genshin.json")["body"]["novel"]["data"][0]
    assert parse_novel_thumbnail(novel).restriction is None
    assert parse_novel_thumbnail({**novel, "isMasked": True}).restriction == "masked"


def test_a_ranking_entry_with_a_placeholder():
    data = copy.deepcopy(load_fixture("ajax/ranking_format_json_mode_weekly_content_illust_p_1.json"))
    data["contents"][1]["url"] = LIMIT.format("r18")
    entries = parse_ranking_page(data).entries
    assert [(e.work.restriction, e.work.visible) for e in entries[:3]] == [(None, True), ("r18", False), (None, True)]
    assert is_hidden(entries[1].work) and not is_hidden(entries[0].work)


def test_other_items_are_never_hidden():
    assert is_hidden({"visible": True}) is False and is_hidden(object()) is False
