"""Copy pixiv's captured API answers into the repository with personal texts replaced by stand-ins.

The originals (a folder of captures outside the repository, described by its INDEX.md) hold real user
names, profile fields and texts, captions, comments, commission requests and novel texts. This script
copies a selection of them to
``tests/fixtures`` and rewrites, in the raw text and in place, only the string tokens that carry such
texts: ids, numbers, dates, URLs of pixiv, key order, whitespace and escaping stay byte for byte. A
stand-in keeps the length and the script of every character (hiragana, katakana, kanji, hangul, latin
letters with their case) and leaves digits, punctuation, spaces, emoji and markup (HTML tags and
entities, ``[newpage]``, ``[chapter:…]``, ``[[rb:…>…]]``, ``[[jumpuri:…>URL]]``, ``[pixivimage:…]``)
alone (names, accounts, handles and non-pixiv URLs have their digits replaced too, each run seeded by the
value alone, so one handle has one stand-in everywhere; profile fields get stand-ins of the same type and
format). Stand-ins are derived from hashes, so a rerun is byte-identical.

It also writes ``PROVENANCE.json``: where each file comes from (INDEX.md) and facts about the original
that the sanitised copy must still match (key tree, the text with every replaced value masked, markup
counts); ``tests/test_captures.py`` checks them.

    python scripts/sanitise_captures.py /path/to/shared/fixtures [tests/fixtures] [--files a.json b.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "tests" / "fixtures"

#: what is copied by default: the captures the tests read, and whole folders the next issues need
DEFAULT_FILES = (
    "ajax/ranking_format_json_mode_weekly_content_illust_p_1.json",
    "ajax/ajax/search/artworks/genshin_word_genshin_type_all_order_date_d_mode_all_s_mode_s_tag_full.json",
    "ajax/ajax/search/illustrations/genshin_word_genshin_type_illust_and_ugoira_order_date_d_mode_all_s_mode_s_tag_full.json",
    "ajax/ajax/search/manga/genshin_word_genshin_type_manga_order_date_d_mode_all_s_mode_s_tag_full.json",
    "ajax/ajax/search/top/genshin.json",
    "app-api/oauth_auth_token/everpcpc__error_invalid_refresh_token.json",
    "app-api/oauth_auth_token/everpcpc__refresh_token.json",
    "app-api/v1_illust-series_illust/anowlbear.json",
    "app-api/v1_illust_ranking/pixivpy__day_2025-02-04.json",
    "app-api/v1_illust_series/anowlbear.json",
    "app-api/v1_novel_ranking/anowlbear.json",
    "app-api/v1_ugoira_metadata/pixko__126473222.json",
    "app-api/v2_novel_series/anowlbear.json",
    "web/ajax_error/pixivutil2__unknown_error.json",
    "web/ajax_search_artworks/pixivutil2__exact_kudryavka.json",
)
DEFAULT_FOLDERS = ("ajax/ajax/commission/", "ajax/ajax/illust/", "ajax/ajax/user/", "web/ajax_illust/",
                   "ajax/ajax/follow_latest/", "web/ajax_user_profile_all/", "web/ajax_user_illusts_bookmarks/",
                   "web/ajax_user_illustmanga_tag/")
#: App API endpoint folders (prefixes of the slug) taken whole
DEFAULT_ENDPOINTS = ("v1_user_", "v1_illust_follow", "v2_illust_follow", "v1_novel_follow", "v1_illust_detail",
                     "v2_novel_detail", "webview_v2_novel")

# -- which string values are personal ------------------------------------------------------------------

NAME_KEYS = frozenset({"userName", "user_name"})
ACCOUNT_KEYS = frozenset({"account", "userAccount", "twitter_account", "mail_address"})
#: objects whose "name" is a person's name (app-api user objects, the Ajax user body, commission users)
USER_OBJECTS = frozenset({"user", "users", "author", "body"})
TEXT_KEYS = frozenset({
    "caption", "workCaption", "description", "comment", "commentHtml", "userComment", "illustComment", "display_text",
    "text", "novel_text", "webpage", "twitter_url", "pawoo_url",
    "requestProposal", "requestProposalHtml", "requestOriginalProposal", "requestOriginalProposalHtml",
    "planDescription", "planDescriptionHtml", "planOriginalDescription", "planOriginalDescriptionHtml",
})
#: strings that quote a user name ("#tag title - NAMEのイラスト"): the names found in the file are replaced
DERIVED_KEYS = frozenset({"alt"})
PAGE_META = frozenset({"meta", "ogp", "twitter"})
#: App API ``profile`` fields that describe the person (strings and numbers); counts and flags stay
PROFILE_KEYS = frozenset({"gender", "birth", "birth_day", "birth_year", "region", "address_id", "country_code",
                          "job", "job_id", "age", "birthDay", "birthday", "prefecture", "location"})
#: Ajax user body objects ``{"name": …, "privacyLevel": …}`` (and ``region.region``/``region.prefecture``)
PROFILE_OBJECTS = frozenset({"age", "birthDay", "gender", "job", "region"})
PROFILE_OBJECT_KEYS = frozenset({"name", "region", "prefecture"})


def _parent(path: tuple[str, ...]) -> str:
    """The nearest enclosing key that is neither a list position nor an id-like map key."""
    for key in reversed(path[:-1]):
        if key != "[]" and not key.isdigit():
            return key
    return ""


def category(path: tuple[str, ...]) -> str | None:
    """Why a string value at ``path`` is personal ("name", "account", "text", "derived"), or None."""
    if not path:
        return None
    key, parent = path[-1], _parent(path)
    if (parent == "profile" and key in PROFILE_KEYS) or (parent in PROFILE_OBJECTS and key in PROFILE_OBJECT_KEYS):
        return "profile"
    if key in NAME_KEYS or (key == "name" and parent in USER_OBJECTS):
        return "name"
    if key in ACCOUNT_KEYS:
        return "account"
    if key in TEXT_KEYS or parent == "workspace" or (key == "content" and parent in {"body", "novel"}):
        return "text"
    if key == "url" and "social" in path:
        return "text"
    if key in DERIVED_KEYS or (key == "title" and parent in PAGE_META):
        return "derived"
    return None


# -- a lenient JSON scanner: the span and key path of every string value ------------------------------

STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
SCALAR = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
SPACE = re.compile(r"\s*")
DECODER = json.JSONDecoder(strict=False)


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    path: tuple[str, ...]
    string: bool = True  # False: a number

    def raw(self, text: str) -> str:
        return text[self.start:self.end]


class ScanError(ValueError):
    pass


def scan(text: str, pos: int = 0) -> tuple[list[Token], int]:
    """The string values of the JSON value starting at ``pos`` and the position after it. Trailing
    commas (doc-extracts trimmed by hand) are accepted."""
    out: list[Token] = []
    end = _value(text, pos, (), out)
    return out, end


def _skip(text: str, pos: int) -> int:
    return SPACE.match(text, pos).end()


def _string(text: str, pos: int) -> int:
    match = STRING.match(text, pos)
    if not match:
        raise ScanError(f"expected a string at {pos}")
    return match.end()


def _value(text: str, pos: int, path: tuple[str, ...], out: list[Token]) -> int:
    pos = _skip(text, pos)
    char = text[pos:pos + 1]
    if char == "{":
        return _object(text, pos + 1, path, out)
    if char == "[":
        return _array(text, pos + 1, path, out)
    if char == '"':
        end = _string(text, pos)
        out.append(Token(pos, end, path))
        return end
    match = SCALAR.match(text, pos)
    if not match:
        raise ScanError(f"unexpected {char!r} at {pos}")
    if match.group()[0] in "-0123456789":
        out.append(Token(pos, match.end(), path, string=False))
    return match.end()


def _object(text: str, pos: int, path: tuple[str, ...], out: list[Token]) -> int:
    while True:
        pos = _skip(text, pos)
        char = text[pos:pos + 1]
        if char == "}":
            return pos + 1
        if char == ",":
            pos += 1
            continue
        end = _string(text, pos)
        key = DECODER.decode(text[pos:end])
        pos = _skip(text, end)
        if text[pos:pos + 1] != ":":
            raise ScanError(f"expected ':' at {pos}")
        pos = _value(text, pos + 1, (*path, key), out)


def _array(text: str, pos: int, path: tuple[str, ...], out: list[Token]) -> int:
    while True:
        pos = _skip(text, pos)
        char = text[pos:pos + 1]
        if char == "]":
            return pos + 1
        if char == ",":
            pos += 1
            continue
        if not char:
            raise ScanError("unterminated array")
        pos = _value(text, pos, (*path, "[]"), out)


def load_lenient(text: str):
    """JSON, or JSON with trailing commas removed (the doc-extracts)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(re.sub(r",(\s*[\]}])", r"\1", text))


