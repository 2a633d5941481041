"""The sanitised captures in tests/fixtures: each has its provenance, and keeps what its original had but the
personal texts (key tree, the text around those values, their number and length, markup); and the
sanitiser's stand-ins keep script, length and markup."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from .captures import FIXTURES, load_fixture

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "sanitise_captures.py"
NOT_CAPTURES = frozenset({"README.md", "PROVENANCE.json"})
SOURCE_FIELDS = ("repository", "source_path", "commit", "license", "captured", "upstream_commit_date", "fidelity")


def _load_sanitiser():
    spec = importlib.util.spec_from_file_location("sanitise_captures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


sanitiser = _load_sanitiser()
PROVENANCE = json.loads((FIXTURES / "PROVENANCE.json").read_text(encoding="utf-8"))["files"]
CAPTURES = sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*")
                  if p.is_file() and p.relative_to(FIXTURES).as_posix() not in NOT_CAPTURES)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_every_capture_has_provenance_and_every_entry_a_file():
    assert len(CAPTURES) > 50
    assert sorted(PROVENANCE) == CAPTURES


@pytest.mark.parametrize("relative", CAPTURES)
def test_provenance_names_source_licence_and_capture_date(relative):
    entry = PROVENANCE[relative]
    assert all(isinstance(entry[field], str) and entry[field] for field in SOURCE_FIELDS), entry
    assert "/" in entry["repository"] and len(entry["commit"]) >= 7


@pytest.mark.parametrize("relative", CAPTURES)
def test_sanitised_copy_keeps_everything_but_the_personal_texts(relative):
    entry, suffix = PROVENANCE[relative], Path(relative).suffix
    text = (FIXTURES / relative).read_text(encoding="utf-8")
    assert sanitiser.parse_mode(text, suffix) == entry["parse"]  # parses as the original did
    assert sanitiser.key_tree_sha256(text, suffix) == entry["key_tree_sha256"]
    masked, count, chars = sanitiser.skeleton(text, suffix)
    assert (_sha256(masked), count, chars) == (entry["skeleton_sha256"], entry["personal_values"],
                                               entry["personal_chars"])
    assert sanitiser.markup_counts(text, suffix) == entry["markup"]
    assert _sha256(text) == entry["sha256"]  # and the file is the one the script wrote
    assert entry["sha256"] != entry["original_sha256"] or entry["replaced_values"] == 0


def test_the_personal_values_were_replaced():
    assert sum(e["replaced_values"] for e in PROVENANCE.values()) > 1000
    user = load_fixture("app-api/v1_illust_detail/pixivpy__126839540.json")["illust"]["user"]
    assert (user["id"], user["name"], user["account"]) == (1697179, "ZUCO/バロ", "zfqligqeirux")


def test_a_stand_in_keeps_script_length_and_markup():
    original = ("第一章　はじまり[newpage][chapter:カタカナ]Hello 世界<br />[[rb:漢字>かんじ]]"
                "[[jumpuri:リンク>https://twitter.com/some_user]]&amp;[pixivimage:12345-2] 😀 ２０２４")
    stand_in = sanitiser.stand_in(original, "text", "text", {})
    assert stand_in != original and len(stand_in) == len(original)
    assert stand_in == sanitiser.stand_in(original, "text", "text", {})  # deterministic
    for marker in ("[newpage]", "[chapter:", "<br />", "[[rb:", "[[jumpuri:", "&amp;", "[pixivimage:12345-2]",
                   "https://twitter.com/", " 😀 ２０２４", "]]"):
        assert stand_in.count(marker) == original.count(marker), marker
    for before, after in zip(original, stand_in, strict=True):
        if before.isascii() and before.isalpha():
            assert after.isascii() and after.isalpha() and after.isupper() == before.isupper()
        elif "\u3041" <= before <= "\u3096":
            assert "\u3041" <= after <= "\u3096"
        elif "\u30a1" <= before <= "\u30fa":
            assert "\u30a1" <= after <= "\u30fa"
        elif "\u4e00" <= before <= "\u9fff":
            assert "\u4e00" <= after <= "\u9fff"
        else:
            assert after == before


def test_sanitising_rewrites_only_personal_tokens_in_their_escaping_style():
    original = ('{"id": 7, "user": {"name": "\\u30b7\\u30f3 abc", "account": "abc"},\n'
                '  "caption": "See <a href=\\"https:\\/\\/example.com\\/x\\">x<\\/a>", "title": "\\u30b7\\u30f3",'
                ' "tags": ["t",],}')
    result = sanitiser.sanitise(original, ".json")
    assert (result.values, result.changed) == (3, 3)
    assert sanitiser.skeleton(result.text, ".json")[0] == sanitiser.skeleton(original, ".json")[0]
    data, before = sanitiser.load_lenient(result.text), sanitiser.load_lenient(original)
    assert data["title"] == before["title"] and data["tags"] == ["t"] and data["id"] == 7
    assert data["user"]["name"] != before["user"]["name"] and len(data["user"]["name"]) == 6
    assert '\\"https:\\/\\/' in result.text and "<\\/a>" in result.text  # \/ kept
    assert result.text.isascii()  # non-ASCII still written as \uXXXX


#: SHA-256 digests of personal values known to be in the originals (birth dates, a birthday, an age, a job,
#: a region, user names, accounts and twitter handles, one of them a name made of digits only); kept as
#: digests so that the test does not itself repeat them
KNOWN_ORIGINAL_DIGESTS = frozenset({
    "88dbadf1f28f3a5393c09c46bdfd77223672119946a870c1ec7795773da9b1b1",
    "d8a9fd5a0c8b78fd5e2472746b520842ebff42c1de452f2b11b5fd2e56544822",
    "612df8bb489215c0470de40c620acaa44e8ea18b0070e37c6ee912d3642c09a8",
    "d60c9b20a1c4d22afc8622e1e336ef84ba7e6a84445f930357071e44dae511ff",
    "c9908de5ba65d02637c03db797b02d43604f5cb11757b4418e0ee97149ef59ad",
    "02b443def2f06d70ecac678d961d86f5b64d9d306940d750726de4e736e90942",
    "9c1bd2b10ca24ec434f83c89b979da634a69106d33a9d2d7964b5f9e7ef23581",
    "b9841edef114291399f2be9ae5919a7ee69be9a146edf3ed243781e30def43d4",
    "11ffe23dc3e935b3080250ac2890ccc5f54c744850af60dfe1d28f5d287118ba",
    "2f5bc501586db304ab85b68835153a27588fd60d0ee1e454667a61ff6b3eb739",
    "c4eb333119c73fff53bfb03444a9074f7c350d475b353a7a92d7b174b148ef7a",
    "838f461c2fa673cec73e6eecdafa88b127802d6cb0a61c53175197a122cb645a",
})
WORD_RUN = re.compile(r"[\w.@-]+")


def _string_values(relative: str) -> list[str]:
    text, suffix = (FIXTURES / relative).read_text(encoding="utf-8"), Path(relative).suffix
    return [sanitiser.DECODER.decode(token.raw(text)) for _, _, tokens in sanitiser.documents(text, suffix)
            for token in tokens if token.string]


@pytest.mark.parametrize("relative", CAPTURES)
def test_no_known_original_value_is_left(relative):
    leaks = []
    for value in _string_values(relative):
        pieces = {value, *WORD_RUN.findall(value), *(m.strip(".@-") for m in WORD_RUN.findall(value))}
        leaks += [value for piece in pieces if _sha256(piece) in KNOWN_ORIGINAL_DIGESTS]
    assert not leaks, leaks


def test_profile_fields_keep_type_and_format():
    detail = load_fixture("app-api/v1_user_detail/pixivutil2__1039353.json")
    profile = detail["profile"]
    assert re.fullmatch(r"(19|20)\d\d-\d\d-\d\d", profile["birth"])
    assert profile["birth_day"] == profile["birth"][5:] and profile["birth_year"] == int(profile["birth"][:4])
    assert profile["gender"] in ("female", "male")
    assert detail["profile_publicity"]["birth_year"] == "public"
    assert profile["twitter_url"] == f"https://twitter.com/{profile['twitter_account']}"  # one stand-in
    body = load_fixture("ajax/ajax/user/9153585_full_1.json")["body"]
    assert re.fullmatch(r"(1[0-2])月(1\d|2[0-8])日", body["birthDay"]["name"])
    assert re.fullmatch(r"\d\d歳", body["age"]["name"]) and body["gender"]["name"] in ("女性", "男性")
    handle = body["social"]["twitter"]["url"].rsplit("/", 1)[1]
    assert handle in body["commentHtml"].replace(body["social"]["twitter"]["url"], "")  # the quoted handle too


def test_digits_of_names_accounts_and_foreign_urls_are_replaced_pixiv_urls_kept():
    assert sanitiser.names_stand_in("360").isdigit() and sanitiser.names_stand_in("360") != "360"
    assert len(sanitiser.names_stand_in("360")) == 3
    assert sanitiser.names_stand_in("abc_12") == sanitiser.stand_in("abc_12", "account", "twitter_account", {})
    url = "https://ec.toranoana.shop/tora/ec/item/040030945233/"
    new = sanitiser.scramble_url(url)
    assert len(new) == len(url) and "040030945233" not in new and ".toranoana.shop/" in new
    pixiv = "https://i.pximg.net/img-original/img/2020/01/01/00/00/00/12345_p0.png"
    assert sanitiser.scramble_url(pixiv) == pixiv
