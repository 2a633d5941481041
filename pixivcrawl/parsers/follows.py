"""Parsers of the App API's follow endpoints.

``GET /v1/user/following?user_id=&restrict=public|private&offset=`` answers ``{user_previews, next_url}``: one
*user preview* per followed user, newest follow first, read by :func:`parse_user_preview`; its ``next_url`` by
:func:`pixivcrawl.parsers.app_api.next_url`. The follow feeds, ``/v2/illust/follow`` (``{illusts, next_url}``) and
``/v1/novel/follow`` (``{novels, next_url}``), list ordinary App API work objects, newest first, which
:func:`~pixivcrawl.parsers.app_api.parse_illust` and :func:`~pixivcrawl.parsers.app_api.parse_novel` read.

Captures: ``tests/fixtures/app-api/v1_user_following``, ``v2_illust_follow``, ``v1_novel_follow``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pixivcrawl.items import IllustItem, NovelItem, UserItem

from .app_api import parse_illust, parse_novel, parse_user
from .common import ParseError, get_field


@dataclass(frozen=True, slots=True)
class UserPreview:
    """One followed user as ``/v1/user/following`` lists them: ``{user, illusts, novels, is_muted}``.

    pixiv shows the user's newest works with them (up to three illusts, manga or ugoira, and up to three novels,
    newest first): a crawl can tell from the preview alone whether the user posted anything it does not hold."""

    #: the ``user`` object (id, name, account, ``profile_image_urls.medium``, the viewer's ``is_followed``): the
    #: same user record a work object carries, without the profile of ``/v1/user/detail``
    user: UserItem
    #: ``illusts``: the user's newest illusts, manga and ugoira, whole App API work objects parsed, newest first
    illusts: tuple[IllustItem, ...]
    #: ``novels``: the user's newest novels (whole App API novel objects, without their text), newest first
    novels: tuple[NovelItem, ...]
    #: how many of the preview's works could not be read (an object that is not a work): the preview then does not
    #: tell everything about the user's newest works
    unreadable: int
    #: ``is_muted``: whether the viewer muted the user (a boolean; the 2020 doc-extract writes the string "false")
    is_muted: bool
    #: the preview object as pixiv sent it
    raw: dict[str, Any]

    def works(self) -> tuple[IllustItem | NovelItem, ...]:
        """Every work the preview shows: its illusts, then its novels."""
        return (*self.illusts, *self.novels)


def parse_user_preview(obj: Any) -> UserPreview:
    """One entry of ``/v1/user/following``'s ``user_previews``, ``{user: {id, name, account, profile_image_urls,
    is_followed}, illusts: [work], novels: [novel], is_muted}``, as a :class:`UserPreview`. ``illusts`` and
    ``novels`` may be missing (none shown). ParseError naming the field when the entry or its ``user`` is not an
    object, the user has no id or name, ``illusts`` or ``novels`` is not a list, or ``is_muted`` is neither a
    boolean nor ``"true"``/``"false"``; a work of the preview that is not a work object is counted in
    ``unreadable``, not an error."""
    user = get_field(obj, "user", dict, where="user_preview")
    where = f"user_preview {user.get('id')}"
    illusts, novels, unreadable = [], [], 0
    for key, parse, out in (("illusts", parse_illust, illusts), ("novels", parse_novel, novels)):
        for work in get_field(obj, key, list, optional=True, where=where) or ():
            try:
                out.append(parse(work))
            except ParseError:
                unreadable += 1
    return UserPreview(user=parse_user(user, where=f"{where}.user"), illusts=tuple(illusts), novels=tuple(novels),
                       unreadable=unreadable, is_muted=_flag(obj.get("is_muted"), f"{where}.is_muted"), raw=obj)


def _flag(value: Any, where: str) -> bool:
    """A boolean pixiv may send as ``true``/``false`` or as the strings ``"true"``/``"false"``; missing is False."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ParseError(f"{where} is {type(value).__name__} {str(value)[:40]!r}, expected bool")
