"""Pure functions from web (www.pixiv.net) JSON to items: Ajax search, ranking.php, commission pages.

Ids arrive as strings in the Ajax API and as numbers in ranking.php; both become ints here. A page parser returns
a typed page (:class:`SearchPage`, :class:`RankingPage`, :class:`CommissionPage`); thumbnails become listing
records (``whole=False``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pixivcrawl.items import (
    CommissionRequestItem,
    IllustItem,
    NovelItem,
    RankingItem,
    TagRef,
    UserItem,
)
from pixivcrawl.signature import image_stamp

from .common import ParseError, get_field, get_id, iso_time, opt_int, opt_str
from .restriction import thumbnail_restriction

ILLUST_TYPES = {0: "illust", 1: "manga", 2: "ugoira"}
JST = timezone(timedelta(hours=9))
#: pixiv lists request prices in Japanese yen
COMMISSION_CURRENCY = "JPY"


class AjaxError(Exception):
    """An Ajax envelope with ``error: true``; the message is pixiv's own (may be empty)."""


def ajax_body(data: Any) -> Any:
    """The ``body`` of an Ajax envelope; AjaxError when pixiv reported an error."""
    if not isinstance(data, dict) or "error" not in data:
        raise ParseError("not an Ajax envelope (no 'error' key)")
    if data["error"]:
        raise AjaxError(data.get("message") or "General Error")
    if "body" not in data:
        raise ParseError("Ajax envelope without a body")
    return data["body"]


def _int_id(obj: Any, key: str, where: str) -> int:
    value = get_field(obj, key, (str, int), where=where)
    try:
        number = int(value)
    except ValueError:
        raise ParseError(f"{where}.{key} is {value!r}, not a pixiv id") from None
    if number <= 0:
        raise ParseError(f"{where}.{key} is {value!r}, not a pixiv id")
    return number


def thumbnail_user(obj: dict) -> UserItem:
    where = f"thumbnail {obj.get('id')}"
    return UserItem(id=_int_id(obj, "userId", where), name=get_field(obj, "userName", str, where=where),
                    profile_image_url=opt_str(obj.get("profileImageUrl")), whole=False,
                    raw={k: obj.get(k) for k in ("userId", "userName", "profileImageUrl")})


def illust_type(obj: Any, where: str) -> str:
    """``illust``, ``manga`` or ``ugoira`` from an Ajax object's ``illustType`` (0, 1, 2); ParseError otherwise."""
    code = get_field(obj, "illustType", int, where=where)
    if code not in ILLUST_TYPES:
        raise ParseError(f"{where} has unknown illustType {code!r}")
    return ILLUST_TYPES[code]


def parse_illust_thumbnail(obj: Any) -> IllustItem:
    """An illust/manga/ugoira thumbnail (search, commission thumbnails) as a listing record. Thumbnails carry no
    ``visible`` flag: a masked one, or one with a placeholder image, is not visible (its ``restriction`` says
    why)."""
    where = f"thumbnail {obj.get('id')}" if isinstance(obj, dict) else "thumbnail"
    wid = _int_id(obj, "id", where)
    kind = illust_type(obj, where)
    x_restrict = get_field(obj, "xRestrict", int, where=where)
    restriction = thumbnail_restriction(obj)
    return IllustItem(
        id=wid, user_id=_int_id(obj, "userId", where), type=kind,
        title=get_field(obj, "title", str, where=where), caption=opt_str(obj.get("description")) or "",
        create_date=iso_time(obj, "createDate", where=where),
        update_date=iso_time(obj, "updateDate", optional=True, where=where),
        page_count=get_field(obj, "pageCount", int, where=where),
        width=get_field(obj, "width", int, where=where), height=get_field(obj, "height", int, where=where),
        sanity_level=get_field(obj, "sl", int, optional=True, where=where) or 0, x_restrict=x_restrict,
        restrict=get_field(obj, "restrict", int, optional=True, where=where) or 0,
        ai_type=get_field(obj, "aiType", int, optional=True, where=where), book_style=None,
        total_view=0, total_bookmarks=0, total_comments=None, visible=restriction is None,
        series_id=opt_int(obj.get("seriesId")),
        pages=[], tags=[TagRef(name=t) for t in get_field(obj, "tags", list, where=where) if isinstance(t, str)],
        image_stamp=image_stamp(obj.get("url")), restriction=restriction, raw=obj, whole=False,
    )