def documents(text: str, suffix: str) -> list[tuple[int, int, list[Token]]]:
    """The JSON documents of a capture: the whole file, or every JSON object embedded in an HTML page."""
    if suffix != ".html":
        tokens, end = scan(text)
        return [(0, end, tokens)]
    found, pos = [], 0
    while (pos := text.find('{"', pos)) >= 0:
        try:
            tokens, end = scan(text, pos)
        except (ScanError, json.JSONDecodeError):
            pos += 1
            continue
        found.append((pos, end, tokens))
        pos = end
    return found


def personal_tokens(text: str, suffix: str) -> Iterator[tuple[Token, str]]:
    """Personal values: strings, and the numbers of profile fields (``birth_year``, ``address_id`` …)."""
    for _, _, tokens in documents(text, suffix):
        for token in tokens:
            kind = category(token.path)
            if kind and (token.string or kind == "profile"):
                yield token, kind


# -- stand-ins -----------------------------------------------------------------------------------------

HIRAGANA = ("あいうえおかきくけこさしすせそたちつてとなにぬねのは"
            "ひふへほまみむめもやゆよらりるれろわんがぎぐげござじずぜぞだでどばびぶべぼ")
SMALL_HIRAGANA = "ぁぃぅぇぉっゃゅょ"
KATAKANA = ("アイウエオカキクケコサシスセソタチツテトナニヌネノハ"
            "ヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポ")
