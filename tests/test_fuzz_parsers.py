"""Every parser fed malformed bodies (hypothesis): it returns items or raises ParseError/AjaxError, never
anything else, so a spider logs the cause and goes on."""

from __future__ import annotations

import contextlib
import copy
import json

from hypothesis import HealthCheck, given, settings, strategies as st

from pixivcrawl.parsers import ajax, app_api, bookmarks, follows, users
from pixivcrawl.parsers.ajax import AjaxError
from pixivcrawl.parsers.common import ParseError

from .captures import load_fixture

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**40, max_value=2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)

#: (parser, a real object it parses) — mutations of the real objects reach deep into the parsers
CASES = [
    (app_api.parse_illust, lambda: load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"]),
    (app_api.parse_illust, lambda: load_fixture("app-api/v1_illust_series/anowlbear.json")["illusts"][0]),
    (app_api.parse_user, lambda: load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"]["user"]),
    (app_api.parse_novel, lambda: load_fixture("app-api/v2_novel_detail/anowlbear.json")["novel"]),
    (app_api.parse_illust_series_detail, lambda: load_fixture(
        "app-api/v1_illust_series/anowlbear.json")["illust_series_detail"]),
    (app_api.parse_novel_series_detail, lambda: load_fixture(
        "app-api/v2_novel_series/anowlbear.json")["novel_series_detail"]),
    (lambda d: app_api.parse_ugoira_metadata(d, 1), lambda: load_fixture(
        "app-api/v1_ugoira_metadata/pixko__126473222.json")),
    (app_api.next_url, lambda: load_fixture("app-api/v1_illust_series/anowlbear.json")),
    (app_api.parse_user_detail, lambda: load_fixture("app-api/v1_user_detail/pixivutil2__554800.json")),
    (lambda d: bookmarks.parse_bookmarks_page(d, "illust"), lambda: load_fixture(
        "app-api/v1_user_bookmarks_illust/everpcpc__490219.json")),
    (follows.parse_user_preview, lambda: load_fixture("app-api/v1_user_following/anowlbear.json")["user_previews"][0]),
    (ajax.parse_ranking_page, lambda: load_fixture("ajax/ranking_format_json_mode_weekly_content_illust_p_1.json")),
    (ajax.parse_commission_page, lambda: load_fixture(
        "ajax/ajax/commission/page/request/in_progress/ugoira_mode_all_p_1.json")["body"]),
    (lambda b: ajax.parse_search_page(b, "illust"), lambda: load_fixture(
        "ajax/ajax/search/illustrations/genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json")["body"]),
    (ajax.parse_illust_thumbnail, lambda: load_fixture(
        "ajax/ajax/search/illustrations/genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json")["body"]["illust"]["data"][0]),
    (ajax.parse_novel_thumbnail, lambda: load_fixture(
        "ajax/ajax/commission/page/request.json")["body"]["thumbnails"]["novel"][0]),
    (ajax.parse_commission_request, lambda: load_fixture(
        "ajax/ajax/commission/page/request.json")["body"]["requests"][0]),
    (ajax.ajax_body, lambda: load_fixture("ajax/ajax/commission/page/request/creators/illust_mode_all_p_1.json")),
    (users.parse_user_illusts, lambda: load_fixture("app-api/v1_user_illusts/everpcpc__490219.json")),
    (users.parse_user_novels, lambda: load_fixture("app-api/v1_user_novels/anowlbear.json")),
    (users.parse_profile_all, lambda: load_fixture("ajax/ajax/user/9153585/profile/all.json")["body"]),
]
EXPECTED = (ParseError, AjaxError)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            yield from _paths(v, (*prefix, i))


def _mutate(obj, path, action, replacement):
    if not path:
        return replacement
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return obj


def _call(parser, value) -> None:
    with contextlib.suppress(EXPECTED):
        parser(value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.integers(min_value=0, max_value=len(CASES) - 1), data=st.data())
def test_mutated_real_objects(case, data):
    parser, make = CASES[case]
    original = make()
    paths = list(_paths(original))
    obj = copy.deepcopy(original)
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["delete", "replace"]))
        try:
            obj = _mutate(obj, path, action, data.draw(JSON))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this path
    _call(parser, obj)


@settings(max_examples=150, deadline=None)
@given(case=st.integers(min_value=0, max_value=len(CASES) - 1), value=JSON)
def test_arbitrary_json(case, value):
    _call(CASES[case][0], value)


@settings(max_examples=200, deadline=None)
@given(prefix=st.text(max_size=30), value=JSON, suffix=st.text(max_size=30))
def test_webview_pages(prefix, value, suffix):
    with contextlib.suppress(ParseError):
        app_api.parse_webview_novel(f"{prefix}novel: {json.dumps(value)}{suffix}")
    with contextlib.suppress(ParseError):
        app_api.parse_webview_novel(prefix + suffix)


def test_the_fuzz_can_fail():
    """A parser that raises an unexpected error would not be let through."""
    try:
        _call(lambda v: v["x"], {})
    except KeyError:
        return
    raise AssertionError("a KeyError from a parser must surface")
