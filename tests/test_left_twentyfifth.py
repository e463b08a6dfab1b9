"""Exact counts in gradcheck's report, and the names multi-output linalg ops show."""
import re

import numpy as np
import pytest

import autodiff as ad


def _wrong_square(x):
    """x**2 with its tape cut, so every analytic entry is 0 (a wrong rule)."""
    return ad.tensor(x.data ** 2).sum() + (x * 0).sum()


def test_gradcheck_header_counts_every_mismatch_exactly():
    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(_wrong_square, [np.arange(12.0) + 1])
    header = str(info.value).splitlines()[0]
    assert "at 12 of 12 Jacobian entries" in header
    assert "+" not in re.sub(r"\(.*?\)", "", header.split(" at ")[1])
    assert "the worst 5 shown" in header


def test_gradcheck_header_with_one_mismatch_lists_it():
    def half_wrong(x):
        return (x * x)[0] + ad.tensor(x.data[1] ** 2)

    with pytest.raises(ad.GradcheckError) as info:
        ad.gradcheck(half_wrong, [np.array([1.0, 2.0])])
    header = str(info.value).splitlines()[0]
    assert "at 1 of 2 Jacobian entries; worst first" in header


def _spd(n=3):
    rng = np.random.default_rng(0)
    m = rng.standard_normal((n, n))
    return ad.tensor(m @ m.T + n * np.eye(n), requires_grad=True)


def test_viz_text_names_the_outputs_of_eigh():
    a = _spd()
    w, v = np.linalg.eigh(a)
    shown = ad.viz.text(w.sum() + v.sum())
    assert "eigh_packed(v0, UPLO='L')  # (4, 3) float64; packs eigh's outputs: " \
           "w (eigenvalues) = [..., 3, :], V (eigenvectors, as columns) = [..., :3, :]" in shown
    assert "getitem(v1, [..., 3, :])  # (3,) float64; w (eigenvalues) of eigh" in shown
    assert "getitem(v1, [..., :3, :])  # (3, 3) float64; V (eigenvectors, as columns) of eigh" \
        in shown


@pytest.mark.parametrize("unpack, parts", [
    (lambda a: np.linalg.svd(a, full_matrices=False), ["U (3, 3)", "S (singular values)",
                                                       "Vh"]),
    (lambda a: np.linalg.qr(a), ["Q (3, 3)", "R"]),
    (lambda a: np.linalg.slogdet(a)[1:], ["logabsdet"]),
    (lambda a: np.linalg.eig(a), ["w (eigenvalues)", "V (eigenvectors"]),
    (lambda a: np.linalg.lstsq(a, ad.tensor(np.ones((3, 2)), requires_grad=True),
                               rcond=None)[::3], ["x (3, 2)", "s (singular values)"]),
])
def test_viz_text_names_every_unpacked_part(unpack, parts):
    outs = [o for o in unpack(_spd()) if isinstance(o, ad.Tensor)]
    total = sum(o.real.sum() if np.iscomplexobj(o.data) else o.sum() for o in outs)
    shown = ad.viz.text(total)
    reads = [line for line in shown.splitlines() if "= getitem(" in line]
    assert len(reads) == len(parts)
    for line, part in zip(reads, parts):
        assert f"; {part}" in line and " of " in line, line


def test_only_the_unpacking_read_is_labelled():
    w, v = np.linalg.eigh(_spd())
    lines = ad.viz.text(w[:2].sum()).splitlines()
    assert lines[2].endswith("(3,) float64; w (eigenvalues) of eigh")
    assert lines[3].endswith("(2,) float64")


def test_steps_and_explain_name_the_parts():
    a = _spd()
    w, v = np.linalg.eigh(a)
    y = w.sum() + v[:, 0].sum()
    walked = str(ad.viz.steps(y))
    assert "getitem -> v2 (3,) (w (eigenvalues) of eigh)" in walked
    assert "eigh_packed -> v1 (4, 3) (packs eigh's outputs:" in walked
    assert "getitem (V (eigenvectors, as columns) of eigh)" in ad.explain(a, y)


def test_draw_labels_the_packed_op_and_its_parts():
    w, v = np.linalg.eigh(_spd())
    source = ad.viz.draw(w.sum() + v.sum()).source
    assert "packs eigh&#39;s outputs: w (eigenvalues) = [..., 3, :]" in source
    assert "w (eigenvalues) of eigh" in source
