"""DedupePipeline: every item key seen once per run (a whole record still passes after a listing record of the
same work), and works classified against what the database already holds."""

from __future__ import annotations

import copy

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler

from pixivcrawl.db.memory import crawl_memory
from pixivcrawl.items import CommissionCreatorItem, RankingItem, SearchHitItem, UserItem
from pixivcrawl.parsers.app_api import parse_novel, parse_user_detail
from pixivcrawl.parsers.users import profile_record
from pixivcrawl.pipelines.dedupe import DedupePipeline
from pixivcrawl.replica.app_objects import novel_obj
from tests.captures import load_fixture

from .helpers import illust_item, make_crawler, store_items, work_ids, world


def dedupe_pipeline(**settings) -> DedupePipeline:
    return build_from_crawler(DedupePipeline, make_crawler(**settings))


def listing(item):
    listed = copy.deepcopy(item)
    listed.whole = False
    return listed


def ranking(rank: int, work_id: int, date: str = "2024-01-02") -> RankingItem:
    return RankingItem(source="web", mode="daily", content="all", date=date, rank=rank, work_type="illust",
                       work_id=work_id, previous_rank=0)


def stat(pipeline: DedupePipeline, name: str):
    return pipeline.crawler.stats.get_value(f"pixiv/items/{name}")


def test_a_work_seen_twice_in_a_run_is_dropped():
    pipeline = dedupe_pipeline()
    item = illust_item(work_ids("illust")[0])
    assert pipeline.process_item(item) is item
    with pytest.raises(DropItem, match=f"already seen in this run: IllustItem \\({item.id},\\)"):
        pipeline.process_item(copy.deepcopy(item))
    with pytest.raises(DropItem):
        pipeline.process_item(listing(item))  # a listing adds nothing to a whole record
    assert stat(pipeline, "dropped_duplicate") == 2
    assert stat(pipeline, "new") == 1


def test_a_whole_record_passes_after_listing_records_and_only_once():
    pipeline = dedupe_pipeline()
    item = illust_item(work_ids("manga", pages=2)[0])
    assert pipeline.process_item(listing(item)) is not None
    with pytest.raises(DropItem):
        pipeline.process_item(listing(item))
    assert pipeline.process_item(item) is item
    with pytest.raises(DropItem):
        pipeline.process_item(copy.deepcopy(item))
    assert stat(pipeline, "dropped_duplicate") == 2
    # the listing made the work known to this run: its whole record is an update, not a second new work
    assert (stat(pipeline, "new"), stat(pipeline, "updated")) == (1, 1)


def test_keys_of_the_other_item_types():
    pipeline = dedupe_pipeline()
    w = world()
    novel = parse_novel(novel_obj(w, w.novels[0].id))
    user = UserItem(id=w.works[0].user_id, name="name")
    hit = SearchHitItem(query_key="illust|word", query={"word": "word"}, work_type="illust", work_id=1, page=1,
                        position=1)
    creator = CommissionCreatorItem(user_id=5, work_type="illust", mode="all")
    kept = [novel, user, hit, creator, ranking(1, 10), ranking(2, 11), ranking(1, 10, date="2024-01-03"),
            SearchHitItem(**{**vars(hit), "work_id": 2}), CommissionCreatorItem(user_id=5, work_type="manga",
                                                                                 mode="all")]
    for item in kept:
        assert pipeline.process_item(item) is item
    repeats = [copy.deepcopy(novel), UserItem(id=user.id, name="renamed"), SearchHitItem(**{**vars(hit), "page": 3}),
               copy.deepcopy(creator), ranking(1, 99)]  # a rank of a day is one item, whatever work holds it
    for item in repeats:
        with pytest.raises(DropItem):
            pipeline.process_item(item)
    assert stat(pipeline, "dropped_duplicate") == len(repeats)
    assert stat(pipeline, "new") == 1  # only works are classified


def test_items_without_a_key_pass():
    pipeline = dedupe_pipeline()
    thing = {"id": 1}
    assert pipeline.process_item(thing) is thing and pipeline.process_item(thing) is thing
    assert stat(pipeline, "dropped_duplicate") is None


def test_works_are_classified_against_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
    stored_whole, stored_listing, changed, new = (illust_item(wid) for wid in work_ids("illust")[:4])
    store_items(url, stored_whole, listing(stored_listing), changed)

    changed.image_stamp = "2030/01/01/00/00/00"  # re-uploaded since
    pipeline = dedupe_pipeline(DATABASE_URL=url)
    for item in (stored_whole, stored_listing, changed, new):
        pipeline.process_item(copy.deepcopy(item))
    assert (stat(pipeline, "unchanged"), stat(pipeline, "updated"), stat(pipeline, "new")) == (1, 2, 1)


def hidden(item, restriction: str = "mypixiv"):
    record = copy.deepcopy(item)
    record.visible, record.restriction, record.page_count, record.image_stamp = False, restriction, 1, None
    return record


def test_a_hidden_record_of_a_stored_work_is_neither_updated_nor_remembered(tmp_path):
    url = f"sqlite:///{tmp_path / 'pixivcrawl.db'}"
    stored, new = (illust_item(wid) for wid in work_ids("manga", pages=2)[:2])
    store_items(url, stored)

    pipeline = dedupe_pipeline(DATABASE_URL=url)
    memory = crawl_memory(pipeline.crawler)
    remembered = memory.works[("illust", stored.id)]
    assert pipeline.process_item(hidden(stored)) is not None
    assert pipeline.process_item(hidden(new, "sanity_level")) is not None  # seen hidden first: a new row
    assert (stat(pipeline, "hidden"), stat(pipeline, "new"), stat(pipeline, "updated"), stat(pipeline, "unchanged")) \
        == (2, 1, None, None)
    assert memory.works[("illust", stored.id)] == remembered  # what is stored did not change
    # pixiv's stand-in is what the database now says of it: the whole record shown again is a change
    assert memory.stored_hidden("illust", stored.id) and memory.stored_hidden("illust", new.id)
    assert not memory.known_unchanged("illust", stored.id, (stored.page_count, stored.image_stamp))
    assert pipeline.process_item(stored) is stored
    assert stat(pipeline, "updated") == 1 and not memory.stored_hidden("illust", stored.id)
    assert memory.known_unchanged("illust", stored.id, (stored.page_count, stored.image_stamp))


def test_a_hidden_record_never_keeps_a_whole_one_out_of_the_run():
    pipeline = dedupe_pipeline()
    item = illust_item(work_ids("illust")[0])
    assert pipeline.process_item(hidden(item)) is not None
    with pytest.raises(DropItem):
        pipeline.process_item(hidden(item))
    assert pipeline.process_item(item) is item  # the whole record still passes
    with pytest.raises(DropItem):
        pipeline.process_item(hidden(item))
    assert stat(pipeline, "dropped_duplicate") == 2


def test_a_users_profile_passes_after_the_user_of_a_work_and_only_once():
    pipeline = dedupe_pipeline()
    profile = profile_record(parse_user_detail(load_fixture("app-api/v1_user_detail/anowlbear.json")))
    plain = copy.deepcopy(profile)
    plain.profile = None  # the user object of a work
    assert pipeline.process_item(plain) is plain
    assert pipeline.process_item(profile) is profile
    for again in (copy.deepcopy(profile), copy.deepcopy(plain), listing(plain)):
        with pytest.raises(DropItem):
            pipeline.process_item(again)
    assert stat(pipeline, "dropped_duplicate") == 3
