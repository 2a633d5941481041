"""Whether two crawls stored the same: every table, row and column of two SQLite databases (time stamps, the
columns ending in ``_at``, left out) and the files of two folders, byte for byte and with their modes.

    python bench/compare_stores.py A.db B.db [--files A_DIR B_DIR]

Rows are compared as sets of tuples of (SQLite storage type, value), so a value stored as another type (a
datetime's text format, JSON text) counts as a difference. Prints each difference and exits 1 if there is any.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
from pathlib import Path


def table_rows(db: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    out = {}
    for table in tables:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if not r[1].endswith("_at")]
        picked = ", ".join(f'typeof("{c}"), quote("{c}")' for c in columns)
        out[table] = [tuple(columns), *sorted(conn.execute(f'SELECT {picked} FROM "{table}"'))]  # noqa: S608
    conn.close()
    return out


def files(folder: Path) -> dict[str, tuple[str, int]]:
    """Each file under ``folder``: its relative path -> (sha256, mode)."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--files", nargs=2, type=Path)
    args = parser.parse_args()
    return compare(args.a, args.b, args.files)


def compare(db_a: Path, db_b: Path, folders: tuple[Path, Path] | None = None) -> int:
    """Print the differences between two crawls' databases (and files folders); 1 if there is any, else 0."""
    a, b = table_rows(db_a), table_rows(db_b)
    problems = 0
    for table in sorted(set(a) | set(b)):
        ra, rb = a.get(table), b.get(table)
        if ra != rb:
            problems += 1
            only_a = set(ra or ()) - set(rb or ())
            only_b = set(rb or ()) - set(ra or ())
            print(f"{table}: {len(ra or ()) - 1} vs {len(rb or ()) - 1} rows; {len(only_a)} only in A, "
                  f"{len(only_b)} only in B; e.g. {sorted(only_a)[:1]} / {sorted(only_b)[:1]}")
    if folders:
        fa, fb = files(folders[0]), files(folders[1])
        if fa != fb:
            problems += 1
            differing = sorted(k for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))
            print(f"files: {len(fa)} vs {len(fb)}; differing: {differing[:5]}")
    rows = sum(len(r) - 1 for r in a.values())
    print(f"{len(a)} tables, {rows} rows" + (f", {len(files(folders[0]))} files" if folders else "")
          + (": the same" if not problems else f": {problems} difference(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