SMALL_KATAKANA = "ァィゥェォッャュョ"
HALF_KATAKANA = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ"
KANJI = ("日月火水木金土山川田林森空雨雪風花草竹石音色白青赤黒春夏秋冬朝昼夜星海道町村里野原岩光糸貝虫犬鳥馬魚"
         "米茶肉麦豆羽毛角門戸窓家店寺池橋坂岸島谷丘森園庭紙絵歌話読書語詩画楽曲旅船車駅港社室階部品箱皿")
HANGUL_FIRST, HANGUL_COUNT = 0xAC00, 11172
CYRILLIC_LOWER, CYRILLIC_UPPER = "абвгдежзиклмнопрстуфхцчшэюя", "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"
LOWER, UPPER = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FULL_LOWER = "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ"
FULL_UPPER = "ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"


class Stream:
    """Deterministic numbers from a seed (SHA-256 in counter mode; independent of Python's random)."""

    def __init__(self, seed: str):
        self.seed, self.counter, self.buffer = seed.encode("utf-8"), 0, b""

    def below(self, n: int) -> int:
        if len(self.buffer) < 4:
            self.buffer += hashlib.sha256(self.seed + self.counter.to_bytes(8, "big")).digest()
            self.counter += 1
        value, self.buffer = int.from_bytes(self.buffer[:4], "big"), self.buffer[4:]
        return value % n


def _pool(char: str) -> str | None:
    """The characters a character may be replaced by (its script), or None to keep it."""
    for pool in (LOWER, UPPER, FULL_LOWER, FULL_UPPER, HIRAGANA, SMALL_HIRAGANA, KATAKANA, SMALL_KATAKANA,
                 HALF_KATAKANA, CYRILLIC_LOWER, CYRILLIC_UPPER):
        if char in pool:
            return pool
    code = ord(char)
    if 0x3041 <= code <= 0x3096:
        return HIRAGANA
    if 0x30A1 <= code <= 0x30FA:
        return KATAKANA
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return KANJI
    if "À" <= char <= "ÿ" and char.isalpha():
        return UPPER if char.isupper() else LOWER
    return None


DIGITS, FULL_DIGITS = "0123456789", "０１２３４５６７８９"


def _swap(char: str, stream: Stream, digits: bool = False) -> str:
    code = ord(char)
    if digits and (char in DIGITS or char in FULL_DIGITS):
        pool = DIGITS if char in DIGITS else FULL_DIGITS
        return pool[stream.below(10)]
    if HANGUL_FIRST <= code < HANGUL_FIRST + HANGUL_COUNT:
        return chr(HANGUL_FIRST + stream.below(HANGUL_COUNT))
    pool = _pool(char)
    return pool[stream.below(len(pool))] if pool else char


def scramble(text: str, stream: Stream, digits: bool = False) -> str:
    """Every letter replaced by one of its script (and with ``digits`` every digit by a digit); punctuation,
    spaces and emoji kept."""
    return "".join(_swap(c, stream, digits) for c in text)


WORD = re.compile(r"\w+")


def ident(value: str) -> str:
    """The stand-in of a name, an account, a handle, an e-mail address or a piece of a non-pixiv URL: every
    run of letters, digits and ``_`` is replaced by one seeded by that run alone (digits by digits), so the
    same handle gets the same stand-in wherever it appears (an account, a twitter URL, a profile text)."""
    return WORD.sub(lambda m: scramble(m.group(), Stream(f"id\0{m.group()}"), digits=True), value)


#: %XX escapes and HTML entities inside URLs
PERCENT = re.compile(r"%[0-9A-Fa-f]{2}|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z]+);")
PIXIV_HOST = re.compile(r"^(?:[\w-]+\.)*(?:pixiv\.net|pximg\.net)$")
SECOND_LEVEL = frozenset({"co", "ne", "or", "ac", "go", "com", "net", "org"})
#: sites whose domain names no one: kept in URLs (their subdomains and paths are still replaced)
PLATFORMS = frozenset({
    "twitter.com", "x.com", "twimg.com", "youtube.com", "youtu.be", "fanbox.cc", "skeb.jp", "booth.pm",
    "imgur.com", "google.com", "pawoo.net", "instagram.com", "tumblr.com", "deviantart.com", "patreon.com",
    "facebook.com", "nicovideo.jp", "weibo.com", "bilibili.com", "fantia.jp", "dlsite.com", "melonbooks.co.jp",
    "toranoana.jp", "toranoana.shop", "amazon.co.jp", "amzn.asia", "discordapp.net", "discord.gg", "sta.sh",
    "gumroad.com", "ko-fi.com", "marshmallow-qa.com", "odaibako.net", "vroid.com", "artstation.com",
})


