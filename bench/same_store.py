"""What two crawls stored, compared: their SQLite databases (every table, every column but ``*_at`` timestamps, rows
in any order) and their files folders (paths, bytes and modes).

    python bench/same_store.py OUT_A OUT_B

Each OUT is a folder holding ``pixivcrawl.db`` and ``files/`` (what bench/peers.py's ``Bench.command`` gives a
pixivcrawl run). Prints one line per table and one for the files; exits 1 on any difference. Use it to show that a
change that makes a crawl cheaper still stores everything the same.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from pathlib import Path


def tables(db: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    conn = sqlite3.connect(db)
    out = {}
    for (name,) in conn.execute("select name from sqlite_master where type = 'table' order by name"):
        cols = [r[1] for r in conn.execute(f'pragma table_info("{name}")') if not r[1].endswith("_at")]
        rows = conn.execute(f'select {", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)} from "{name}"').fetchall()
        out[name] = (cols, sorted(rows, key=repr))
    conn.close()
    return out


def files(root: Path) -> dict[str, tuple[str, int]]:
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode)
            for p in root.rglob("*") if p.is_file()}


def main() -> int:
    a, b = Path(sys.argv[1]), Path(sys.argv[2])
    ta, tb = tables(a / "pixivcrawl.db"), tables(b / "pixivcrawl.db")
    differences = 0
    for name in sorted(set(ta) | set(tb)):
        (ca, ra), (cb, rb) = ta.get(name, ([], [])), tb.get(name, ([], []))
        if (ca, ra) == (cb, rb):
            print(f"table {name}: {len(ra)} rows, {len(ca)} columns, the same")
            continue
        differences += 1
        print(f"table {name} differs: columns {'the same' if ca == cb else f'{ca} / {cb}'}, rows {len(ra)} / {len(rb)}")
        for row in sorted(set(ra) - set(rb), key=repr)[:3]:
            print("  only in A:", row)
        for row in sorted(set(rb) - set(ra), key=repr)[:3]:
            print("  only in B:", row)
    fa, fb = files(a / "files"), files(b / "files")
    if fa == fb:
        size = sum((a / "files" / p).stat().st_size for p in fa)
        print(f"files: {len(fa)} files, {size / 1e6:.1f} MB, the same paths, bytes and modes")
    else:
        differences += 1
        print(f"files differ: {len(fa)} / {len(fb)} files; only in one: {sorted(set(fa) ^ set(fb))[:5]}; "
              f"other bytes or mode: {sorted(p for p in set(fa) & set(fb) if fa[p] != fb[p])[:5]}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