def parse_novel_thumbnail(obj: Any) -> NovelItem:
    where = f"novel thumbnail {obj.get('id')}" if isinstance(obj, dict) else "novel thumbnail"
    restriction = thumbnail_restriction(obj) if isinstance(obj, dict) else None
    return NovelItem(
        id=_int_id(obj, "id", where), user_id=_int_id(obj, "userId", where),
        series_id=opt_int(obj.get("seriesId")),
        title=get_field(obj, "title", str, where=where), caption=opt_str(obj.get("description")) or "",
        create_date=iso_time(obj, "createDate", where=where),
        update_date=iso_time(obj, "updateDate", optional=True, where=where),
        page_count=1, text_length=get_field(obj, "textCount", int, where=where),
        x_restrict=get_field(obj, "xRestrict", int, where=where),
        restrict=get_field(obj, "restrict", int, optional=True, where=where) or 0,
        is_original=bool(obj.get("isOriginal")), ai_type=get_field(obj, "aiType", int, optional=True, where=where),
        total_view=0, total_bookmarks=get_field(obj, "bookmarkCount", int, optional=True, where=where) or 0,
        total_comments=None, visible=restriction is None, cover_url=opt_str(obj.get("url")),
        tags=[TagRef(name=t) for t in get_field(obj, "tags", list, where=where) if isinstance(t, str)],
        language=obj.get("language") if isinstance(obj.get("language"), str) else None,
        image_stamp=image_stamp(obj.get("url")), restriction=restriction, raw=obj, whole=False,
    )


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of an Ajax search (``/ajax/search/{artworks,illustrations,manga,novels}/{word}``)."""

    #: the result thumbnails as pixiv sent them (JSON objects, for :func:`parse_illust_thumbnail` or
    #: :func:`parse_novel_thumbnail`), without the ad placeholders (``isAdContainer``)
    thumbnails: list[dict[str, Any]]
    #: how many works the search finds in all (``total``)
    total: int
    #: the number of the last page (``lastPage``); None when pixiv does not send it (captures before 2023): the
    #: caller then pages until a page comes back empty
    last_page: int | None


def parse_search_page(body: Any, body_key: str) -> SearchPage:
    """The section ``body_key`` (``illustManga``, ``illust``, ``manga``, ``novel``) of a search answer's body;
    ParseError when it is missing or malformed."""
    result = get_field(body, body_key, dict, where="search body")
    data = get_field(result, "data", list, where=f"search body.{body_key}")
    total = get_field(result, "total", int, where=f"search body.{body_key}")
    last_page = result.get("lastPage")
    return SearchPage(thumbnails=[d for d in data if isinstance(d, dict) and not d.get("isAdContainer")],
                      total=total, last_page=last_page if type(last_page) is int else None)


@dataclass(frozen=True, slots=True)
class RankingEntry:
    """One position of a ranking.php page: the rank, the work and its user."""

    #: the position (``source`` web)
    ranking: RankingItem
    #: the ranked work, a listing record (``whole=False``)
    work: IllustItem
    #: its user, a listing record (name and image only)
    user: UserItem


@dataclass(frozen=True, slots=True)
class RankingPage:
    """One page of ``/ranking.php?format=json`` (50 positions)."""

    #: pixiv's ranking mode (``daily``, ``weekly``, ``daily_r18``, …)
    mode: str
    #: ``all``, ``illust``, ``manga`` or ``ugoira``
    content: str
    #: the ranking's day, ``YYYY-MM-DD`` (pixiv sends ``YYYYMMDD``)
    date: str
    #: this page's number, from 1
    page: int
    #: the next page's number; None on the last page (pixiv sends ``false``)
    next_page: int | None
    #: how many positions the whole ranking has (``rank_total``)
    rank_total: int
    #: the page's positions, in rank order
    entries: list[RankingEntry]


def parse_ranking_page(data: Any) -> RankingPage:
    """``/ranking.php?format=json``'s answer; ParseError for an error answer (``{"error": "…"}``) or a malformed
    page or entry."""
    if not isinstance(data, dict) or "contents" not in data:
        message = data.get("error") if isinstance(data, dict) else None
        raise ParseError(f"not a ranking page ({message or 'no contents'})")
    mode = get_field(data, "mode", str, where="ranking")
    content = get_field(data, "content", str, where="ranking")
    date = get_field(data, "date", str, where="ranking")
    page = get_field(data, "page", int, where="ranking")
    following = data.get("next") if type(data.get("next")) is int else None  # False on the last page
    rank_total = get_field(data, "rank_total", int, where="ranking")
    try:
        day = datetime.strptime(date, "%Y%m%d").date().isoformat()  # noqa: DTZ007 - a calendar date, no instant
    except ValueError:
        raise ParseError(f"ranking date {date[:20]!r} is not YYYYMMDD") from None
    entries = [_ranking_entry(item, f"ranking item {i}", mode, content, day)
               for i, item in enumerate(get_field(data, "contents", list, where="ranking"))]
    return RankingPage(mode=mode, content=content, date=day, page=page, next_page=following, rank_total=rank_total,
                       entries=entries)


def _ranking_entry(item: Any, where: str, mode: str, content: str, day: str) -> RankingEntry:
    """One element of a ranking.php page's ``contents``."""
    wid = get_id(item, "illust_id", where=where)
    code = opt_int(get_field(item, "illust_type", (str, int), where=where))
    if code not in ILLUST_TYPES:
        raise ParseError(f"{where} has unknown illust_type {code!r}")
    uid = get_id(item, "user_id", where=where)
    upload = get_field(item, "illust_upload_timestamp", int, where=where)
    try:
        created = datetime.fromtimestamp(upload, JST).isoformat()
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"{where}.illust_upload_timestamp {upload} is not a time") from None
    ranking = RankingItem(
        source="web", mode=mode, content=content, date=day,
        rank=get_field(item, "rank", int, where=where), work_type="illust", work_id=wid,
        previous_rank=get_field(item, "yes_rank", int, optional=True, where=where),
        rating_count=get_field(item, "rating_count", int, optional=True, where=where),
        view_count=get_field(item, "view_count", int, optional=True, where=where), raw=item)
    work = IllustItem(
        id=wid, user_id=uid, type=ILLUST_TYPES[code], title=get_field(item, "title", str, where=where),
        caption="", create_date=created,
        page_count=_positive(opt_int(get_field(item, "illust_page_count", (str, int), where=where)), where),
        width=get_field(item, "width", int, where=where), height=get_field(item, "height", int, where=where),
        sanity_level=0, x_restrict=_sexual(item.get("illust_content_type")),
        restrict=0, ai_type=None, book_style=opt_int(item.get("illust_book_style")),
        total_view=ranking.view_count or 0, total_bookmarks=0, total_comments=None,
        visible=thumbnail_restriction(item) is None,
        series_id=None, pages=[], tags=[TagRef(name=t) for t in item.get("tags") or [] if isinstance(t, str)],
        image_stamp=image_stamp(item.get("url")), restriction=thumbnail_restriction(item), raw=item,
        whole=False)
    user = UserItem(id=uid, name=get_field(item, "user_name", str, where=where),
                    profile_image_url=opt_str(item.get("profile_img")), whole=False,
                    raw={k: item.get(k) for k in ("user_id", "user_name", "profile_img")})
    return RankingEntry(ranking=ranking, work=work, user=user)