def scramble_url(url: str) -> str:
    """A URL of the same shape, the same for every occurrence of the URL: pixiv's URLs (ids only) and
    relative pixiv paths kept; elsewhere the scheme, the registrable domain, ``www`` and %XX escapes kept
    and the other letters replaced. ``/jump.php?<percent-encoded URL>`` is treated the same way."""
    prefix = "/jump.php?" if url.startswith("/jump.php?") else ""
    match = re.match(r"(https?(?:://|%3A%2F%2F))([^/?#%]*)(.*)", url[len(prefix):], re.DOTALL | re.IGNORECASE)
    if not match:
        if prefix or not url.startswith("/"):
            return prefix + _scramble_keeping_escapes(url[len(prefix):])
        return url
    scheme, host, rest = match.groups()
    if PIXIV_HOST.match(host.lower()):
        return url
    return prefix + scheme + _scramble_host(host) + _scramble_keeping_escapes(rest)


def _scramble_host(host: str) -> str:
    """The domain of a known platform (twitter.com, fanbox.cc …) kept, any other's (a personal site's)
    replaced but for its public suffix; ``www`` and the other labels' shapes kept."""
    labels = host.split(".")
    suffix = 2 if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2 else 1
    domain = ".".join(labels[-suffix - 1:]).lower()
    keep = suffix + 1 if domain in PLATFORMS else suffix
    head = [label if label == "www" else ident(label) for label in labels[:-keep]]
    return ".".join(head + labels[-keep:])


def _scramble_keeping_escapes(text: str) -> str:
    out, pos = [], 0
    for match in PERCENT.finditer(text):
        out += [ident(text[pos:match.start()]), match.group()]
        pos = match.end()
    return "".join([*out, ident(text[pos:])])


#: markup kept as it is (or with only its URL rewritten); the words between are replaced
MARKUP = re.compile(r"""
    (?P<url>https?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+)
  | (?P<tag></?[A-Za-z][^<>]*>)
  | (?P<entity>&(?:\#\d+|\#x[0-9A-Fa-f]+|[A-Za-z]+);)
  | (?P<keep>\[newpage\]|\[(?:pixivimage|uploadedimage|jump):[^\]\n]*\]|\[chapter:|\[\[rb:|\[\[jumpuri:)
  | (?P<handle>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|(?<![A-Za-z0-9_@])@[A-Za-z0-9_]{2,})
""", re.VERBOSE)
#: what may be a handle (an account, the first path segment of a twitter URL …) quoted in a text
HANDLE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{2,}")
ATTRIBUTE = re.compile(r"""(\b(?:href|src)=)(["'])(.*?)\2""", re.DOTALL)


def _attribute(match: re.Match) -> str:
    name, quote, value = match.groups()
    return f"{name}{quote}{scramble_url(value)}{quote}"


def stand_in_text(text: str, stream: Stream, handles: re.Pattern | None = None) -> str:
    """Words replaced from ``stream``; markup and pixiv URLs kept; other URLs, e-mail addresses,
    ``@handles`` and the known ``handles`` replaced by their :func:`ident` (digits too)."""
    out, pos = [], 0
    for match in MARKUP.finditer(text):
        out.append(_scramble_plain(text[pos:match.start()], stream, handles))
        piece = match.group()
        if match.lastgroup == "url":
            piece = scramble_url(piece)
        elif match.lastgroup == "tag":
            piece = ATTRIBUTE.sub(_attribute, piece)
        elif match.lastgroup == "handle":
            piece = ident(piece)
        out.append(piece)
        pos = match.end()
    out.append(_scramble_plain(text[pos:], stream, handles))
    return "".join(out)


def _scramble_plain(text: str, stream: Stream, handles: re.Pattern | None) -> str:
    if handles is None:
        return scramble(text, stream)
    out, pos = [], 0
    for match in handles.finditer(text):
        out += [scramble(text[pos:match.start()], stream), ident(match.group())]
        pos = match.end()
    return "".join([*out, scramble(text[pos:], stream)])


def handle_pattern(handles) -> re.Pattern | None:
    """A pattern matching any of ``handles`` (accounts, handles, user names) as a whole word."""
    if not handles:
        return None
    words = "|".join(re.escape(h) for h in sorted(handles, key=lambda h: (-len(h), h)))
    return re.compile(f"(?<![A-Za-z0-9_.-])(?:{words})(?![A-Za-z0-9_])")


