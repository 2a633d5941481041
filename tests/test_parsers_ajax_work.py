"""The web Ajax work-page parsers (pixivcrawl.parsers.ajax_work) on pixiv's real captures of
``/ajax/illust/{id}`` and ``/ajax/illust/{id}/pages``; ``/ajax/novel/{id}`` and ``…/ugoira_meta`` have no
capture, so they are parsed from the replica's documented bodies and checked against its world; and every
parser fed mutated bodies raises ParseError (naming the field) or returns an item, nothing else."""

from __future__ import annotations

import contextlib
import copy
import functools
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from pixivcrawl.parsers.ajax import AjaxError, ajax_body
from pixivcrawl.parsers.ajax_work import (
    ajax_work_user,
    parse_ajax_illust,
    parse_ajax_novel,
    parse_ajax_pages,
    parse_ajax_ugoira_meta,
)
from pixivcrawl.parsers.common import ParseError
from pixivcrawl.replica import web_works
from pixivcrawl.replica.world import World

from .captures import FIXTURES, load_fixture
from .test_fuzz_parsers import JSON, _mutate, _paths

CAPTURES = sorted(str(p.relative_to(FIXTURES)) for p in (FIXTURES / "web" / "ajax_illust").glob("*.json"))
BODY = "ajax/ajax/illust/100412238.json"
PAGES = "ajax/ajax/illust/100412238/pages.json"
STAMP = re.compile(r"/img/(\d{4}/\d\d/\d\d/\d\d/\d\d/\d\d)/")


def _body(relative: str):
    data = load_fixture(relative)
    return ajax_body(data) if "error" in data else data  # pixrs keeps the body alone


@pytest.mark.parametrize("relative", [*CAPTURES, BODY])
def test_every_ajax_illust_capture(relative):
    data = load_fixture(relative)
    if data.get("error") is True:
        with pytest.raises(AjaxError):
            ajax_body(data)
        return
    body = _body(relative)
    urls = body["urls"]
    if urls["original"] is None:  # seen without a session: pixiv withholds every URL
        with pytest.raises(ParseError, match=r"urls\.original is null"):
            parse_ajax_illust(body)
        return
    if body["pageCount"] > 1:  # the body has page 0 only: the pages endpoint is needed
        with pytest.raises(ParseError, match="pages"):
            parse_ajax_illust(body)
        return
    item = parse_ajax_illust(body)
    assert (item.id, item.user_id, item.title, item.caption) == \
        (int(body["id"]), int(body["userId"]), body["illustTitle"], body["illustComment"])
    assert item.type == ("illust", "manga", "ugoira")[body["illustType"]]
    assert (item.sanity_level, item.x_restrict, item.page_count, item.width, item.height) == \
        (body["sl"], body["xRestrict"], 1, body["width"], body["height"])
    assert (item.total_view, item.total_bookmarks, item.total_comments) == \
        (body["viewCount"], body["bookmarkCount"], body["commentCount"])
    assert item.whole and item.visible and item.restriction is None and item.raw is body
    assert [(t.name, t.translated_name) for t in item.tags] == \
        [(t["tag"], t.get("translation", {}).get("en")) for t in body["tags"]["tags"]]
    page = item.pages[0]
    assert (page.original_url, page.large_url, page.medium_url) == (urls["original"], urls["regular"], urls["small"])
    assert item.image_stamp == STAMP.search(urls["original"]).group(1)
    assert item.create_date == body["createDate"] and item.ai_type == body.get("aiType")
    user = ajax_work_user(body)
    assert (user.id, user.name, user.account, user.whole) == \
        (int(body["userId"]), body["userName"], body["userAccount"], False)


def test_body_and_pages_capture_make_a_whole_record():
    body, pages = _body(BODY), ajax_body(load_fixture(PAGES))
    item = parse_ajax_illust(body, pages)
    (page,) = item.pages
    assert page.square_medium_url == pages[0]["urls"]["thumb_mini"] and page.original_url.endswith("_p0.png")
    assert (page.width, page.height) == (pages[0]["width"], pages[0]["height"]) == (2476, 3541)
    assert item.image_stamp == "2022/08/11/23/46/14" and item.sanity_level == 6 and item.series_id is None
    # the pixrs capture is the same work's body alone: the same record
    alone = parse_ajax_illust(_body("web/ajax_illust/pixrs__100412238.json"), pages)
    assert (alone.id, alone.title, alone.pages, alone.image_stamp) == \
        (item.id, item.title, item.pages, item.image_stamp)


