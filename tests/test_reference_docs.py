"""The reference lists of docs/reference/ are checked against the code, in both directions: every setting, environment
variable, ``Request.meta`` key and ``pixiv/…`` stat the code uses is documented there, and every documented one is
used by the code; each entry names the modules that read or write it; documented defaults are pixivcrawl's. A
failure names the entry, and the file and line of the code that uses it. The code is scanned by
:mod:`tests.reference_scan` (ast, see its docstring). docs/architecture.md is checked too: the files and classes it
names exist, the middleware and pipeline numbers are the settings', and the links to the docs lead somewhere.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass

import pytest

from .reference_scan import (
    ALIAS_LAYERS,
    DYNAMIC,
    PACKAGE,
    ROOT,
    Scan,
    Scanner,
    Use,
    keyword_strings,
    package_constants,
    package_files,
    scan_package,
    settings_module_assignments,
    string_constants,
)

REFERENCE = ROOT / "docs" / "reference"


# -- the documents -----------------------------------------------------------------------------------------------

_ENTRY_HEADING = re.compile(r"^### `([^`]+)`\s*$")
_SECTION_HEADING = re.compile(r"^## (.+)$")
_FILE = re.compile(r"`(pixivcrawl/[\w/]+\.py)`")
_PLACEHOLDER = re.compile(r"<[^<>]*>")


@dataclass
class Entry:
    """One documented name: its section (the ``##`` heading above it), its text and where it is documented."""

    name: str
    section: str
    text: str
    where: str

    def files(self, bullet: str = "") -> set[str]:
        """The ``pixivcrawl/….py`` files this entry names (only in its bullet starting with ``bullet``, if given:
        ``- Set by: …`` and the indented lines that continue it)."""
        if not bullet:
            return set(_FILE.findall(self.text))
        bullets: list[str] = []
        for line in self.text.splitlines():
            if line.startswith("- "):
                bullets.append(line[2:])
            elif line.startswith("  ") and bullets:
                bullets[-1] += "\n" + line
        return set(_FILE.findall("\n".join(b for b in bullets if b.startswith(bullet))))


def heading_entries(name: str) -> dict[str, Entry]:
    """The ``### `name``` entries of docs/reference/``name``, by name (a name documented twice fails)."""
    path = REFERENCE / name
    entries: dict[str, Entry] = {}
    section, current, body = "", None, []
    lines = path.read_text(encoding="utf-8").splitlines()

    def close() -> None:
        if current is not None:
            current.text = "\n".join(body)

    for number, line in enumerate(lines, 1):
        if (match := _SECTION_HEADING.match(line)) or line.startswith("### "):
            close()
            current, body = None, []
            if match:
                section = match.group(1)
            elif entry := _ENTRY_HEADING.match(line):
                assert entry.group(1) not in entries, f"{path.name}:{number}: {entry.group(1)} is documented twice"
                where = f"docs/reference/{name}:{number}"
                current = entries[entry.group(1)] = Entry(entry.group(1), section, "", where)
        elif current is not None:
            body.append(line)
    close()
    return entries


def table_rows(name: str) -> list[tuple[str, list[str], str, str]]:
    """Every row of the tables of docs/reference/``name`` whose first cell names something in backticks:
    (section, cells, the section's text outside its tables, where)."""
    path = REFERENCE / name
    rows, section, prose = [], "", defaultdict(list)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if match := _SECTION_HEADING.match(line):
            section = match.group(1)
            prose[section].append(line)
        elif line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if cells and cells[0].startswith("`"):
                rows.append((section, cells, number))
        else:
            prose[section].append(line)
    return [(section, cells, "\n".join(prose[section]), f"docs/reference/{name}:{number}")
            for section, cells, number in rows]


def _first_code(cell: str) -> str:
    match = re.search(r"`([^`]+)`", cell)
    assert match, f"no `name` in {cell!r}"
    return match.group(1)


def _first_use(uses: list[Use]) -> str:
    """Where the first uses are, a component's before the alias layer's."""
    ranked = sorted({(u.module in ALIAS_LAYERS, u.path, u.line) for u in uses})
    return ", ".join(f"{path}:{line}" for _alias, path, line in ranked[:3])


def _named_files(uses: list[Use], how: set[str] | None = None, skip: set[str] = frozenset()) -> set[str]:
    return {u.path for u in uses if (how is None or u.how in how) and u.module not in skip}


# -- settings ----------------------------------------------------------------------------------------------------


def deprecated_table() -> dict[str, tuple[str, str]]:
    """The rows of settings.md's "Deprecated names" section: old name -> (the cell of the names to use, where)."""
    found = {}
    for section, cells, _prose, where in table_rows("settings.md"):
        if section.startswith("Deprecated"):
            found[_first_code(cells[0])] = (cells[1], where)
    return found


def test_every_setting_the_code_uses_is_documented():
    from pixivcrawl.deprecations import API_DELAY, RENAMED

    entries, deprecated = heading_entries("settings.md"), deprecated_table()
    old_names = {*RENAMED, API_DELAY}
    missing = [f"{name} (used at {_first_use(uses)})" for name, uses in sorted(scan_package().of("setting").items())
               if name not in (deprecated if name in old_names else entries)]
    missing += [f"{name} (assigned at pixivcrawl/settings.py:{line})"
                for name, (_value, line) in sorted(settings_module_assignments().items()) if name not in entries]
    assert not missing, "settings used but not documented in docs/reference/settings.md:\n  " + "\n  ".join(missing)


def test_every_environment_variable_the_code_reads_is_documented():
    entries = heading_entries("settings.md")
    missing, unsaid = [], []
    for name, uses in sorted(scan_package().of("env").items()):
        entry = entries.get(name)
        if entry is None:
            missing.append(f"{name} (read at {_first_use(uses)})")
        elif "environment" not in entry.text.lower() and "environment" not in entry.section.lower():
            unsaid.append(f"{name} ({entry.where}; read from the environment at {_first_use(uses)})")
    assert not missing, "environment variables read but not documented in settings.md:\n  " + "\n  ".join(missing)
    assert not unsaid, "settings.md does not say these are read from the environment:\n  " + "\n  ".join(unsaid)


def test_every_documented_setting_is_used_by_the_code():
    scan = scan_package()
    used = set(scan.of("setting")) | set(scan.of("env")) | set(settings_module_assignments())
    unused = [f"{entry.name} ({entry.where})" for entry in heading_entries("settings.md").values()
              if entry.name not in used]
    assert not unused, "documented in settings.md, but the code neither reads nor sets:\n  " + "\n  ".join(unused)


def test_each_setting_names_the_modules_that_read_it():
    scan, entries = scan_package(), heading_entries("settings.md")
    wrong = []
    for kind in ("setting", "env"):
        for name, uses in sorted(scan.of(kind).items()):
            entry = entries.get(name)
            if entry is None:
                continue  # the test of its own reports it
            wrong.extend(f"{name} ({entry.where}) does not name `{path}`, which uses it at "
                         f"{_first_use([u for u in uses if u.path == path])}"
                         for path in sorted(_named_files(uses, skip=ALIAS_LAYERS) - entry.files()))
    assert not wrong, "\n".join(wrong)


def _settings_default(value: ast.expr) -> object:
    """The default pixivcrawl/settings.py gives a setting: its literal, or the fallback of ``os.environ.get``; a
    module constant (``_db.DEFAULT_DATABASE_URL``) is looked up. ValueError when it is an expression."""
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "os.environ.get" and len(value.args) == 2:
        value = value.args[1]
    if isinstance(value, ast.Name | ast.Attribute):
        found = package_constants().get(value.id if isinstance(value, ast.Name) else value.attr, set())
        if len(found) == 1:
            return next(iter(found))
    return ast.literal_eval(value)


def test_documented_defaults_are_those_of_pixivcrawl_settings():
    entries, wrong = heading_entries("settings.md"), []
    for name, (value, line) in sorted(settings_module_assignments().items()):
        entry = entries.get(name)
        if entry is None:
            continue
        default = next((ln for ln in entry.text.splitlines() if ln.startswith("Default")), None)
        if default is None:
            wrong.append(f"{name} ({entry.where}) has no 'Default …' line")
            continue
        try:
            expected = _settings_default(value)
        except ValueError:
            continue  # not a literal (an expression of other settings): the text says it in words
        if isinstance(expected, dict):
            continue  # a table of components: the entry lists them in words
        try:
            documented = ast.literal_eval(_first_code(default))
        except (ValueError, SyntaxError, AssertionError):
            wrong.append(f"{name} ({entry.where}): the first `…` of its Default line is not a Python literal")
            continue
        if documented != expected or type(documented) is not type(expected):
            wrong.append(f"{name} ({entry.where}) says the default is {documented!r}; pixivcrawl/settings.py:{line} "
                         f"gives {expected!r}")
    assert not wrong, "\n".join(wrong)


def test_fallbacks_in_the_code_agree_with_pixivcrawl_settings():
    """A component's fallback (``getint("PIXIV_INCREMENTAL_STOP", 30)``) is what it uses outside pixivcrawl's project
    settings (a project of its own that enables the component): it must be the documented default. (Scrapy's own
    settings always have Scrapy's default, so their fallbacks never apply.)"""
    defaults = {}
    for name, (value, _line) in settings_module_assignments().items():
        if not name.startswith("PIXIV_") and name != "DATABASE_URL":
            continue
        try:
            defaults[name] = _settings_default(value)
        except ValueError:
            continue
    wrong = [f"{use.where}: {use.name} falls back to {use.default}, pixivcrawl/settings.py gives "
             f"{defaults[use.name]!r}"
             for uses in scan_package().of("setting").values() for use in uses
             if use.default is not None and use.name in defaults
             and ast.literal_eval(use.default) != defaults[use.name]]
    assert not wrong, "\n".join(wrong)


def test_the_deprecated_names_are_those_of_pixivcrawl_deprecations():
    from pixivcrawl.deprecations import API_DELAY, API_RATES, RENAMED

    table = deprecated_table()
    expected = {old: [new] for old, new in RENAMED.items()} | {API_DELAY: list(API_RATES)}
    assert sorted(table) == sorted(expected), "settings.md's deprecated names differ from pixivcrawl.deprecations"
    wrong = [f"{old} ({where}) must say to use {', '.join(expected[old])}" for old, (cell, where) in table.items()
             if re.findall(r"`([A-Z][A-Z0-9_]+)`", cell) != expected[old]]
    assert not wrong, "\n".join(wrong)


# -- Request.meta keys -------------------------------------------------------------------------------------------


def test_every_meta_key_the_code_uses_is_documented_and_back():
    keys, entries = scan_package().of("meta"), heading_entries("meta.md")
    missing = [f"{key} (used at {_first_use(uses)})" for key, uses in sorted(keys.items()) if key not in entries]
    assert not missing, "Request.meta keys used but not documented in docs/reference/meta.md:\n  " + "\n  ".join(
        missing)
    unused = [f"{entry.name} ({entry.where})" for entry in entries.values() if entry.name not in keys]
    assert not unused, "documented in meta.md, but no code reads or sets:\n  " + "\n  ".join(unused)


def test_each_meta_key_names_who_sets_and_who_reads_it():
    entries, wrong = heading_entries("meta.md"), []
    for key, uses in sorted(scan_package().of("meta").items()):
        entry = entries.get(key)
        if entry is None:
            continue
        for line, how in (("Set by", {"write"}), ("Read by", {"read"})):
            wrong.extend(f"{key} ({entry.where}): its '{line}' line does not name `{path}` "
                         f"({_first_use([u for u in uses if u.path == path and u.how in how])})"
                         for path in sorted(_named_files(uses, how) - entry.files(line)))
    assert not wrong, "\n".join(wrong)


def test_meta_keys_are_filed_as_public_internal_or_scrapy():
    wrong = []
    for entry in heading_entries("meta.md").values():
        section = entry.section.lower()
        kind = "internal" if entry.name.startswith("_pixiv_") else "public" if entry.name.startswith(
            "pixiv_") else "scrapy"
        if kind not in section:
            wrong.append(f"{entry.name} ({entry.where}) belongs in a section about {kind} keys, not '{entry.section}'")
    assert not wrong, "\n".join(wrong)


# -- stats -------------------------------------------------------------------------------------------------------


def stats_rows() -> dict[str, tuple[str, str]]:
    """The documented stats, patterns normalised (``<…>`` → ``<>``): key -> (the row and its section's text,
    where)."""
    found = {}
    for _section, cells, prose, where in table_rows("stats.md"):
        key = _PLACEHOLDER.sub("<>", _first_code(cells[0]))
        assert key.startswith("pixiv/"), f"{where}: {key} is not a pixiv/… stat"
        assert key not in found, f"{where}: {key} is documented twice"
        found[key] = (" | ".join(cells) + "\n" + prose, where)
    return found


def test_every_stat_the_code_writes_is_documented_and_back():
    stats, documented = scan_package().of("stat"), stats_rows()
    written = {key: [u for u in uses if u.how == "write"] for key, uses in stats.items()}
    written = {key: uses for key, uses in written.items() if uses}
    missing = [f"{key} (written at {_first_use(uses)})" for key, uses in sorted(written.items())
               if key not in documented]
    assert not missing, ("stats written but not documented in docs/reference/stats.md (a pattern's placeholders may "
                         "have any name):\n  " + "\n  ".join(missing))
    unused = [f"{key} ({where})" for key, (_text, where) in documented.items() if key not in written]
    assert not unused, "documented in stats.md, but no code writes:\n  " + "\n  ".join(unused)


def _matches(pattern: str, key: str) -> bool:
    regex = "".join("[^/]+" if part == "<>" else re.escape(part) for part in re.split(r"(<>)", pattern))
    return re.fullmatch(regex, key) is not None


def test_every_stat_the_code_reads_is_documented():
    documented = stats_rows()
    unknown = [f"{key} (at {_first_use(uses)})" for key, uses in sorted(scan_package().of("stat").items())
               if key not in documented and not any(_matches(p, key) for p in documented if "<>" in p)]
    assert not unknown, "stats read that stats.md does not document:\n  " + "\n  ".join(unknown)


def test_each_stat_names_the_modules_that_write_it():
    documented, wrong = stats_rows(), []
    for key, uses in sorted(scan_package().of("stat").items()):
        if key not in documented:
            continue
        text, where = documented[key]
        wrong.extend(f"{key} ({where}): neither its row nor its section names `{path}`, which writes it at "
                     f"{_first_use([u for u in uses if u.path == path and u.how == 'write'])}"
                     for path in sorted(_named_files(uses, {"write"}) - set(_FILE.findall(text))))
    assert not wrong, "\n".join(wrong)


# -- the scanner itself ------------------------------------------------------------------------------------------


def test_the_scanner_resolves_every_use():
    scan = scan_package()
    assert not scan.unresolved, ("uses whose name the scanner cannot tell; give it a constant, or list the function "
                                 "in DYNAMIC:\n  " + "\n  ".join(scan.unresolved))
    unneeded = sorted(set(DYNAMIC) - scan.dynamic_used)
    assert not unneeded, f"DYNAMIC entries no code needs any more: {unneeded}"


@pytest.mark.parametrize(("source", "kind", "expected"), [
    ('s = crawler.settings\nx = s.getint("PIXIV_A", 3)', "setting", ["PIXIV_A"]),
    ('x = self.crawler.settings["PIXIV_B"]', "setting", ["PIXIV_B"]),
    ('for name in ("ITEM_PIPELINES", "EXTENSIONS"):\n    settings.getdict(name)', "setting",
     ["ITEM_PIPELINES", "EXTENSIONS"]),
    ('x = os.environ.get("PIXIV_C") or os.getenv("PIXIV_D")', "env", ["PIXIV_C", "PIXIV_D"]),
    ('KEY = "pixiv_k"\nrequest.meta[KEY] = 1\nrequest.meta.pop("_pixiv_p", None)\n"pixiv_q" in r.meta', "meta",
     ["pixiv_k", "_pixiv_p", "pixiv_q"]),
    ('Request(url, meta={"pixiv_m": 1, **other})', "meta", ["pixiv_m"]),
    ('stats.inc_value(f"pixiv/errors/{cause}")\nstats.set_value("pixiv/a" if x else "pixiv/b", 1)', "stat",
     ["pixiv/errors/<>", "pixiv/a", "pixiv/b"]),
])
def test_the_scanner_finds(source, kind, expected):
    path = PACKAGE / "spiders" / "example.py"  # never written: the scanner is given the tree
    tree = ast.parse(source)
    scan = Scan()
    Scanner(scan, path, string_constants({path: tree}), keyword_strings({path: tree})).run(tree)
    assert [u.name for u in scan.uses if u.kind == kind and u.how != "mention"] == expected
    assert not scan.unresolved


def test_a_spider_count_is_a_pixiv_stat():
    path = PACKAGE / "spiders" / "example.py"
    tree = ast.parse('class S:\n    def f(self):\n        self.count("works/hidden")\n        self.count(f"x/{y}", 2)')
    scan = Scan()
    Scanner(scan, path, {}, {}).run(tree)
    assert [u.name for u in scan.uses] == ["pixiv/works/hidden", "pixiv/x/<>"]


# -- docs/architecture.md and the links to the docs ---------------------------------------------------------------

_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_PATH_TOKEN = re.compile(r"^[\w./*-]+(\.(py|md|json)|/)$")
_CLASS_TOKEN = re.compile(r"^[A-Z][a-z0-9]+[A-Z]\w*$")
#: classes architecture.md names that are Scrapy's or aiohttp's, not pixivcrawl's
THIRD_PARTY_CLASSES = {"UserAgentMiddleware", "RetryMiddleware", "FilesPipeline", "UrlDispatcher", "HttpError",
                       "NotConfigured"}


def _exists(token: str) -> bool:
    """Whether a path written in the docs names something in the repository: from its root, or as a path inside
    it (``endpoints/catalogue.py``, ``server.py`` in the replica's section); ``*`` globs allowed."""
    token = token.rstrip("/")
    for base in (ROOT, PACKAGE, ROOT / "docs"):
        if any(base.glob(token)):
            return True
    return any(any(folder.glob(f"**/{token}")) for folder in (PACKAGE, ROOT / "tests", ROOT / "scripts"))


def _classes() -> set[str]:
    names = set()
    for path in [*package_files(), *(PACKAGE / "replica").rglob("*.py")]:
        names |= {n.name for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.ClassDef)}
    return names