def handles_in(value: str, kind: str) -> set[str]:
    """Handles a personal value shows: an account itself, the first path segment of a platform's URL."""
    found = {value} if kind == "account" and HANDLE.fullmatch(value) else set()
    for match in re.finditer(r"https?://(?:www\.|mobile\.)?(?:twitter\.com|x\.com|instagram\.com|pawoo\.net"
                             r"|skeb\.jp|fantia\.jp/|tumblr\.com|youtube\.com|bsky\.app/profile)/@?"
                             r"([A-Za-z0-9_][A-Za-z0-9_.-]{2,})", value):
        found.add(match.group(1).rstrip("."))
    return found


def stand_in(value: str, kind: str, key: str, names: dict[str, str], handles: re.Pattern | None = None,
             salt: str = "") -> str:
    """The stand-in of a personal value. Names, accounts and handles are seeded by the value alone, so one
    person gets the same stand-in wherever (and in whichever file, under whichever key) it appears; texts
    by their key and value; profile fields by a salt taken from the whole original capture."""
    if kind in ("name", "account"):
        return names_stand_in(value, kind)
    if kind == "derived":
        return _replace_names(value, names)
    if kind == "profile":
        return profile_stand_in(value, Stream(f"profile\0{salt}\0{key}\0{value}"), salt)
    return stand_in_text(value, Stream(f"{key}\0{value}"), handles)


def names_stand_in(value: str, kind: str = "name") -> str:
    """Every run of letters and digits replaced by its :func:`ident` (a name of digits only by digits)."""
    return ident(value)


#: small sets a profile value is picked from (the original's own set)
PROFILE_SETS = (("女性", "男性"), ("female", "male"), ("女", "男"), ("Female", "Male"))


def _number(width: int, stream: Stream) -> str:
    """Digits of the given width not starting with 0 (unless a single digit)."""
    first = str(stream.below(10)) if width == 1 else str(1 + stream.below(9))
    return first + "".join(str(stream.below(10)) for _ in range(width - 1))


def _in_width(low: int, high: int, width: int, stream: Stream) -> int:
    low, high = max(low, 10 ** (width - 1) if width > 1 else 0), min(high, 10 ** width - 1)
    return low + stream.below(high - low + 1)


def profile_stand_in(value: str, stream: Stream, salt: str = "") -> str:
    """A profile field's stand-in of the same type and shape: a valid date of the same format, a number of
    the same width, a gender from the same set, other strings of the same script and length. Empty
    values and zeros (the field not set) are kept."""
    if value in ("", "0", "unknown"):
        return value
    for options in PROFILE_SETS:
        if value in options:
            return options[stream.below(len(options))]
    birth = Stream(f"birth\0{salt}")  # one birth date per capture: birth, birth_day, birth_year agree
    year, month, day = 1950 + birth.below(59), 1 + birth.below(12), 1 + birth.below(28)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return f"{year}-{month:02d}-{day:02d}"
    if re.fullmatch(r"\d\d-\d\d", value):
        return f"{month:02d}-{day:02d}"
    if match := re.fullmatch(r"(\d+)月(\d+)日", value):
        month = _in_width(1, 12, len(match.group(1)), stream)
        day = _in_width(1, 28, len(match.group(2)), stream)
        return f"{month}月{day}日"
    if match := re.fullmatch(r"(\d+)(歳|才)", value):
        return f"{_in_width(13, 89, len(match.group(1)), stream)}{match.group(2)}"
    if re.fullmatch(r"(19|20)\d\d", value):
        return str(year)
    if value.isdigit():
        return _number(len(value), stream)
    return scramble(value, stream, digits=True)


def _replace_names(value: str, names: dict[str, str]) -> str:
    if not names:
        return value
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group()], value)


# -- JSON string tokens written back in the original's escaping style ----------------------------------

ESCAPE = re.compile(r'\\u[dD][89abAB][0-9A-Fa-f]{2}\\u[0-9A-Fa-f]{4}|\\u[0-9A-Fa-f]{4}|\\.', re.DOTALL)
SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


@dataclass
class Style:
    """How a capture writes strings: ``\\/`` or ``/``, non-ASCII as ``\\uXXXX`` or as it is, hex case."""

    slash: bool
    ascii_only: bool
    upper_hex: bool

    @classmethod
    def of(cls, text: str) -> Style:
        escapes = re.findall(r"\\u([0-9A-Fa-f]{4})", text)
        wide = [e for e in escapes if int(e, 16) >= 0x80]
        literal_wide = any(ord(c) >= 0x80 for c in text)
        letters = "".join(e for e in escapes if re.search("[A-Fa-f]", e))
        return cls(slash="\\/" in text, ascii_only=bool(wide) and not literal_wide,
                   upper_hex=bool(letters) and letters == letters.upper())


def _token_escapes(raw: str) -> dict[str, str]:
    """How the original token wrote the characters it escaped."""
    seen = {}
    for match in ESCAPE.finditer(raw):
        seen.setdefault(DECODER.decode(f'"{match.group()}"'), match.group())
    return seen


