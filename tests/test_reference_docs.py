"""The reference lists of docs/reference/ are checked against the code, in both directions: every setting, environment
variable, ``Request.meta`` key and ``pixiv/…`` stat the code uses is documented there, and every documented one is
used by the code. A failure names the entry, and the file and line of the code that uses it.

The code is read with :mod:`ast`, never imported for the scan (so a helper that builds a key or a setting name at run
time is found, not missed):

- settings: ``<…settings>.get*("X")``, ``getpriority``, ``set``/``setdefault``, ``settings["X"]``, ``"X" in settings``
  (``settings`` being a name or attribute called so, or a local alias of one such as ``s = crawler.settings``);
  environment variables: ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``; and every setting
  ``pixivcrawl/settings.py`` assigns;
- ``Request.meta`` keys: ``….meta["k"]`` (read, written, deleted), ``….meta.get|pop|setdefault("k")``,
  ``"k" in ….meta``, and the keys of a dict given as ``meta=`` or assigned to a name ``meta``;
- stats: the first argument of ``inc_value``/``set_value``/``max_value``/``min_value``, a spider's
  ``self.count("x")`` (which writes ``pixiv/x``), and any other string starting with ``pixiv/`` (a stat read).
  An f-string is a pattern: ``f"pixiv/errors/{key}"`` is ``pixiv/errors/<…>``, matched by a documented pattern of
  the same shape whatever its placeholders' names.

A key given as a name is resolved through the package's module-level string constants (``ENDPOINT_META``), a loop
over a literal tuple (``for name in ("ITEM_PIPELINES", …)``) or a keyword argument of the same name elsewhere
(``api.concurrency`` ← ``Api(concurrency="PIXIV_API_CONCURRENCY")``). What cannot be resolved is listed in
:data:`DYNAMIC` with the names it stands for, or the test fails naming it.

The replica (``pixivcrawl/replica/``) is not scanned: it is a separate program with its own knobs (README, "The pixiv
replica"), and reads no Scrapy setting, meta key or stat.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pixivcrawl"
REFERENCE = ROOT / "docs" / "reference"
SKIPPED = (PACKAGE / "replica", PACKAGE / "db" / "migrations")

_SETTING_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SETTINGS_METHODS = {"get", "getbool", "getint", "getfloat", "getlist", "getdict", "getdictorlist", "getwithbase",
                     "getpriority", "set", "setdefault", "delete", "__getitem__"}
_META_METHODS = {"get", "pop", "setdefault"}
_STATS_METHODS = {"inc_value", "set_value", "max_value", "min_value", "get_value"}
_STATS_WRITES = {"inc_value", "set_value", "max_value", "min_value"}


def _deprecated_names() -> list[str]:
    from pixivcrawl.deprecations import API_DELAY, API_RATES, RENAMED

    return [*RENAMED, *RENAMED.values(), API_DELAY, *API_RATES]


def _checked_settings() -> list[str]:
    from pixivcrawl.addon import _checks

    return list(_checks())


#: uses the scanner cannot resolve by itself: "<module>:<function>" -> what the names are, and a function giving them
DYNAMIC: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "pixivcrawl.addon:setting_problems": ("every setting the add-on checks (_checks)", _checked_settings),
    "pixivcrawl.deprecations:apply_deprecations": ("the deprecated names and their new ones", _deprecated_names),
    "pixivcrawl.deprecations:_apply_api_delay": ("the rates PIXIV_API_DELAY sets", _deprecated_names),
    "pixivcrawl.deprecations:_given": ("a new name of a deprecated one", _deprecated_names),
}
#: modules that use settings on behalf of another component, and need not be named in each entry's "Read by"
ALIAS_LAYERS = {"pixivcrawl.deprecations"}


# -- the scanner -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One use of a name in the code: ``kind`` (setting, env, meta, stat), the ``name`` (a stat pattern has
    ``<>`` placeholders), ``how`` (read, write) and where."""

    kind: str
    name: str
    how: str
    module: str
    path: str
    line: int
    #: a setting read with a fallback (``getint("X", 30)``): the fallback, as a Python literal's text
    default: str | None = None

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Scan:
    uses: list[Use] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    dynamic_used: set[str] = field(default_factory=set)

    def of(self, kind: str) -> dict[str, list[Use]]:
        found: dict[str, list[Use]] = defaultdict(list)
        for use in self.uses:
            if use.kind == kind:
                found[use.name].append(use)
        return found


def package_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if not any(path.is_relative_to(skipped) for skipped in SKIPPED):
            yield path


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _string_constants(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """Module-level ``NAME = "text"`` of the package, by name (a name bound to several texts is ambiguous)."""
    constants: dict[str, set[str]] = defaultdict(set)
    for tree in trees.values():
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AnnAssign) else [])
            value = getattr(node, "value", None)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for target in targets:
                    if isinstance(target, ast.Name):
                        constants[target.id].add(value.value)
    return constants


