"""``import autodiff`` stays light: drawing and random draws load when first used."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, check=True).stdout.split()


def test_import_does_not_load_graphviz_drawing_or_numpy_random():
    loaded = _run("import sys, autodiff\n"
                  "print(*[m in sys.modules for m in ('graphviz', 'autodiff.viz', "
                  "'autodiff.distributions', 'numpy.random')])")
    assert loaded == ["False"] * 4


def test_lazily_loaded_parts_appear_on_first_use():
    out = _run("import autodiff as ad\n"
               "print(ad.viz.text.__module__, ad.distributions.Normal.__name__, "
               "'viz' in dir(ad))\n"
               "ad.nn.manual_seed(3); a = ad.nn.Linear(2, 2).weight.data\n"
               "ad.nn.manual_seed(3); b = ad.nn.Linear(2, 2).weight.data\n"
               "print(bool((a == b).all()))")
    assert out == ["autodiff.viz.text", "Normal", "True", "True"]
