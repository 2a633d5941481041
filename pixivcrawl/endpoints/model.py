"""The two records of the endpoint catalogue: :class:`Api` (one per pixiv API: its hosts and per-host policy) and
:class:`Endpoint` (one per endpoint pixivcrawl calls: path template, parameters, answer, parser, budget), with the
request builders spiders, pipelines and middlewares use.

Paths are aiohttp-style templates (``/ajax/illust/{illust_id}/pages``; ``{name:regex}`` for a variable that is not
one path segment), the syntax of the replica's routes, so that a test can hold the two side by side. The few lines
that read them are ours rather than aiohttp's router: the crawler needs byte-identical URLs (``quote(value,
safe="")``, as pixiv's own clients send), which aiohttp's ``url_for`` quoting does not give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import scrapy

#: the meta key naming a request's endpoint (:attr:`Endpoint.name`, a string: requests are pickled into JOBDIR
#: and Redis)
ENDPOINT_META = "pixiv_endpoint"

#: a template variable: ``{name}`` (one path segment) or ``{name:regex}`` (one level of ``{}`` allowed inside)
_VARIABLE = re.compile(r"\{(?P<name>[A-Za-z_]\w*)(?::(?P<regex>[^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")


@dataclass(frozen=True, kw_only=True, repr=False)
class Api:
    """One pixiv API and what every request to it gets.

    - ``name``: ``"app"``, ``"web"``, ``"oauth"`` or ``"cdn"``.
    - ``hosts``: its host names (the first one is where its endpoints live unless they say otherwise).
    - ``budget``: the throttle's token bucket its requests wait for (pixivcrawl.middlewares.throttle), or None.
    - ``client``: the client headers it gets (pixivcrawl.middlewares.headers): ``"app"`` (the iOS app's
      User-Agent, App-OS and X-Client-Hash), ``"browser"`` (a browser's User-Agent and a pixiv Referer) or
      ``"referer"`` (only a pixiv Referer: the CDN answers 403 without one).
    - ``credential``: what pixivcrawl.middlewares.auth adds: ``"bearer"`` (the OAuth access token, and a replay
      of a request refused for its token), ``"cookie"`` (``PHPSESSID``) or None.
    - ``concurrency``: the setting giving its hosts' download-slot concurrency (``PIXIV_API_CONCURRENCY``,
      ``PIXIV_CDN_CONCURRENCY``), or a fixed number (pixivcrawl.addon).
    - ``unlisted``: what a path of this API that no :class:`Endpoint` matches answers (a user's URL, a pixiv-given
      URL of an endpoint not in the catalogue): ``(path prefix, answers)`` rules, the first matching prefix wins;
      no match: None (not checked by pixivcrawl.middlewares.bodycheck).
    """

    name: str
    hosts: tuple[str, ...]
    budget: str | None
    client: str
    credential: str | None
    concurrency: str | int
    unlisted: tuple[tuple[str, str | None], ...] = ()
    description: str = ""

    def __repr__(self) -> str:
        return f"<Api {self.name}: {', '.join(self.hosts)}>"

    def unlisted_answers(self, path: str) -> str | None:
        """What ``path``, a path of this API no endpoint matches, answers (see ``unlisted``)."""
        for prefix, answers in self.unlisted:
            if path.startswith(prefix):
                return answers
        return None


@dataclass(frozen=True, kw_only=True, repr=False)
class Endpoint:
    """One pixiv endpoint pixivcrawl calls.

    - ``name``: its name in ``Request.meta["pixiv_endpoint"]``, logs and tests (``illust_detail``).
    - ``api``: the :class:`Api` it belongs to; ``host``: its host (default: the API's first host).
    - ``method``: ``"GET"`` or ``"POST"``.
    - ``path``: an aiohttp-style template, ``/ajax/illust/{illust_id}/pages``.
    - ``params``: the query parameters it takes (a name may also be a path variable: the search's ``word``).
    - ``answers``: ``"json"``, ``"webview"`` (the novel webview's HTML) or ``"media"`` (image or zip bytes),
      checked by pixivcrawl.middlewares.bodycheck.
    - ``parser``: the functions of ``pixivcrawl.parsers`` that read its answer (none for the CDN and the token
      endpoint, which their component reads itself).
    - ``budget``: its request budget (usually its API's).
    - ``description``: one line citing pixiv's endpoint and what it answers.
    """

    name: str
    api: Api
    method: str = "GET"
    path: str
    params: tuple[str, ...] = ()
    answers: str
    parser: tuple[Callable[..., Any], ...] = ()
    budget: str | None
    description: str
    host: str = ""
    _pattern: re.Pattern = field(init=False, repr=False, compare=False)
    _variables: tuple[tuple[str, bool], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.host:
            object.__setattr__(self, "host", self.api.hosts[0])
        pattern, variables, pos = "", [], 0
        for m in _VARIABLE.finditer(self.path):
            pattern += re.escape(self.path[pos:m.start()]) + f"(?P<{m['name']}>{m['regex'] or '[^{}/]+'})"
            variables.append((m["name"], m["regex"] is not None))
            pos = m.end()
        object.__setattr__(self, "_pattern", re.compile(pattern + re.escape(self.path[pos:])))
        object.__setattr__(self, "_variables", tuple(variables))

    def __repr__(self) -> str:
        return f"<Endpoint {self.name}: {self.method} {self.host}{self.path}>"

    @property
    def path_args(self) -> tuple[str, ...]:
        """The names of the path template's variables, in order."""
        return tuple(name for name, _ in self._variables)

    def matches(self, host: str | None, path: str) -> bool:
        """Whether a URL with this ``host`` and (percent-encoded) ``path`` is one of this endpoint's."""
        return host == self.host and self._pattern.fullmatch(path) is not None

    def url(self, **values: Any) -> str:
        """This endpoint's URL: path variables from ``values`` (percent-encoded whole, ``/`` included, unless the
        variable has a regex), query parameters from the rest in the order given, None values left out:
        ``SEARCH.url(kind="artworks", word="猫", order="date_d", p=1)`` →
        ``https://www.pixiv.net/ajax/search/artworks/%E7%8C%AB?word=%E7%8C%AB&order=date_d&p=1``.
        Raises TypeError for a missing path variable or a parameter the endpoint does not take."""
        path_values = {name: values[name] for name in self.path_args if name in values}
        return self._url(path_values, {k: v for k, v in values.items() if k in self.params or k not in path_values})

    def request(self, params: Mapping[str, Any] | None = None, *, callback: Callable | None = None,
                errback: Callable | None = None, **kwargs: Any) -> scrapy.Request:
        """A ``scrapy.Request`` of this endpoint with ``meta["pixiv_endpoint"]`` set to its name: ``params`` are
        the query parameters (in their order, None values left out), keyword arguments named like a path variable
        fill the path, the others go to ``scrapy.Request`` (``cb_kwargs``, ``headers``, ``meta``, ``body`` …;
        ``method`` defaults to the endpoint's). Raises TypeError as :meth:`url`."""
        path_values = {name: kwargs.pop(name) for name in self.path_args if name in kwargs}
        meta = {**(kwargs.pop("meta", None) or {}), ENDPOINT_META: self.name}
        kwargs.setdefault("method", self.method)
        return scrapy.Request(self._url(path_values, params or {}), callback=callback, errback=errback, meta=meta,
                              **kwargs)

    def _url(self, path_values: Mapping[str, Any], params: Mapping[str, Any]) -> str:
        missing = [name for name in self.path_args if name not in path_values]
        if missing:
            raise TypeError(f"endpoint {self.name} needs its path variable(s) {', '.join(missing)}")
        unknown = [name for name in params if name not in self.params]
        if unknown:
            takes = ", ".join(self.params) or "none"
            raise TypeError(f"endpoint {self.name} takes no parameter {', '.join(unknown)} (it takes {takes})")
        path, pos = "", 0
        for m, (name, free) in zip(_VARIABLE.finditer(self.path), self._variables, strict=True):
            path += self.path[pos:m.start()] + quote(str(path_values[name]), safe="/" if free else "")
            pos = m.end()
        path += self.path[pos:]
        query = urlencode([(k, v) for k, v in params.items() if v is not None])
        return f"https://{self.host}{path}" + (f"?{query}" if query else "")
