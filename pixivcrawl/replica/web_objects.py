"""Web (www.pixiv.net) JSON objects for the replica: Ajax thumbnails and users, ranking.php items and
commission requests, in the shapes of the captures in ``tests/fixtures/ajax``.

References: ``ajax/ajax/search/illustrations/…json`` (thumbnails, search body),
``ajax/ranking_format_json_mode_weekly_content_illust_p_1.json`` (ranking.php),
``ajax/ajax/commission/page/request*.json`` (requests, plans, users, thumbnails with ``urls``).
"""

from __future__ import annotations

from datetime import timedelta

from .app_objects import I, novel_series_title, placeholder_url, profile_image_url, series_title
from .commissions import CommissionRequest, Commissions, Plan
from .world import EPOCH, World

TYPE_CODES = {"illust": 0, "manga": 1, "ugoira": 2}


def _avatar(world: World, uid: int, size: int = 50) -> str:
    return profile_image_url(world, uid, size)


def illust_thumbnail(world: World, wid: int, *, with_urls: bool = False) -> dict:
    work = world.work(wid)
    d = world.work_detail(wid)
    name, _ = world.user_name(work.user_id)
    path = f"img/{world.work_stamp(work.id)}/{wid}_p0_square1200.jpg"
    created = world.iso(work.created)
    updated = world.iso(world.upload_time(wid))
    obj = {
        "id": str(wid),
        "title": d.title,
        "illustType": TYPE_CODES[work.type],
        "xRestrict": d.x_restrict,
        "restrict": 0,
        "sl": d.sanity_level,
        "url": f"{I}/c/250x250_80_a2/img-master/{path}",
        "description": d.caption,
        "tags": [t.name for t in d.tags],
        "userId": str(work.user_id),
        "userName": name,
        "width": d.sizes[0][0],
        "height": d.sizes[0][1],
        "pageCount": work.page_count,
        "isBookmarkable": True,
        "bookmarkData": None,
        "alt": f"#{d.tags[0].name} {d.title} - {name}のイラスト",
        "titleCaptionTranslation": {"workTitle": None, "workCaption": None},
        "createDate": created,
        "updateDate": updated,
        "isUnlisted": False,
        "isMasked": False,
        "aiType": d.ai_type,
    }
    if with_urls:
        obj["urls"] = {size: f"{I}/c/{size}_70/img-master/{path}" for size in ("250x250", "360x360", "540x540")}
    obj["profileImageUrl"] = _avatar(world, work.user_id)
    if work.series_id is not None and with_urls:
        obj["seriesId"] = str(work.series_id)
        obj["seriesTitle"] = series_title(world, work.series_id)
    how = world.hiding("illust", wid)
    if how is not None:
        _hidden_thumbnail(obj, how)
    return obj


def _hidden_thumbnail(obj: dict, how: str) -> None:
    """A thumbnail of a work hidden on purpose (World.hide): every image URL a ``limit_*`` placeholder; a work
    not shown at all (every way but ``visible_placeholder``) is also masked, its title, description, ``alt``
    and tags blank."""
    url = placeholder_url("sanity_level" if how == "visible_placeholder" else how)
    obj["url"] = url
    if isinstance(obj.get("urls"), dict):
        obj["urls"] = dict.fromkeys(obj["urls"], url)
    if how != "visible_placeholder":
        obj.update(title="", description="", tags=[], isMasked=True)
        if "alt" in obj:
            obj["alt"] = ""


