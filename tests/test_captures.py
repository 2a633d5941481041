"""The sanitised captures in tests/fixtures: each has its provenance, and keeps what its original had but the
personal texts (key tree, the text around those values, their number and length, markup); and the
sanitiser's stand-ins keep script, length and markup."""

from __future__ import annotations

import hashlib
import importlib.util
import json
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
    assert (user["id"], user["name"], user["account"]) == (1697179, "ROUQ/ノメ", "hbfovbtpwkhv")


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