def encode_like(value: str, raw: str, style: Style) -> str:
    seen = _token_escapes(raw)
    literal = ESCAPE.sub("", raw[1:-1])
    ascii_only = any(ord(k[0]) >= 0x80 for k in seen) or (style.ascii_only and literal.isascii())
    slash = "\\/" in raw or (style.slash and "/" not in literal)
    out = []
    for char in value:
        if char in seen:
            out.append(seen[char])
        elif char in SHORT:
            out.append(SHORT[char])
        elif char == "/" and slash:
            out.append("\\/")
        elif ord(char) < 0x20 or (ascii_only and ord(char) >= 0x80):
            out.append(_u_escape(char, style.upper_hex))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _u_escape(char: str, upper: bool) -> str:
    data = char.encode("utf-16-be")
    units = [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]
    text = "".join(f"\\u{u:04x}" for u in units)
    return re.sub(r"u([0-9a-f]{4})", lambda m: "u" + m.group(1).upper(), text) if upper else text


# -- sanitising one capture ----------------------------------------------------------------------------

@dataclass
class Result:
    text: str
    values: int  # personal string values seen
    changed: int  # of which the stand-in differs from the original


def user_names(text: str, suffix: str) -> dict[str, str]:
    """The user names in a capture (two characters or more) and their stand-ins."""
    names = {}
    for token, kind in personal_tokens(text, suffix):
        value = DECODER.decode(token.raw(text))
        if kind == "name" and len(value) >= 2:
            names[value] = names_stand_in(value, "name")
    return names


def user_handles(text: str, suffix: str) -> set[str]:
    """The accounts and handles (twitter URLs …) in a capture: replaced where texts quote them."""
    found: set[str] = set()
    for token, kind in personal_tokens(text, suffix):
        if token.string:
            found |= handles_in(DECODER.decode(token.raw(text)), kind)
    return found


def sanitise(text: str, suffix: str, names: dict[str, str] | None = None,
             handles: set[str] | None = None) -> Result:
    """The capture with its personal values replaced; ``names`` (default: the capture's own) are the user
    names replaced where other strings quote them, ``handles`` (default: the capture's own) the accounts
    and handles replaced where texts quote them."""
    style = Style.of(text)
    found = list(personal_tokens(text, suffix))
    names = user_names(text, suffix) if names is None else names
    handles = user_handles(text, suffix) if handles is None else handles
    pattern = handle_pattern(handles | {name for name in names if len(name) >= 3})
    salt = hashlib.sha256(b"profile\0" + text.encode("utf-8")).hexdigest()
    pieces, pos, changed = [], 0, 0
    for token, kind in found:
        raw = token.raw(text)
        if not token.string:  # a profile number: digits of the same width
            new = profile_stand_in(raw, Stream(f"profile\0{salt}\0{token.path[-1]}\0{raw}"), salt)
            changed += new != raw
            pieces += [text[pos:token.start], new]
            pos = token.end
            continue
        value = DECODER.decode(raw)
        if encode_like(value, raw, style) != raw:
            raise ValueError(f"cannot reproduce the escaping of {raw[:80]!r}")
        new = stand_in(value, kind, token.path[-1], names, pattern, salt)
        changed += new != value
        pieces += [text[pos:token.start], encode_like(new, raw, style) if new != value else raw]
        pos = token.end
    pieces.append(text[pos:])
    return Result("".join(pieces), len(found), changed)


# -- facts recorded for the original and checked on the copy -------------------------------------------

MASK = '"\u2588"'
MARKERS = ("<br />", "[newpage]", "[[rb:", "[chapter:", "[pixivimage:", "[uploadedimage:", "[jump:", "[[jumpuri:")