def novel_thumbnail(world: World, nid: int) -> dict:
    novel = world.novel(nid)
    d = world.novel_detail(nid)
    name, _ = world.user_name(novel.user_id)
    created = world.iso(novel.created)
    obj = {
        "id": str(nid),
        "title": d.title,
        "xRestrict": d.x_restrict,
        "restrict": 0,
        "url": f"{I}/c/600x600/novel-cover-master/img/{world.date_path(novel.created)}/"
               f"ci{nid}_{d.cover_hash}_master1200.jpg",
        "tags": [t.name for t in d.tags],
        "userId": str(novel.user_id),
        "userName": name,
        "profileImageUrl": _avatar(world, novel.user_id),
        "textCount": len(d.text),
        "wordCount": len(d.text) // 2,
        "readingTime": len(d.text) // 8,
        "useWordCount": False,
        "description": d.caption,
        "isBookmarkable": True,
        "bookmarkData": None,
        "bookmarkCount": d.total_bookmarks,
        "isOriginal": d.is_original,
        "marker": None,
        "titleCaptionTranslation": {"workTitle": None, "workCaption": None},
        "createDate": created,
        "updateDate": created,
        "isMasked": False,
        "aiType": d.ai_type,
        "language": d.language,
    }
    if novel.series_id is not None:
        obj["seriesId"] = str(novel.series_id)
        obj["seriesTitle"] = novel_series_title(world, novel.series_id)
    obj["isUnlisted"] = False
    how = world.hiding("novel", nid)
    if how is not None:
        _hidden_thumbnail(obj, how)
        if how != "visible_placeholder":
            obj.update(textCount=0, wordCount=0, readingTime=0)
    return obj


def web_user(world: World, uid: int, accepts_requests: bool = False) -> dict:
    name, _ = world.user_name(uid)
    return {
        "partial": 0,
        "comment": f"{name}です。",
        "followedBack": False,
        "userId": str(uid),
        "name": name,
        "image": _avatar(world, uid, 50),
        "imageBig": _avatar(world, uid, 170),
        "premium": uid % 7 == 0,
        "isFollowed": False,
        "isMypixiv": False,
        "isBlocking": False,
        "background": None,
        "acceptRequest": accepts_requests,
    }


def ranking_item(world: World, wid: int, rank: int, yes_rank: int) -> dict:
    work = world.work(wid)
    d = world.work_detail(wid)
    name, _ = world.user_name(work.user_id)
    posted = EPOCH + timedelta(seconds=work.created)
    item = {
        "title": d.title,
        "date": posted.strftime("%Y年%m月%d日 %H:%M"),
        "tags": [t.name for t in d.tags],
        "url": f"{I}/c/240x480/img-master/img/{world.work_stamp(work.id)}/{wid}_p0_master1200.jpg",
        "illust_type": str(TYPE_CODES[work.type]),
        "illust_book_style": str(d.book_style),
        "illust_page_count": str(work.page_count),
        "user_name": name,
        "profile_img": _avatar(world, work.user_id),
        "illust_content_type": {
            "sexual": d.x_restrict, "lo": False, "grotesque": d.x_restrict == 2, "violent": False,
            "homosexual": False, "drug": False, "thoughts": False, "antisocial": False, "religion": False,
            "original": wid % 3 == 0, "furry": False, "bl": False, "yuri": False,
        },
        "illust_series": False,
        "illust_id": wid,
        "width": d.sizes[0][0],
        "height": d.sizes[0][1],
        "user_id": work.user_id,
        "rank": rank,
        "yes_rank": yes_rank,
        "rating_count": d.total_bookmarks,
        "view_count": d.total_view,
        "illust_upload_timestamp": int(posted.timestamp()),
        "attr": "original" if wid % 3 == 0 else "",
    }
    how = world.hiding("illust", wid)
    if how is not None:  # ranking.php has no isMasked: the placeholder URL (and blank texts) tell
        item["url"] = placeholder_url("sanity_level" if how == "visible_placeholder" else how)
        if how != "visible_placeholder":
            item.update(title="", tags=[])
    return item


