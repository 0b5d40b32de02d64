"""A bigger drop from a real-shaped one: every file's rows repeated N times, each copy's children
distinct (the copy number appended to CHILD), so a timing can be checked to grow with the rows.

    python -m bench.repeat_drop SOURCE_DIR OUT_DIR N

Keep the output out of the repository: it holds whatever the source holds.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def repeat_drop(source: Path, out: Path, n: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for f in sorted(source.glob("*.csv")):
        with f.open(newline="", encoding="utf-8-sig") as fh:
            header, *rows = list(csv.reader(fh))
        child = header.index("CHILD") if "CHILD" in header else None
        with (out / f.name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for k in range(n):
                for r in rows:
                    if child is not None and n > 1 and r:
                        r = [*r[:child], f"{r[child]}{k}", *r[child + 1:]]
                    w.writerow(r)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("n", type=int)
    args = ap.parse_args()
    print(repeat_drop(args.source, args.out, args.n))


if __name__ == "__main__":
    main()
