"""Pure functions from pixiv's answers about one user to typed results: the works lists of the App API
(``/v1/user/illusts``, ``/v1/user/novels``), the web's ``/ajax/user/{id}/profile/all`` (where a user's series are
listed), and the user record with its profile (``/v1/user/detail``, parsed by
:func:`pixivcrawl.parsers.app_api.parse_user_detail`).

Each raises :class:`ParseError` naming the field when an answer is not what pixiv sends; callers log it, count it
and go on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pixivcrawl.items import UserItem

from .app_api import UserDetail, next_url
from .common import ParseError, get_field


@dataclass(frozen=True, slots=True)
class UserWorksPage:
    """One page of a user's works: ``/v1/user/illusts`` (illusts, manga and ugoira; those of one ``type``) or
    ``/v1/user/novels``, newest first, 30 a page."""

    #: the App API work objects as pixiv sent them (``illusts`` or ``novels``), each for
    #: :func:`~pixivcrawl.parsers.app_api.parse_illust` or :func:`~pixivcrawl.parsers.app_api.parse_novel` (a
    #: malformed one is skipped alone)
    works: tuple[Any, ...]
    #: the next page (``offset`` moved on 30), on the App API host; None on the last page
    next_url: str | None


def _works_page(data: Any, key: str, where: str) -> UserWorksPage:
    works = get_field(data, key, list, where=where)
    return UserWorksPage(works=tuple(works), next_url=next_url(data, where=where))


def parse_user_illusts(data: Any) -> UserWorksPage:
    """``GET /v1/user/illusts?user_id=&type=&filter=for_ios&offset=``'s answer, ``{illusts, next_url}`` (newer
    answers also carry the ``user``; a user who left answers a ``user`` of id 0 and no works). ParseError when
    ``illusts`` is not a list or ``next_url`` leaves the App API."""
    return _works_page(data, "illusts", "user_illusts")


def parse_user_novels(data: Any) -> UserWorksPage:
    """``GET /v1/user/novels?user_id=&filter=for_ios&offset=``'s answer, ``{novels, next_url}``; ParseError as
    :func:`parse_user_illusts`."""
    return _works_page(data, "novels", "user_novels")


@dataclass(frozen=True, slots=True)
class ProfileAll:
    """What ``GET /ajax/user/{id}/profile/all`` lists of a user: the ids of every work and series, newest first."""

    #: ``illusts`` (illusts and ugoira), ``manga`` and ``novels``: maps of id → null, ``[]`` when empty
    illust_ids: tuple[int, ...]
    manga_ids: tuple[int, ...]
    novel_ids: tuple[int, ...]
    #: ``mangaSeries``: the user's illust/manga series (the App API's ``/v1/illust/series?illust_series_id``)
    illust_series_ids: tuple[int, ...]
    #: ``novelSeries``: the user's novel series (``/v2/novel/series?series_id``)
    novel_series_ids: tuple[int, ...]
    #: the whole body as pixiv sent it (``pickup``, ``bookmarkCount``, ``externalSiteWorksStatus``, ``request`` …)
    raw: dict[str, Any]


def _ids(body: dict, key: str) -> tuple[int, ...]:
    value = body.get(key)
    if value is None or value == []:  # pixiv sends [] for an empty map
        return ()
    if not isinstance(value, dict):
        raise ParseError(f"profile_all.{key} is {type(value).__name__}, not a map of ids")
    try:
        ids = sorted((int(k) for k in value), reverse=True)
    except ValueError:
        raise ParseError(f"profile_all.{key} has a key that is not an id") from None
    return tuple(ids)


def _series_ids(body: dict, key: str) -> tuple[int, ...]:
    entries = get_field(body, key, list, optional=True, where="profile_all") or []
    ids = []
    for n, entry in enumerate(entries):
        value = get_field(entry, "id", (str, int), where=f"profile_all.{key}[{n}]")
        if isinstance(value, str) and not value.isdigit():
            raise ParseError(f"profile_all.{key}[{n}].id is {value[:40]!r}, not a series id")
        ids.append(int(value))
    return tuple(ids)


def parse_profile_all(body: Any) -> ProfileAll:
    """The ``body`` of ``GET /ajax/user/{id}/profile/all`` (pixivcrawl.parsers.ajax.ajax_body unwraps the envelope;
    a user who left is pixiv's error envelope, "User has left pixiv or the user ID does not exist.") as a
    :class:`ProfileAll`. ParseError when the body is not an object, a works map is neither a map of ids nor ``[]``,
    or a series has no id."""
    if not isinstance(body, dict):
        raise ParseError(f"profile_all body is {type(body).__name__}, not an object")
    return ProfileAll(
        illust_ids=_ids(body, "illusts"), manga_ids=_ids(body, "manga"), novel_ids=_ids(body, "novels"),
        illust_series_ids=_series_ids(body, "mangaSeries"), novel_series_ids=_series_ids(body, "novelSeries"),
        raw=body,
    )


def profile_record(detail: UserDetail) -> UserItem:
    """The user record of a ``/v1/user/detail`` answer (:class:`~pixivcrawl.parsers.app_api.UserDetail`): its user
    with its :class:`~pixivcrawl.items.UserProfile` (every profile column of ``users``)."""
    return dataclasses.replace(detail.user, profile=detail.profile)