def key_tree(value):
    """Keys (in order) and value types; a list becomes ``["list", merged shape of its elements]``."""
    if isinstance(value, dict):
        return {k: key_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        merged = None
        for element in value:
            merged = _merge(merged, key_tree(element))
        return ["list", merged]
    return "null" if value is None else type(value).__name__


def _merge(a, b):
    if a is None or a == "null":
        return b
    if b is None or b in ("null", a):
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _merge(out.get(k), v)
        return out
    if isinstance(a, list) and isinstance(b, list):
        return ["list", _merge(a[1], b[1])]
    return "|".join(sorted({*str(a).split("|"), *str(b).split("|")}))


def _sha256(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def parse_mode(text: str, suffix: str) -> str:
    if suffix == ".html":
        return "html"
    try:
        json.loads(text)
        return "strict"
    except json.JSONDecodeError:
        load_lenient(text)
        return "lenient"


def key_tree_sha256(text: str, suffix: str) -> str:
    trees = [key_tree(load_lenient(text[start:end])) for start, end, _ in documents(text, suffix)]
    return _sha256(json.dumps(trees if suffix == ".html" else trees[0], ensure_ascii=False, sort_keys=False))


def skeleton(text: str, suffix: str) -> tuple[str, int, int]:
    """The text with every personal value masked, the number of such values and their total length (profile
    fields not counted: a gender picked from its set may change the length)."""
    pieces, pos, count, chars = [], 0, 0, 0
    for token, kind in personal_tokens(text, suffix):
        pieces += [text[pos:token.start], MASK]
        pos, count = token.end, count + 1
        chars += len(DECODER.decode(token.raw(text))) if kind != "profile" else 0
    pieces.append(text[pos:])
    return "".join(pieces), count, chars


def markup_counts(text: str, suffix: str) -> dict[str, int]:
    values = [DECODER.decode(t.raw(text)) for _, _, tokens in documents(text, suffix) for t in tokens if t.string]
    return {marker: sum(v.count(marker) for v in values) for marker in MARKERS}


def facts(text: str, suffix: str) -> dict:
    """What the sanitised copy of ``text`` must still show (all computed on the original)."""
    masked, count, chars = skeleton(text, suffix)
    return {"parse": parse_mode(text, suffix), "key_tree_sha256": key_tree_sha256(text, suffix),
            "skeleton_sha256": _sha256(masked), "personal_values": count, "personal_chars": chars,
            "markup": markup_counts(text, suffix)}


# -- provenance from INDEX.md --------------------------------------------------------------------------

#: INDEX.md section 1 says it in prose: all of ajax/ is copied byte for byte from one commit, captured 2022-09
AJAX_SOURCE = {"repository": "daydreamer-json/pixiv-ajax-api-docs", "commit": "561cb0d", "fidelity": "byte-for-byte",
               "captured": "2022-09"}


def _cells(line: str) -> list[str]:
    return [c.strip().strip("`") for c in re.split(r"\s\|\s", line.strip().strip("|").strip())]


def _tables(index: str) -> Iterator[list[dict[str, str]]]:
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for line in index.splitlines():
        if not line.startswith("|"):
            if header:
                yield rows
            header, rows = None, []
        elif header is None:
            header = _cells(line)
        elif not set(line) <= set("|-: "):
            rows.append(dict(zip(header, _cells(line), strict=False)))
    if header:
        yield rows


def index_entries(index: str) -> dict[str, dict]:
    """Per fixture path: repository, commit, licence, capture date, fidelity (and where it came from)."""
    tables = list(_tables(index))
    sources = {row["repository"]: row for row in tables[0]}
    licences = {repo: row["license"] for repo, row in sources.items()}
    entries: dict[str, dict] = {}
    for table in tables[1:]:
        for row in table:
            if "fixture" in row:
                entries[row["fixture"]] = _entry(row, sources, licences)
            elif "ASCII sibling" in row:
                entries[row["ASCII sibling"]] = {**entries[row["original (upstream name)"]],
                                                 "note": f"ASCII-named copy of {row['original (upstream name)']}"}
    return entries


def _entry(row: dict[str, str], sources: dict, licences: dict) -> dict:
    if row["fixture"].startswith("ajax/"):
        base = dict(AJAX_SOURCE, source_path=f"json/example_response/{row['fixture'][len('ajax/'):]}")
    else:
        repo, _, path = row["source repo:path"].partition(":")
        date = re.search(r"\b(20\d\d-\d\d(?:-\d\d)?)\b", row.get("notes", ""))
        base = {"repository": repo, "commit": row["commit"], "fidelity": row["fidelity"], "source_path": path,
                "captured": date.group(1) if date else "not recorded"}
    upstream = sources[base["repository"]]["upstream commit date"]
    return {**base, "upstream_commit_date": upstream, "license": licences[base["repository"]], "method": row["method"],
            "endpoint": row.get("endpoint URL (query)") or row.get("endpoint URL (as captured)")}


# -- the command ---------------------------------------------------------------------------------------

def default_selection(source: Path) -> list[str]:
    chosen = set(DEFAULT_FILES)
    for path in source.rglob("*"):
        rel = path.relative_to(source).as_posix()
        endpoint = rel.split("/")[1] if rel.startswith("app-api/") and rel.count("/") >= 2 else ""
        if path.is_file() and (rel.startswith(DEFAULT_FOLDERS) or endpoint.startswith(DEFAULT_ENDPOINTS)):
            chosen.add(rel)
    return sorted(chosen)


def run(source: Path, dest: Path, files: list[str]) -> dict:
    entries = index_entries((source / "INDEX.md").read_text(encoding="utf-8"))
    provenance = {}
    originals = {rel: (source / rel).read_text(encoding="utf-8") for rel in files}
    names = {}  # a page title may quote a user whose name is in another capture
    handles: set[str] = set()  # and a profile text a handle whose URL is in another
    for rel, original in originals.items():
        names.update(user_names(original, Path(rel).suffix))
        handles |= user_handles(original, Path(rel).suffix)
    for rel, original in originals.items():
        suffix = Path(rel).suffix
        result = sanitise(original, suffix, names, handles)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(result.text.encode("utf-8"))
        provenance[rel] = {**entries[rel], **facts(original, suffix), "replaced_values": result.changed,
                           "original_sha256": _sha256(original), "sha256": _sha256(result.text)}
    document = {"about": "Where each capture comes from (the INDEX.md of the capture corpus, a folder outside this "
                         "repository) and facts about the original that its sanitised copy keeps; written by "
                         "scripts/sanitise_captures.py",
                "files": provenance}
    (dest / "PROVENANCE.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    (dest / "README.md").write_text(readme(provenance), encoding="utf-8")
    return provenance


README = """\
# pixiv captures (test fixtures)

Real answers of pixiv's App API (`app-api/`) and www.pixiv.net Ajax API (`ajax/`, `web/`), published by
third parties in public GitHub repositories (listed below and, per file, in `PROVENANCE.json`). The originals
were copied from those repositories into a folder of captures kept outside this repository, with an index of
where each came from; this folder holds sanitised copies of a selection of them. The tests parse them and
compare the replica's answers with their key trees. The layout: `ajax/<pixiv path>`,
`app-api/<endpoint slug>/<source>__<variant>.json`, `web/<kind>/<source>__<variant>.json`.

**Personal texts are stand-ins.** User names and accounts, profile fields, profile and workspace texts,
captions and descriptions, comments, commission plan and request texts and novel texts were replaced by
text of the same length and script (hiragana by hiragana, kanji by kanji, latin letters by latin letters of
the same case); punctuation, spaces, emoji and markup (`<br />`, HTML tags and entities, `[newpage]`,
`[chapter:…]`, `[[rb:…>…]]`, `[[jumpuri:…>…]]`, `[pixivimage:…]`) are as they were, and so are URLs of
pixiv. Digits in texts are kept, but user names, accounts, handles (`@name`, e-mail addresses, a twitter
account quoted in a text) and URLs of other sites have their digits replaced too and keep only their shape;
a name, account or handle has the same stand-in wherever it appears. Profile fields (birth date, age,
gender, region, job …) have stand-ins of the same type and format (a valid date, a number of the same
width, a gender of the same set); empty fields, zeros and publicity flags are kept. Page titles and `alt`
texts quoting a user name quote its stand-in. Everything else (ids, numbers, dates, titles, tags, key
order, whitespace, escaping) is byte for byte the capture's. Keys replaced:

{keys}

`PROVENANCE.json` gives for every file its source repository, path, commit, licence, capture date and
fidelity (from the corpus's index), and facts about the original that the copy keeps: the hash of its key tree, the
hash of its text with every replaced value masked, the number and total length of those values, and markup
counts. `tests/test_captures.py` checks them.

## Sources and licences

| repository | licence | commit | files |
|---|---|---|---|
{sources}

The licence is the upstream repository's, as stated there ("none stated"/"none found": the repository
states none).

## Regenerating

    python scripts/sanitise_captures.py /path/to/captures

(the folder of original captures with its `INDEX.md`, not part of this repository) rewrites this folder
(the files, `PROVENANCE.json` and this README) from the originals; the output is
deterministic, so an unchanged corpus gives byte-identical files. `--files` takes another selection.
"""


def readme(provenance: dict[str, dict]) -> str:
    rows: dict[tuple[str, str, str], int] = {}
    for entry in provenance.values():
        key = (entry["repository"], entry["license"], entry["commit"])
        rows[key] = rows.get(key, 0) + 1
    sources = "\n".join(f"| {repo} | {licence} | {commit} | {count} |" for (repo, licence, commit), count
                        in sorted(rows.items()))
    keys = sorted(NAME_KEYS | ACCOUNT_KEYS | TEXT_KEYS | DERIVED_KEYS
                  | {"user.name", "novel.content", "workspace.*", "social.*.url", "meta.title", "ogp.title",
                     "twitter.title"} | {f"profile.{k}" for k in PROFILE_KEYS}
                  | {f"{o}.{k}" for o in PROFILE_OBJECTS for k in ("name",)} | {"region.region", "region.prefecture"})
    return README.format(keys=textwrap.fill(", ".join(f"`{k}`" for k in keys) + ".", width=110), sources=sources)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder of the original captures (with INDEX.md)")
    parser.add_argument("dest", type=Path, nargs="?", default=DEFAULT_DEST, help="default: tests/fixtures")
    parser.add_argument("--files", nargs="+", metavar="PATH", help="paths relative to source (default: the "
                        "captures the tests use and the folders the crawler's next endpoints need)")
    args = parser.parse_args(argv)
    files = sorted(args.files) if args.files else default_selection(args.source)
    provenance = run(args.source, args.dest, files)
    changed = sum(entry["replaced_values"] for entry in provenance.values())
    print(f"{len(provenance)} captures written to {args.dest}, {changed} personal values replaced", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
