"""``work``: single works, each stored whole (its user, pages, tags, ugoira frames, novel text, files), without
crawling its series.

    scrapy crawl work -a illust_id=100000018,https://www.pixiv.net/artworks/100000019
    scrapy crawl work -a novel_id=https://www.pixiv.net/novel/show.php?id=20000001
    scrapy crawl work -a ids_file=works.txt -a incremental=1

Each illust costs one ``/v1/illust/detail`` (``/v2/novel/detail`` for a novel), then what the App API expansion
of every spider adds (pixivcrawl.spiders.app_works): ``/v1/ugoira/metadata`` for an ugoira, ``/webview/v2/novel``
for a novel's text, and the files. ``ids_file`` holds one id or URL per line (``#`` comments, blank lines); a plain
number there is an illust id, novels are given by URL. A deleted work (pixiv's 404) or a hidden one is logged and
counted as in every spider (``pixiv/errors/http_404``, ``pixiv/works/hidden``), and the crawl goes on with the
others; a crawl that lost any work exits 3 (pixivcrawl.extensions.summary). Stats: ``pixiv/work/requested``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from pydantic import Field, PrivateAttr, model_validator
from scrapy.http import Response

from pixivcrawl.endpoints import ILLUST_DETAIL, NOVEL_DETAIL
from pixivcrawl.urls import KIND_NAMES, PixivUrlError, parse_ref, read_file_lines

from .arguments import Flag, PixivParams, SpiderArgumentError, Text
from .base import PixivSpider
from .params import IllustRefList, IncrementalParam, NovelRefList


def works_in_file(path: str) -> tuple[list[int], list[int]]:
    """The (illust ids, novel ids) of an ``ids_file``: one id or URL per line, ``#`` comments and blank lines
    left out; a plain number is an illust id. Raises :class:`SpiderArgumentError` naming the file, and the line
    of a value that is not an illust or a novel."""
    try:
        lines = read_file_lines(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise SpiderArgumentError(f"Argument ids_file: cannot read {path} ({exc}).") from None
    illusts: list[int] = []
    novels: list[int] = []
    for number, value in lines:
        try:
            ref = parse_ref(value, "illust")
        except PixivUrlError as exc:
            raise SpiderArgumentError(f"Line {number} of ids_file {path}: {exc}") from None
        if ref.kind not in ("illust", "novel"):
            raise SpiderArgumentError(f"Line {number} of ids_file {path}: {value} is {KIND_NAMES[ref.kind]}; "
                                      "the work spider takes illust and novel ids or URLs.")
        (illusts if ref.kind == "illust" else novels).append(ref.id)
    return illusts, novels


class WorkIds(PixivParams):
    """Which works: ``illust_id``, ``novel_id`` and ``ids_file`` together (at least one)."""

    illust_id: IllustRefList | None = Field(
        None, description="illust (manga, ugoira) ids or URLs, separated by commas: "
                          "`1,https://www.pixiv.net/artworks/2`")
    novel_id: NovelRefList | None = Field(
        None, description="novel ids or URLs, separated by commas: `https://www.pixiv.net/novel/show.php?id=3`")
    ids_file: Text | None = Field(
        None, description="a file of one id or URL per line (`#` comments, blank lines); a plain number is an "
                          "illust id")
    _from_file: tuple[list[int], list[int]] = PrivateAttr(default=([], []))

    @model_validator(mode="after")
    def _some_works(self) -> WorkIds:
        if self.ids_file is not None:
            self._from_file = works_in_file(self.ids_file)
        if not self.illust_ids() and not self.novel_ids():
            where = f" (ids_file {self.ids_file} lists none)" if self.ids_file is not None else ""
            raise SpiderArgumentError(f"Give -a illust_id=…, -a novel_id=… or -a ids_file=…{where}.")
        return self

    def illust_ids(self) -> list[int]:
        """Every illust id asked for, each once: ``illust_id``'s, then the file's."""
        return list(dict.fromkeys([*(self.illust_id or []), *self._from_file[0]]))

    def novel_ids(self) -> list[int]:
        """Every novel id asked for, each once: ``novel_id``'s, then the file's."""
        return list(dict.fromkeys([*(self.novel_id or []), *self._from_file[1]]))


class WorkParams(IncrementalParam, WorkIds):
    incremental: Flag = Field(False, description="`1`: a work the database holds unchanged (same pages, same "
                                                 "upload) costs its detail request only: its ugoira frames or "
                                                 "novel text are not fetched again")


class WorkSpider(PixivSpider[WorkParams]):
    name = "work"

    def use_arguments(self, args: WorkParams) -> None:
        self.illusts = args.illust_ids()
        self.novels = args.novel_ids()

    def start_requests_for_arguments(self) -> Iterator[scrapy.Request]:
        self.count("work/requested", len(self.illusts) + len(self.novels))
        for illust_id in self.illusts:
            yield self.request(ILLUST_DETAIL, {"illust_id": illust_id}, self.parse_illust,
                               cb_kwargs={"work_id": illust_id})
        for novel_id in self.novels:
            yield self.request(NOVEL_DETAIL, {"novel_id": novel_id}, self.parse_novel,
                               cb_kwargs={"work_id": novel_id})

    def parse_illust(self, response: Response, work_id: int) -> Iterator[Any]:
        """``/v1/illust/detail``: the illust whole (an ugoira after its frames), and its user."""
        data = self.app_json(response, f"illust {work_id}")
        if data is not None:
            yield from self.app_work_items(data.get("illust"), skip_known=self.skip_known)

    def parse_novel(self, response: Response, work_id: int) -> Iterator[Any]:
        """``/v2/novel/detail``: the novel, after its text, and its user."""
        data = self.app_json(response, f"novel {work_id}")
        if data is not None:
            yield from self.app_novel_items(data.get("novel"), skip_known=self.skip_known)