def _plan(plan: Plan, other: str) -> dict:
    """A commission request's ``plan``: the creator's plan, its title and description with a translation."""
    return {
        "currentPlanId": None,
        "planId": str(plan.id),
        "creatorUserId": str(plan.creator_id),
        "planAcceptRequestFlg": True,
        "planStandardPrice": plan.price,
        "planTitle": {
            "planOriginalTitle": plan.title,
            "planOriginalTitleLang": plan.title_lang,
            "planTranslationTitle": {other: {"planTitle": f"[{other}] {plan.title}", "planTtieLang": other}},
        },
        "planDescription": {
            "planOriginalDescription": f"{plan.title}の説明",
            "planOriginalDescriptionHtml": f"{plan.title}の説明",
            "planOriginalLang": plan.title_lang,
            "planTranslationDescription": {other: {
                "planDescription": f"[{other}] {plan.title}", "planDescriptionHtml": f"[{other}] {plan.title}",
                "planLang": other}},
        },
        "planAcceptAdultFlg": plan.adult,
        "planAcceptAnonymousFlg": plan.anonymous,
        "planAcceptIllustFlg": "illust" in plan.accepts,
        "planAcceptUgoiraFlg": "ugoira" in plan.accepts,
        "planAcceptMangaFlg": "manga" in plan.accepts,
        "planAcceptNovelFlg": "novel" in plan.accepts,
    }


def commission_request(world: World, commissions: Commissions, r: CommissionRequest) -> dict:
    """One of ``requests`` of the commission pages."""
    plan = commissions.plans[r.creator_id]
    other = "en" if plan.title_lang != "en" else "ja"
    return {
        "requestId": str(r.id),
        "planId": str(r.plan_id),
        "fanUserId": None if r.fan_id is None else str(r.fan_id),
        "creatorUserId": str(r.creator_id),
        "requestStatus": r.status,
        "requestPostWorkType": r.work_type,
        "requestPrice": r.price,
        "requestProposal": {
            "requestOriginalProposal": r.proposal,
            "requestOriginalProposalHtml": r.proposal.replace("\n", "<br />"),
            "requestOriginalProposalLang": r.proposal_lang,
            "requestTranslationProposal": [{
                "requestProposal": f"[{other}] {r.proposal}",
                "requestProposalHtml": f"[{other}] {r.proposal}",
                "requestProposalLang": other,
            }],
        },
        "requestTags": list(r.tags),
        "requestAdultFlg": r.adult,
        "requestAnonymousFlg": r.anonymous,
        "requestRestrictFlg": False,
        "requestAcceptCollaborateFlg": r.id % 4 == 0,
        "requestResponseDeadlineDatetime": world.iso(r.created + 14 * 86400)[:11] + "23:59:59+09:00",
        "requestPostDeadlineDatetime": world.iso(r.created + 60 * 86400)[:11] + "23:59:59+09:00",
        "role": "others",
        "plan": _plan(plan, other),
        "collaborateStatus": {
            "collaborating": False,
            "collaborateAnonymousFlg": False,
            "collaboratedCnt": r.id % 3,
            "collaborateUserSamples": [
                {"collaborateUserId": str(world.works[(r.id + k) % len(world.works)].user_id),
                 "collaborateAnonymousFlg": False} for k in range(r.id % 3)],
        },
        "postWork": None if r.post_work_id is None else {
            "postWorkId": str(r.post_work_id),
            "postWorkType": r.work_type,
            "work": {"isUnlisted": False, "secret": None},
        },
    }


def tag_translation(world: World, names) -> dict | list:
    """``tagTranslation`` for the tags of a page: ``[]`` when empty, as pixiv sends empty maps."""
    by_name = {t.name: t for t in world.tags}
    out = {}
    for name in names:
        tag = by_name.get(name)
        if tag is not None and name not in out:
            out[name] = {"romaji": name} if tag.translated_name is None else {"en": tag.translated_name,
                                                                               "romaji": name}
    return out or []


def ajax(body, error: bool = False, message: str = "") -> dict:
    """The Ajax envelope."""
    return {"error": error, "message": message, "body": body if body is not None else []}