def test_pages_of_a_multi_page_work():
    body = _body("web/ajax_illust/pixivutil2__28820443.json")
    template = ajax_body(load_fixture(PAGES))[0]
    pages = []
    for n in range(body["pageCount"]):
        urls = {k: v.replace("100412238_p0", f"28820443_p{n}") for k, v in template["urls"].items()}
        pages.append({**template, "urls": urls})
    item = parse_ajax_illust(body, pages)
    assert [p.page for p in item.pages] == [0, 1] and item.pages[1].original_url.endswith("28820443_p1.png")
    with pytest.raises(ParseError, match="has 1 pages but pageCount 2"):
        parse_ajax_illust(body, pages[:1])


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda b, p: b.pop("illustType"), "has no 'illustType'"),
    (lambda b, p: b.update(illustType=7), "unknown illustType 7"),
    (lambda b, p: b.update(id="abc"), r"\.id is 'abc', not a pixiv id"),
    (lambda b, p: b.update(createDate="yesterday"), r"\.createDate is 'yesterday', not an ISO 8601 time"),
    (lambda b, p: p[0]["urls"].update(original=None), r"pages of 100412238\[0\]\.urls\.original is null"),
    (lambda b, p: p[0].pop("width"), r"pages of 100412238\[0\] has no 'width'"),
    (lambda b, p: b["tags"]["tags"][0].pop("tag"), r"tags\.tags\[0\] has no 'tag'"),
])
def test_malformed_bodies_name_the_field(mutate, message):
    body, pages = copy.deepcopy(_body(BODY)), copy.deepcopy(ajax_body(load_fixture(PAGES)))
    mutate(body, pages)
    with pytest.raises(ParseError, match=message):
        parse_ajax_illust(body, pages)


@functools.lru_cache(maxsize=1)
def _world() -> World:
    return World(seed=1, works=300)


def _first_ugoira() -> int:
    return next(w.id for w in _world().works if w.type == "ugoira")


def test_ugoira_meta_and_novel_from_the_documented_shapes():
    world = _world()
    ugoira = _first_ugoira()
    meta = web_works.ugoira_meta(world, ugoira)
    parsed = parse_ajax_ugoira_meta(meta, ugoira)
    zip_url, frames = parsed.zip_url, parsed.frames
    assert zip_url.endswith(f"{ugoira}_ugoira600x600.zip") and [f["delay"] for f in frames] == \
        list(world.work_detail(ugoira).frames)
    body = web_works.illust_body(world, ugoira, logged_in=True)
    item = parse_ajax_illust(body, web_works.illust_pages(world, ugoira, logged_in=True), meta)
    assert item.type == "ugoira" and item.ugoira_frames == frames and item.ugoira_zip_url == zip_url
    with pytest.raises(ParseError, match="has no frames"):
        parse_ajax_ugoira_meta({**meta, "frames": []}, ugoira)

    novel = next(n for n in world.novels if n.series_id is not None)
    d = world.novel_detail(novel.id)
    item = parse_ajax_novel(web_works.novel_body(world, novel.id))
    assert (item.id, item.user_id, item.title, item.text, item.text_length, item.page_count) == \
        (novel.id, novel.user_id, d.title, d.text, len(d.text), d.page_count)
    assert (item.series_id, item.series_order, item.language) == (novel.series_id, novel.series_order, d.language)
    assert item.whole and item.visible and "content" not in item.raw and item.image_stamp
    with pytest.raises(ParseError, match="has no 'content'"):
        parse_ajax_novel({k: v for k, v in web_works.novel_body(world, novel.id).items() if k != "content"})


def test_pages_seen_without_a_session():
    world = _world()
    r18 = next(w.id for w in world.works if w.type == "manga" and world.work_detail(w.id).x_restrict)
    with pytest.raises(ParseError, match=r"\[0\]\.urls\.original is null"):
        parse_ajax_pages(web_works.illust_pages(world, r18, logged_in=False), r18)


FUZZ = [
    (parse_ajax_illust, lambda: _body(BODY)),
    (lambda v: parse_ajax_illust(_body(BODY), v), lambda: ajax_body(load_fixture(PAGES))),
    (lambda v: parse_ajax_ugoira_meta(v, 1), lambda: web_works.ugoira_meta(_world(), _first_ugoira())),
    (parse_ajax_novel, lambda: web_works.novel_body(_world(), _world().novels[1].id)),
    (ajax_work_user, lambda: _body(BODY)),
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.integers(min_value=0, max_value=len(FUZZ) - 1), data=st.data())
def test_mutated_bodies_raise_parse_errors_only(case, data):
    parser, make = FUZZ[case]
    obj = copy.deepcopy(make())
    paths = list(_paths(obj))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        try:
            obj = _mutate(obj, data.draw(st.sampled_from(paths)), data.draw(st.sampled_from(["delete", "replace"])),
                          data.draw(JSON))
        except (KeyError, IndexError, TypeError):
            continue
    with contextlib.suppress(ParseError):
        parser(obj)