def parse_ajax_user(obj: Any) -> UserItem:
    where = f"user {obj.get('userId')}" if isinstance(obj, dict) else "user"
    return UserItem(id=_int_id(obj, "userId", where), name=get_field(obj, "name", str, where=where),
                    profile_image_url=opt_str(obj.get("imageBig")) or opt_str(obj.get("image")), whole=False,
                    raw=obj)


def parse_commission_request(obj: Any) -> CommissionRequestItem:
    where = f"request {obj.get('requestId')}" if isinstance(obj, dict) else "request"
    proposal = get_field(obj, "requestProposal", dict, where=where)
    plan = obj.get("plan") if isinstance(obj.get("plan"), dict) else {}
    title = plan.get("planTitle") if isinstance(plan.get("planTitle"), dict) else {}
    post = obj.get("postWork") if isinstance(obj.get("postWork"), dict) else None
    collaborate = obj.get("collaborateStatus") if isinstance(obj.get("collaborateStatus"), dict) else {}
    fan = obj.get("fanUserId")
    return CommissionRequestItem(
        id=_int_id(obj, "requestId", where),
        status=get_field(obj, "requestStatus", str, where=where),
        work_type=get_field(obj, "requestPostWorkType", str, where=where),
        plan_id=opt_int(obj.get("planId")),
        fan_user_id=opt_int(fan),
        creator_user_id=_int_id(obj, "creatorUserId", where),
        price=get_field(obj, "requestPrice", int, where=where),
        currency=COMMISSION_CURRENCY,
        proposal=get_field(proposal, "requestOriginalProposal", str, where=f"{where}.requestProposal"),
        proposal_html=opt_str(proposal.get("requestOriginalProposalHtml")),
        proposal_lang=opt_str(proposal.get("requestOriginalProposalLang")),
        translations=[t for t in proposal.get("requestTranslationProposal") or [] if isinstance(t, dict)],
        tags=[t for t in obj.get("requestTags") or [] if isinstance(t, str)],
        adult=bool(obj.get("requestAdultFlg")),
        anonymous=bool(obj.get("requestAnonymousFlg")),
        restricted=bool(obj.get("requestRestrictFlg")),
        accept_collaborate=bool(obj.get("requestAcceptCollaborateFlg")),
        response_deadline=iso_time(obj, "requestResponseDeadlineDatetime", optional=True, where=where),
        post_deadline=iso_time(obj, "requestPostDeadlineDatetime", optional=True, where=where),
        post_work_id=opt_int(post.get("postWorkId")) if post else None,
        plan_title=opt_str(title.get("planOriginalTitle")),
        plan_standard_price=plan.get("planStandardPrice") if isinstance(plan.get("planStandardPrice"), int) else None,
        collaborated_count=collaborate.get("collaboratedCnt") if isinstance(collaborate.get("collaboratedCnt"), int)
        else None,
        raw=obj,
    )


