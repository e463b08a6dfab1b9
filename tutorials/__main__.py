"""Run the tutorials: ``python -m tutorials [--quick] [--out DIR] [names...]``.

Each tutorial runs in this process (its ``main(argv)``), writing into
``DIR/<name>/`` (default ``tutorials/out/<name>/``).  At the end one line per
tutorial gives its name, seconds, key result and the files it wrote; the exit
status is non-zero if any tutorial failed.

    python -m tutorials --quick                 # all of them, small sizes (CI)
    python -m tutorials 01 05                   # just these, full size
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from tutorials import TUTORIALS
from tutorials._common import DEFAULT_OUT


def _select(names):
    if not names:
        return list(TUTORIALS)
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [t for t in TUTORIALS if t == stem or t.startswith(stem)]
        if not matches:
            raise SystemExit(f"no tutorial matches {name!r}; choose from: {', '.join(TUTORIALS)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tutorials", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="tutorials to run (prefixes like 01 work)")
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds each)")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="root folder; each tutorial writes into OUT/<name>/")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)

    rows = []
    for name in _select(args.names):
        tut_argv = ["--out", str(Path(args.out) / name)]
        tut_argv += ["--quick"] if args.quick else []
        tut_argv += ["--no-progress"] if args.no_progress else []
        start = time.perf_counter()
        try:
            result = importlib.import_module(f"tutorials.{name}").main(tut_argv)
            status, summary, files = "ok", result["summary"], result["files"]
        except Exception:  # report and go on with the others
            traceback.print_exc()
            status, files = "FAILED", []
            summary = traceback.format_exc().strip().splitlines()[-1]
        rows.append((name, status, time.perf_counter() - start, summary, files))

    print("\n" + "=" * 78 + "\nSummary" + (" (quick mode)" if args.quick else ""))
    for name, status, seconds, summary, files in rows:
        print(f"{name:<26} {status:<6} {seconds:6.1f} s  {summary}")
        if files:
            print(f"{'':<26} files: " + ", ".join(Path(f).name for f in files))
    failed = [r[0] for r in rows if r[1] != "ok"]
    if failed:
        print(f"\n{len(failed)} tutorial(s) failed: {', '.join(failed)}")
        return 1
    print(f"\nall {len(rows)} tutorial(s) ran; outputs under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