def _keyword_strings(trees: dict[Path, ast.Module]) -> dict[str, set[str]]:
    """String values given to each keyword argument in the package (``concurrency="PIXIV_API_CONCURRENCY"``)."""
    found: dict[str, set[str]] = defaultdict(set)
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                        found[keyword.arg].add(keyword.value.value)
    return found


class _Scanner(ast.NodeVisitor):
    """Walks one module, recording :class:`Use` entries in ``scan``."""

    def __init__(self, scan: Scan, path: Path, constants: dict[str, set[str]], keywords: dict[str, set[str]]):
        self.scan = scan
        self.path = path
        self.rel = str(path.relative_to(ROOT))
        self.module = module_name(path)
        self.constants = constants
        self.keywords = keywords
        self.functions: list[ast.AST] = []
        self.loops: list[ast.For] = []
        self.settings_aliases = {"settings"}
        self.docstrings: set[int] = set()
        self.in_spider = path.is_relative_to(PACKAGE / "spiders")

    # -- bookkeeping ---------------------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                    self.docstrings.add(id(first.value))
            if isinstance(node, ast.Assign) and _is_settings(node.value, {"settings"}):
                self.settings_aliases |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        self.visit(tree)

    def _function(self) -> str:
        return getattr(self.functions[-1], "name", "") if self.functions else ""

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.functions.append(node)
        self.generic_visit(node)
        self.functions.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_For(self, node: ast.For) -> None:
        self.loops.append(node)
        self.generic_visit(node)
        self.loops.pop()

    def add(self, kind: str, names: list[str] | None, how: str, node: ast.AST, what: str = "",
            default: str | None = None) -> None:
        if names is None:
            key = f"{self.module}:{self._function()}"
            if key in DYNAMIC:
                self.scan.dynamic_used.add(key)
                names = [n for n in DYNAMIC[key][1]() if kind != "setting" or _SETTING_NAME.match(n)]
            else:
                self.scan.unresolved.append(f"{self.rel}:{node.lineno}: {kind} {what or ast.unparse(node)}")
                return
        for name in names:
            self.scan.uses.append(Use(kind, name, how, self.module, self.rel, node.lineno, default))

    # -- resolving a name ----------------------------------------------------------------------------------------

    def strings(self, node: ast.AST) -> list[str] | None:
        """The texts ``node`` stands for, or None when they cannot be told."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            body, orelse = self.strings(node.body), self.strings(node.orelse)
            return None if body is None or orelse is None else body + orelse
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if isinstance(node, ast.Name):
                looped = self._loop_values(name)
                if looped is not None:
                    return looped
            values = self.constants.get(name)
            if values and len(values) == 1:
                return sorted(values)
            if isinstance(node, ast.Attribute) and self.keywords.get(name):
                return sorted(self.keywords[name])
        return None

    def _loop_values(self, name: str) -> list[str] | None:
        """The setting-like texts of the literal tuple an enclosing ``for`` over ``name`` walks."""
        for loop in reversed(self.loops):
            if name in {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}:
                if not isinstance(loop.iter, ast.Tuple | ast.List):
                    return None
                return [n.value for n in ast.walk(loop.iter) if isinstance(n, ast.Constant)
                        and isinstance(n.value, str) and _SETTING_NAME.match(n.value)]
        return None

    def pattern(self, node: ast.AST) -> list[str] | None:
        """A stat key: its texts, or the pattern of an f-string (``{…}`` becomes ``<>``)."""
        if isinstance(node, ast.JoinedStr):
            return ["".join(v.value if isinstance(v, ast.Constant) else "<>" for v in node.values)]
        return self.strings(node)

    # -- the uses ------------------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self._settings_call(node, func)
            self._env_call(node, func)
            self._meta_call(node, func)
            self._stats_call(node, func)
        for keyword in node.keywords:
            if keyword.arg == "meta" and isinstance(keyword.value, ast.Dict):
                self._meta_dict(keyword.value)
        self.generic_visit(node)

    def _settings_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _SETTINGS_METHODS and node.args and _is_settings(func.value, self.settings_aliases):
            how = "write" if func.attr in ("set", "setdefault", "delete") else "read"
            default = None
            if how == "read" and len(node.args) > 1:
                try:
                    default = repr(ast.literal_eval(node.args[1]))
                except ValueError:  # a name or an expression: not a fallback to compare
                    default = None
            self.add("setting", self.strings(node.args[0]), how, node, default=default)

    def _env_call(self, node: ast.Call, func: ast.Attribute) -> None:
        source = ast.unparse(func)
        if source in ("os.environ.get", "os.getenv") and node.args:
            self.add("env", self.strings(node.args[0]), "read", node)

    def _meta_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _META_METHODS and node.args and _is_meta(func.value):
            how = "write" if func.attr == "setdefault" else "read"
            self.add("meta", self.strings(node.args[0]), how, node)

    def _stats_call(self, node: ast.Call, func: ast.Attribute) -> None:
        if func.attr in _STATS_METHODS and node.args:
            keys = self.pattern(node.args[0])
            if keys is None or any(k.startswith("pixiv/") for k in keys):
                self.add("stat", keys, "write" if func.attr in _STATS_WRITES else "read", node)
        elif (func.attr == "count" and self.in_spider and isinstance(func.value, ast.Name)
              and func.value.id == "self" and node.args):
            keys = self.pattern(node.args[0])
            self.add("stat", None if keys is None else [f"pixiv/{k}" for k in keys], "write", node)

    def _meta_dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if key is not None:  # None: a ``**other`` merged in
                self.add("meta", self.strings(key), "write", key)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Dict) and any(isinstance(t, ast.Name) and t.id == "meta" for t in node.targets):
            self._meta_dict(node.value)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        how = "read" if isinstance(node.ctx, ast.Load) else "write"
        if _is_settings(node.value, self.settings_aliases):
            self.add("setting", self.strings(node.slice), how, node)
        elif ast.unparse(node.value) == "os.environ":
            self.add("env", self.strings(node.slice), how, node)
        elif _is_meta(node.value):
            self.add("meta", self.strings(node.slice), how, node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                if _is_settings(right, self.settings_aliases):
                    self.add("setting", self.strings(node.left), "read", node)
                elif ast.unparse(right) == "os.environ":
                    self.add("env", self.strings(node.left), "read", node)
                elif _is_meta(right):
                    self.add("meta", self.strings(node.left), "read", node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        """Any other ``pixiv/…`` string is a stat read (the summary's tables); a prefix (``pixiv/errors/``) is not."""
        value = node.value
        if (isinstance(value, str) and value.startswith("pixiv/") and not value.endswith("/")
                and id(node) not in self.docstrings and " " not in value):
            self.scan.uses.append(Use("stat", value, "mention", self.module, self.rel, node.lineno))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        keys = self.pattern(node)
        if keys and keys[0].startswith("pixiv/") and " " not in keys[0]:
            self.scan.uses.append(Use("stat", keys[0], "mention", self.module, self.rel, node.lineno))
        # the parts of an f-string are not stats of their own
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                self.visit(value)


def _is_settings(node: ast.AST, aliases: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in aliases
    return isinstance(node, ast.Attribute) and node.attr == "settings"


def _is_meta(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "meta"


@functools.cache
def scan_package() -> Scan:
    """Every use in ``pixivcrawl/`` (see the module's docstring), scanned once per test process."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in package_files()}
    constants, keywords = _string_constants(trees), _keyword_strings(trees)
    scan = Scan()
    for path, tree in trees.items():
        _Scanner(scan, path, constants, keywords).run(tree)
    scan.uses = [u for u in scan.uses if not _is_count_helper(u)]
    return scan


def _is_count_helper(use: Use) -> bool:
    """``PixivSpider.count``'s own ``f"pixiv/{key}"``: its callers are scanned instead."""
    return use.kind == "stat" and use.name == "pixiv/<>"


def settings_module_assignments() -> dict[str, tuple[ast.expr, int]]:
    """Every setting ``pixivcrawl/settings.py`` assigns: name -> (value expression, line)."""
    tree = ast.parse((PACKAGE / "settings.py").read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and _SETTING_NAME.match(target.id):
                    found[target.id] = (node.value, node.lineno)
    return found


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
    """The default pixivcrawl/settings.py gives a setting: its literal, or the fallback of ``os.environ.get``."""
    if isinstance(value, ast.Call) and ast.unparse(value.func) == "os.environ.get" and len(value.args) == 2:
        value = value.args[1]
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
    _Scanner(scan, path, _string_constants({path: tree}), _keyword_strings({path: tree})).run(tree)
    assert [u.name for u in scan.uses if u.kind == kind and u.how != "mention"] == expected
    assert not scan.unresolved


def test_a_spider_count_is_a_pixiv_stat():
    path = PACKAGE / "spiders" / "example.py"
    tree = ast.parse('class S:\n    def f(self):\n        self.count("works/hidden")\n        self.count(f"x/{y}", 2)')
    scan = Scan()
    _Scanner(scan, path, {}, {}).run(tree)
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