@dataclass(frozen=True, slots=True)
class CommissionPage:
    """One commission page of the web Ajax API (``/ajax/commission/page/request`` overview, or a listing
    ``…/request/{complete,in_progress,creators}/{type}``): its records and paging."""

    #: the requests it lists
    requests: list[CommissionRequestItem]
    #: thumbnails of the works that fulfilled or illustrate the requests, as listing records
    works: list[IllustItem]
    #: thumbnails of novels, as listing records
    novels: list[NovelItem]
    #: the fans and creators it names, as listing records
    users: list[UserItem]
    #: ids of the creators a ``creators`` listing (or the overview) shows as accepting requests
    creator_ids: list[int]
    #: whether a next page exists (``pager.hasNextPage``); None on the overview, which has no pager
    has_next: bool | None
    #: the ParseErrors of single objects that were skipped, so that one bad object never loses the page
    errors: list[ParseError]


def parse_commission_page(body: Any) -> CommissionPage:
    """A commission page's body; ParseError when it has no ``page`` object (single bad objects are skipped and
    listed in ``errors``)."""
    page = get_field(body, "page", dict, where="commission body")
    out: dict[str, list[Any]] = {"requests": [], "works": [], "novels": [], "users": [], "errors": []}
    thumbnails = body.get("thumbnails") if isinstance(body.get("thumbnails"), dict) else {}
    for key, parser in (("requests", parse_commission_request), ("users", parse_ajax_user)):
        for obj in body.get(key) or []:
            try:
                out[key].append(parser(obj))
            except ParseError as exc:
                out["errors"].append(exc)
    for key, parser, target in (("illust", parse_illust_thumbnail, "works"),
                                ("novel", parse_novel_thumbnail, "novels")):
        for obj in thumbnails.get(key) or []:
            try:
                out[target].append(parser(obj))
            except ParseError as exc:
                out["errors"].append(exc)
    creators = page.get("creatorUserIds")
    pager = page.get("pager")
    return CommissionPage(
        **out, creator_ids=[u for u in map(opt_int, creators if isinstance(creators, list) else []) if u and u > 0],
        has_next=bool(pager.get("hasNextPage")) if isinstance(pager, dict) else None)


def _positive(value: int | None, where: str) -> int:
    if value is None or value < 1:
        raise ParseError(f"{where} has no page count")
    return value


def _sexual(content_type: Any) -> int:
    value = opt_int(content_type.get("sexual")) if isinstance(content_type, dict) else None
    return value if value in (0, 1, 2) else 0