def test_architecture_names_only_files_and_classes_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    classes, wrong = _classes(), []
    for number, line in enumerate(text.splitlines(), 1):
        for token in _CODE_SPAN.findall(line):
            if "<" in token or " " in token:
                continue
            if _PATH_TOKEN.match(token) and not _exists(token):
                wrong.append(f"docs/architecture.md:{number}: no file {token}")
            elif _CLASS_TOKEN.match(token) and token not in classes | THIRD_PARTY_CLASSES:
                wrong.append(f"docs/architecture.md:{number}: no class {token} in pixivcrawl")
    assert not wrong, "\n".join(wrong)


def test_architecture_gives_the_middleware_and_pipeline_numbers_of_the_settings():
    from pixivcrawl import settings

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    wrong = []
    for table in (settings.DOWNLOADER_MIDDLEWARES, settings.ITEM_PIPELINES):
        for path, number in table.items():
            name = path.rsplit(".", 1)[1]
            module = path.removeprefix("pixivcrawl.").rsplit(".", 1)[0].replace(".", "/") + ".py"
            if not any(re.search(rf"\b{number}\b", line) and (f"`{name}`" in line or f"`{module}`" in line)
                       for line in text.splitlines()):
                wrong.append(f"{name} ({module}) at {number}: architecture.md does not say so on one line")
    assert not wrong, "\n".join(wrong)


def test_links_to_the_docs_lead_somewhere():
    wrong = []
    for page in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8"))
        wrong.extend(f"{page.relative_to(ROOT)}: a link to {target}, which does not exist" for target in targets
                     if "://" not in target and not (page.parent / target).exists())
    assert not wrong, "\n".join(wrong)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    package = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    for doc in ("docs/architecture.md", "docs/reference/settings.md", "docs/reference/meta.md",
                "docs/reference/stats.md"):
        assert f"]({doc})" in readme, f"README.md does not link {doc}"
        assert doc in package, f"pixivcrawl/__init__.py's docstring does not name {doc}"
