"""Shared plumbing for the tutorials: arguments, output folder, figures, graphs, timing.

Every tutorial builds one ``Tutorial`` object at the start of its ``main(argv)``::

    tut = Tutorial(__file__, argv, "How do I ...?")
    ...
    tut.savefig(fig, "loss.png")          # PNG into the output folder
    tut.graph(loss, "loss_graph")         # SVG via ad.viz (or .dot + install hint)
    return tut.finish(summary="theta = [5.2148, -0.5733]", theta=theta)

so the scripts themselves only contain what they teach.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import numpy as np

# Headless: figures are written to files (and, in a notebook, shown inline from
# those files by _show_inline).  This must happen before anything imports pyplot.
os.environ.setdefault("MPLBACKEND", "Agg")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"
SEED = 0


QUICK_ENV = "AUTODIFF_TUTORIAL_QUICK"    # "1": --quick (how a notebook gets quick mode)
OUT_ENV = "AUTODIFF_TUTORIAL_OUT"        # default root folder instead of tutorials/out


def parse_args(name: str, argv=None, description: str = ""):
    """``--quick``, ``--out DIR`` and ``--no-progress``, from ``argv`` or the command line.

    In a notebook the kernel's own command line is not ours, so it is not read; the
    environment variable ``AUTODIFF_TUTORIAL_QUICK=1`` selects quick mode anywhere.
    Unknown arguments are ignored.
    """
    parser = argparse.ArgumentParser(prog=name, description=description)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few epochs: a few seconds (used by CI)")
    parser.add_argument("--out", default=None,
                        help=f"folder for figures and graphs (default: tutorials/out/{name})")
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the training progress bars")
    if argv is None:
        argv = [] if in_notebook() else sys.argv[1:]
    args, _ = parser.parse_known_args(list(argv))
    args.quick = args.quick or os.environ.get(QUICK_ENV, "") not in ("", "0")
    return args


class Tutorial:
    """Per-run state: options, output folder, files written, seeded RNG."""

    _graphviz_hint_shown = False    # print the install advice once per process

    def __init__(self, file: str, argv=None, question: str = ""):
        self.name = Path(file).stem
        self.args = parse_args(self.name, argv, question)
        self.quick = self.args.quick
        root = Path(os.environ.get(OUT_ENV) or DEFAULT_OUT)
        self.out = Path(self.args.out) if self.args.out else root / self.name
        self.out.mkdir(parents=True, exist_ok=True)
        self.files: list[Path] = []
        self.rng = np.random.default_rng(SEED)
        self._start = time.perf_counter()
        bar = "=" * 78
        mode = "quick" if self.quick else "full"
        print(f"{bar}\n{self.name}  ({mode} mode; output in {self.out})")
        if question:
            print(f"Question: {question}")
        print(bar)

    # ----- printing ---------------------------------------------------------------
    @staticmethod
    def section(title: str) -> None:
        print(f"\n--- {title} " + "-" * max(3, 74 - len(title)))

    @staticmethod
    def table(header, rows, fmt="{:>12}") -> None:
        """Print rows of values under a header, numbers formatted compactly."""
        def cell(v):
            if isinstance(v, (float, np.floating)):
                return fmt.format(f"{v:.4g}")
            return fmt.format(str(v))
        print("".join(fmt.format(h) for h in header))
        for row in rows:
            print("".join(cell(v) for v in row))

    # ----- files ------------------------------------------------------------------
    def savefig(self, fig, filename: str) -> Path:
        path = self.out / filename
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
        self.files.append(path)
        print(f"  wrote {path}")
        _show_inline(path)
        return path

    def graph(self, tensor, stem: str, fmt: str = "svg", **draw_options):
        """Render ``tensor``'s graph with ``ad.viz.render``; a missing Graphviz never raises.

        Without the Graphviz ``dot`` program, ``ad.viz.render`` writes the ``.dot``
        source and raises an error explaining how to install Graphviz; we print that
        advice, keep the ``.dot`` file and carry on.
        """
        base = self.out / stem
        try:
            from autodiff import viz
        except ImportError as exc:
            print(f"  (graph {stem} skipped: autodiff.viz is not available: {exc})")
            return None
        try:
            written = viz.render(tensor, str(base), format=fmt, **draw_options)
        except RuntimeError as exc:  # viz.GraphvizNotFoundError, or `dot` itself failing
            dot = base.with_suffix(".dot")
            if dot.exists():
                self.files.append(dot)
                if Tutorial._graphviz_hint_shown:
                    print(f"  wrote {dot} (DOT source only; see the Graphviz message above)")
                else:
                    Tutorial._graphviz_hint_shown = True
                    print(f"  wrote {dot} (source only: {exc})")
                return dot
            print(f"  (graph {stem} not rendered: {type(exc).__name__}: {exc})")
            return None
        path = Path(written) if isinstance(written, (str, os.PathLike)) else None
        if path is None or not path.exists():
            path = base.with_suffix("." + fmt)
        self.files.append(path)
        print(f"  wrote {path}")
        _show_inline(path)
        return path

    # ----- training helpers -------------------------------------------------------
    def progress(self, iterable, **kwargs):
        """A progress bar over ``iterable``: tqdm on a terminal or in a notebook, a few
        plain lines (about every 10%) when the output goes to a file or a pipe, nothing
        with ``--no-progress``.  ``set_postfix(...)`` works on all of them."""
        if self.args.no_progress:
            return _PlainProgress(iterable, kwargs.get("desc", ""), kwargs.get("total"),
                                  quiet=True)
        interactive = in_notebook() or (sys.stdout.isatty() and sys.stderr.isatty())
        try:
            from tqdm import tqdm             # text bar: terminals, and notebooks without widgets
            if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
                from tqdm.notebook import tqdm
        except ImportError:
            interactive = False
        if not interactive:
            return _PlainProgress(iterable, kwargs.get("desc", ""), kwargs.get("total"))
        kwargs.setdefault("leave", False)
        kwargs.setdefault("mininterval", 0.2)
        kwargs.setdefault("dynamic_ncols", True)
        return tqdm(iterable, **kwargs)

    def finish(self, summary: str, **results) -> dict:
        """Print the answer line and return the results (for the runner and the tests)."""
        seconds = time.perf_counter() - self._start
        print(f"\n>>> {summary}")
        print(f"({seconds:.1f} s, {len(self.files)} file(s) in {self.out})")
        return {"name": self.name, "summary": summary, "seconds": seconds,
                "files": [str(p) for p in self.files], **results}


class _PlainProgress:
    """Iterate and print ``desc: k/n (p%) postfix`` lines about every 10% (no ``\\r``)."""

    def __init__(self, iterable, desc="", total=None, quiet=False):
        self.iterable, self.desc, self.quiet = iterable, desc or "progress", quiet
        self.total = total if total is not None else (
            len(iterable) if hasattr(iterable, "__len__") else None)
        self.postfix = ""

    def set_postfix(self, **values):
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def __iter__(self):
        start, every = time.perf_counter(), max(1, (self.total or 10) // 10)
        count = 0
        for count, item in enumerate(self.iterable, start=1):
            yield item
            if not self.quiet and (count % every == 0 or count == self.total):
                of = f"/{self.total} ({100 * count // self.total}%)" if self.total else ""
                extra = f", {self.postfix}" if self.postfix else ""
                print(f"  {self.desc}: {count}{of}, {time.perf_counter() - start:.1f} s{extra}",
                      flush=True)


def _show_inline(path: Path) -> None:
    """In a notebook, also show a written PNG or SVG below the running cell."""
    if not in_notebook() or path.suffix not in (".png", ".svg"):
        return
    from IPython.display import SVG, Image, display
    display(Image(filename=str(path)) if path.suffix == ".png" else SVG(filename=str(path)))


def in_notebook() -> bool:
    """True inside a Jupyter kernel (JupyterLab, classic Notebook, VS Code, nbclient)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def median_time(func, repeats: int = 7, number: int = 1) -> float:
    """Median seconds per call of ``func()`` over ``repeats`` rounds of ``number`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            func()
        times.append((time.perf_counter() - start) / number)
    return float(np.median(times))


def interleaved_times(funcs: dict, repeats: int = 7, number: int = 1,
                      clock=time.perf_counter) -> dict:
    """Seconds per call of each ``funcs[name]()`` in every round, the functions timed in
    turn round after round, so that a busy moment of the machine slows every one of them
    instead of only the one being timed then.  Wall-clock time (``perf_counter``) unless
    ``clock=time.process_time``: the CPU time of this process, which does not count the
    pauses while other programs run on a busy machine."""
    times = {name: [] for name in funcs}
    for _ in range(repeats):
        for name, func in funcs.items():
            start = clock()
            for _ in range(number):
                func()
            times[name].append((clock() - start) / number)
    return times


def interleaved_median_times(funcs: dict, repeats: int = 7, number: int = 1,
                             clock=time.perf_counter) -> dict:
    """Median seconds per call of each ``funcs[name]()`` over ``interleaved_times``."""
    return {name: float(np.median(t))
            for name, t in interleaved_times(funcs, repeats, number, clock).items()}


#: A ratio whose middle half of rounds spans more than this factor is not a measurement.
WIDE_RATIO_SPREAD = 1.3


class TimeRatio:
    """The ratio of two timings, round by round (``interleaved_times``), with its spread.

    ``median`` is the median of the per-round ratios; ``low`` and ``high`` are their
    quartiles; ``meaningful`` is False when the rounds disagree by more than
    ``WIDE_RATIO_SPREAD`` (another process took the CPU in some of them).

    >>> r = TimeRatio([2.0, 2.1, 1.9, 2.0], [1.0, 1.0, 1.0, 1.0])
    >>> round(r.median, 2), r.meaningful
    (2.0, True)
    >>> TimeRatio([0.1, 2.0, 5.0, 2.2], [1.0, 1.0, 1.0, 1.0]).meaningful
    False
    """

    def __init__(self, numerator_rounds, denominator_rounds):
        ratios = np.asarray(numerator_rounds, float) / np.asarray(denominator_rounds, float)
        self.ratios = ratios
        self.median = float(np.median(ratios))
        self.low, self.high = (float(q) for q in np.percentile(ratios, [25, 75]))
        self.meaningful = bool(self.low > 0 and self.high / self.low <= WIDE_RATIO_SPREAD)

    def spread_text(self) -> str:
        """e.g. ``middle half of 7 rounds 1.8-2.1x, all 1.6-2.4x``."""
        return (f"middle half of {self.ratios.size} rounds {self.low:.2f}-{self.high:.2f}x, "
                f"all {self.ratios.min():.2f}-{self.ratios.max():.2f}x")

    def summary(self, what: str, of: str) -> str:
        """``what 1.9x of (spread)``, or why there is no ratio, for a one-line summary."""
        if self.meaningful:
            return f"{what} {self.median:.2f}x {of} ({self.spread_text()})"
        return f"{what} vs {of}: not measured, the machine was busy ({self.spread_text()})"


def rel_error(a, b) -> float:
    """max |a - b| / max(|a|, |b|), the scale-free way to compare two gradients."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    return float(np.max(np.abs(a - b) / scale))
