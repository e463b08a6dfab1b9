"""The twenty-eighth round of PyTorch scripts, tensor functions (see
test_torch_scripts_twentyeighth.py for the method): ``chunk`` / ``split`` /
``tensor_split`` with uneven sizes, ``cat`` / ``stack`` of mixed dtypes (where NumPy's
and PyTorch's promotion agree), ``new_zeros`` / ``new_full`` / ``zeros_like(dtype=)``,
``arange`` with float steps, ``linspace`` / ``logspace``, ``meshgrid`` in both
indexings, ``tril`` / ``triu`` with diagonals, ``roll`` / ``flip`` / ``rot90``,
``expand`` / ``repeat`` / ``repeat_interleave`` and their gradients, in-place writes to
slices of a leaf's clone, ``T`` / ``mT`` / ``mH`` / ``adjoint`` of a batch,
``unfold`` windows with ``diff`` / ``cumsum`` / ``cumprod`` / ``cummax``, ``one_hot``,
``normalize``, ``pairwise_distance`` and ``cdist``, and ``affine_grid`` /
``grid_sample`` in three modes.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2830)


def test_chunk_split_and_tensor_split_with_uneven_sizes():
    x_in = DATA.normal(size=(7, 5))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        a = torch.chunk(x, 3, dim=0)
        b = x.split([2, 3], dim=1)
        c = x.split(3)
        d = x.chunk(4, dim=1)
        e = torch.tensor_split(x, 3, dim=0)
        f = torch.tensor_split(x, [1, 4], dim=1)
        parts = list(a) + list(b) + list(c) + list(d) + list(e) + list(f)
        sum((p * (k + 1)).pow(2).sum() for k, p in enumerate(parts)).backward()
        return [p.shape[0] for p in a], [tuple(p.shape) for p in d], parts, x.grad

    side_by_side(script)


def test_cat_and_stack_of_mixed_dtypes():
    def script(torch, cw):
        i = torch.tensor([1, 2])
        d = torch.tensor([1.0, 2.0], dtype=torch.float64)
        f = torch.tensor([0.5, 1.5], dtype=torch.float32)
        b = torch.tensor([True, False])
        r = [
            torch.cat([i, d]),
            torch.cat([f, d]),
            torch.stack([i, b]),
            torch.cat([b, i]),
            torch.stack([d, i], dim=1),
            torch.hstack([i, d]),
            torch.vstack([f, f]),
            torch.cat([b, b]),
        ]
        return [str(t.dtype).split(".")[-1] for t in r], r

    side_by_side(script)


def test_new_and_like_constructors_with_dtypes():
    def script(torch, cw):
        x = torch.tensor([[1.0, 2.0]], dtype=torch.float32)
        r = [
            x.new_zeros(2, 3),
            x.new_full((2,), 7),
            x.new_ones((1, 2), dtype=torch.float64),
            x.new_empty(3).shape,
            torch.zeros_like(x, dtype=torch.int64),
            torch.full_like(x, 3, dtype=torch.float64),
            torch.ones_like(x),
            x.new_tensor([1, 2]),
            torch.empty_like(x).shape,
            torch.rand_like(x).shape,
        ]
        dts = [str(t.dtype).split(".")[-1] for t in r if hasattr(t, "dtype")]
        return dts, [t for t in r if hasattr(t, "dtype")], [tuple(r[3]), tuple(r[8])]

    side_by_side(script)


def test_arange_float_steps_linspace_and_logspace():
    def script(torch, cw):
        r = [
            torch.arange(0, 1, 0.1),
            torch.arange(1.0, 2.0, 0.3),
            torch.arange(5),
            torch.arange(-1, 1, 0.25),
            torch.arange(0, 10, 3),
            torch.linspace(0, 1, 5),
            torch.linspace(-2, 2, steps=1),
            torch.logspace(0, 2, 3),
            torch.logspace(0, 3, 4, base=2),
            torch.linspace(0, 10, 4, dtype=torch.int64),
            torch.arange(0, 0.3, 0.1),
        ]
        return [str(t.dtype).split(".")[-1] for t in r], [t.shape[0] for t in r], r

    side_by_side(script)


def test_meshgrid_in_both_indexings_and_its_gradients():
    a_in = DATA.normal(size=3)
    b_in = DATA.normal(size=4)

    def script(torch, cw):
        a = torch.tensor(a_in, requires_grad=True)
        b = torch.tensor(b_in, requires_grad=True)
        X, Y = torch.meshgrid(a, b, indexing="ij")
        P, Q = torch.meshgrid(a, b, indexing="xy")
        (X * Y.exp()).sum().backward(retain_graph=True)
        g = (a.grad.clone(), b.grad.clone())
        (P**2 * Q).sum().backward()
        return X, Y, P, Q, g, a.grad, b.grad

    side_by_side(script)


def test_tril_triu_roll_flip_rot90_gradients():
    x_in = DATA.normal(size=(2, 4, 5))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        outs = [
            torch.tril(x, diagonal=-1),
            torch.triu(x, 2),
            x.tril(1),
            x.triu(-2),
            torch.roll(x, shifts=2, dims=2),
            torch.roll(x, shifts=(1, -1), dims=(0, 1)),
            torch.roll(x, 3),
            torch.flip(x, dims=[0, 2]),
            x.fliplr(),
            torch.rot90(x, 1, [1, 2]),
            torch.rot90(x, -1, (1, 2)),
            torch.rot90(x, 2, [2, 1]),
        ]
        sum(
            (o * torch.arange(o.numel(), dtype=o.dtype).reshape(o.shape)).sum() for o in outs
        ).backward()
        return outs, x.grad

    side_by_side(script)


def test_expand_repeat_and_repeat_interleave_gradients():
    x_in = DATA.normal(size=(3, 1))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        w = torch.arange(24.0)
        e = x.expand(2, 3, 4)
        r = x.repeat(2, 1, 4)
        ri = x.repeat_interleave(2, dim=0)
        ri2 = torch.repeat_interleave(x, torch.tensor([1, 3, 2]), dim=0)
        ri3 = x.repeat_interleave(3)
        e2 = x.expand(-1, 5)
        ea = x.expand_as(torch.zeros(3, 2))
        loss = (
            (e.reshape(-1) * w).sum()
            + (r.reshape(-1) * w).sum()
            + (ri**2).sum()
            + (ri2 * torch.arange(6.0).reshape(6, 1)).sum()
            + ri3.pow(3).sum()
            + e2.sum()
            + ea.sum()
        )
        loss.backward()
        return e, r, ri, ri2, ri3, x.grad, e.is_contiguous(), r.is_contiguous()

    side_by_side(script)


def test_in_place_writes_to_slices_of_a_clone():
    x_in = DATA.normal(size=(3, 4))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        y = x.clone()
        y[1:].add_(1.0)
        y[:, 0].mul_(2.0)
        s = y[0]
        s.sub_(x[2].detach())
        z = y.sin() * x
        z.sum().backward()
        return y, x.grad

    side_by_side(script)


def test_batched_transposes_and_adjoints():
    x_in = DATA.normal(size=(2, 3, 4)) + 1j * DATA.normal(size=(2, 3, 4))
    m_in = DATA.normal(size=(3, 4))

    def script(torch, cw):
        x = torch.tensor(x_in)
        m = torch.tensor(m_in, requires_grad=True)
        r = [x.mT, x.mH, m.T, m.H, m.mT, x.transpose(-2, -1).conj(), x.adjoint()]
        (m.T @ m).sum().backward()
        (x.mH @ x).real.sum()
        return [tuple(t.shape) for t in r], [t.resolve_conj() for t in r], m.grad, (x.mH @ x)

    side_by_side(script)


def test_unfold_windows_diff_and_cumulative_functions():
    x_in = DATA.normal(size=(2, 10))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        w = x.unfold(1, 4, 2)
        d = torch.diff(x, n=2, dim=1)
        cs = torch.cumsum(x, 1)
        cp = torch.cumprod(x, dim=1)
        cm, ci = torch.cummax(x, dim=1)
        (w.pow(2).sum() + d.abs().sum() + cs.sum() + cp.sum() + cm.sum()).backward()
        return w.shape, w, d, cs, cp, cm, ci, x.grad

    side_by_side(script)


def test_one_hot_normalize_pairwise_distance_and_cdist():
    a_in = DATA.normal(size=(4, 3))
    b_in = DATA.normal(size=(4, 3))
    c_in = DATA.normal(size=(2, 5, 3))

    def script(torch, cw):
        F = torch.nn.functional
        a = torch.tensor(a_in, requires_grad=True)
        b = torch.tensor(b_in, requires_grad=True)
        c = torch.tensor(c_in, requires_grad=True)
        oh = F.one_hot(torch.tensor([0, 2, 1, 2]), num_classes=4)
        oh2 = F.one_hot(torch.tensor([[0, 2], [1, 1]]))
        n = F.normalize(a, p=1, dim=0)
        n2 = F.normalize(a, dim=-1, eps=1e-3)
        pd = F.pairwise_distance(a, b, p=3, eps=1e-6, keepdim=True)
        cd = torch.cdist(c, c[:, :2], p=2)
        cd1 = torch.cdist(c, c, p=1)
        (n.sum() + (n2**2).sum() + pd.sum() + cd.sum() + cd1.pow(2).sum()).backward()
        return oh, oh2, oh.dtype == torch.int64, n, n2, pd, cd, a.grad, b.grad, c.grad

    side_by_side(script)


def test_affine_grid_and_grid_sample_in_three_modes():
    img = DATA.normal(size=(2, 2, 5, 6))
    theta_in = np.array([[[0.9, 0.1, 0.05], [-0.1, 1.1, 0.0]]] * 2)

    def script(torch, cw):
        F = torch.nn.functional
        x = torch.tensor(img, requires_grad=True)
        th = torch.tensor(theta_in, requires_grad=True)
        outs = []
        for mode, pad, ac in [
            ("bilinear", "zeros", False),
            ("nearest", "border", True),
            ("bilinear", "reflection", True),
        ]:
            grid = F.affine_grid(th, (2, 2, 4, 3), align_corners=ac)
            outs.append(F.grid_sample(x, grid, mode=mode, padding_mode=pad, align_corners=ac))
        sum(o.pow(2).sum() for o in outs).backward()
        return outs, x.grad, th.grad

    side_by_side(script)


def test_views_of_a_repeat_and_of_the_clone_of_an_expansion():
    x_in = DATA.normal(size=(3, 1))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        tiled = x.repeat(2, 1, 4).view(6, 4)
        copied = x.t().unsqueeze(0).expand(2, 5, 3).clone()
        flat = copied.view(-1)
        weights = torch.arange(30.0).reshape(30)
        ((tiled * tiled).sum() + (flat * weights).sum()).backward()
        layout = [copied.is_contiguous(), copied.stride(), tiled.stride()]
        return tiled, flat, layout, x.grad

    side_by_side(script)
