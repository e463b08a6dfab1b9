"""F.affine_grid and F.grid_sample: values against NumPy loops written here, gradients
(input, grid, theta) against finite differences, and against PyTorch when installed."""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

RNG = np.random.default_rng(31)


def ref_grid_sample(x, grid, mode, padding_mode, align_corners):
    n, c, h, w = x.shape
    _, ho, wo, _ = grid.shape
    out = np.zeros((n, c, ho, wo))

    def unnormalize(v, size):
        return (v + 1) * (size - 1) / 2 if align_corners else ((v + 1) * size - 1) / 2

    def reflect(p, size):
        # mirror with period 2 * (size - 1) about the outer centres (align_corners), or
        # with period 2 * size about the outer edges, then clamp
        if align_corners:
            if size == 1:
                return 0.0
            m = np.mod(p, 2 * (size - 1))
            p = m if m <= size - 1 else 2 * (size - 1) - m
        else:
            m = np.mod(p + 0.5, 2 * size)
            p = (m if m <= size else 2 * size - m) - 0.5
        return min(max(p, 0), size - 1)

    def read(b, yy, xx):
        if padding_mode == "border":
            yy, xx = min(max(yy, 0), h - 1), min(max(xx, 0), w - 1)
        if 0 <= yy < h and 0 <= xx < w:
            return x[b, :, yy, xx]
        return np.zeros(c)

    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                px, py = unnormalize(grid[b, i, j, 0], w), unnormalize(grid[b, i, j, 1], h)
                if padding_mode == "border":
                    px, py = min(max(px, 0), w - 1), min(max(py, 0), h - 1)
                if padding_mode == "reflection":
                    px, py = reflect(px, w), reflect(py, h)
                if mode == "nearest":
                    out[b, :, i, j] = read(b, int(np.rint(py)), int(np.rint(px)))
                    continue
                x0, y0 = int(np.floor(px)), int(np.floor(py))
                fx, fy = px - x0, py - y0
                out[b, :, i, j] = ((1 - fx) * (1 - fy) * read(b, y0, x0)
                                   + fx * (1 - fy) * read(b, y0, x0 + 1)
                                   + (1 - fx) * fy * read(b, y0 + 1, x0)
                                   + fx * fy * read(b, y0 + 1, x0 + 1))
    return out


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 2, 1, 3)])
def test_grid_sample_matches_loops(mode, padding_mode, align_corners, shape):
    x = RNG.standard_normal(shape)
    grid = RNG.uniform(-3.5, 3.5, (shape[0], 3, 4, 2))
    grid[0, 0, :, 0] = [-1.0, 1.0, -3.0, 3.0]                # edges and whole periods
    for dtype in (np.float64, np.float32):
        out = F.grid_sample(ad.tensor(x.astype(dtype)), ad.tensor(grid.astype(dtype)), mode,
                            padding_mode, align_corners)
        assert out.dtype == dtype
        np.testing.assert_allclose(out.data, ref_grid_sample(
            x.astype(dtype), grid.astype(dtype), mode, padding_mode, align_corners),
            rtol=1e-12 if dtype == np.float64 else 1e-5, atol=1e-14 if dtype == np.float64
            else 1e-5)


@pytest.mark.parametrize("align_corners", [True, False])
def test_reflection_and_border_pass_no_gradient_where_clamped_on_the_edge_too(align_corners):
    x = ad.tensor(np.arange(12.0).reshape(1, 1, 3, 4))
    edge = 1.0 if align_corners else 1.25                   # the last centre / outer edge
    for padding_mode in ("border", "reflection"):
        grid = ad.tensor([[[[edge, 0.3], [-edge, 0.3]]]], requires_grad=True)
        F.grid_sample(x, grid, "bilinear", padding_mode, align_corners).sum().backward()
        np.testing.assert_array_equal(grid.grad[..., 0], 0.0)   # PyTorch's clip gradient
        assert np.all(grid.grad[..., 1] != 0)


def test_reflection_gradient_flips_with_each_mirror():
    x = ad.tensor(np.arange(5.0).reshape(1, 1, 1, 5))           # value = column index
    grid = ad.tensor([[[[0.5, 0.0], [1.5, 0.0], [-1.5, 0.0], [3.5, 0.0]]]],
                     requires_grad=True)
    out = F.grid_sample(x, grid, "bilinear", "reflection", align_corners=True)
    np.testing.assert_allclose(out.data.ravel(), [3.0, 3.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_allclose(grid.grad[0, 0, :, 0], [2.0, -2.0, -2.0, 2.0])


def test_reflection_inside_compile_replays_on_new_grids_and_shapes():
    def step(u, g):
        loss = (F.grid_sample(u, g, "bilinear", "reflection", False) ** 2).sum()
        loss.backward()
        return loss

    sample = ad.compile(step)
    for shape, grid_shape in [((1, 2, 3, 4), (1, 2, 3, 2)), ((1, 2, 3, 4), (1, 2, 3, 2)),
                              ((2, 1, 4, 3), (2, 3, 1, 2))]:
        x, grid = RNG.standard_normal(shape), RNG.uniform(-3, 3, grid_shape)
        ours = [ad.tensor(v, requires_grad=True) for v in (x, grid)]
        eager = [ad.tensor(v, requires_grad=True) for v in (x, grid)]
        a, b = sample(*ours), step(*eager)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
        for m, e in zip(ours, eager):
            np.testing.assert_allclose(m.grad, e.grad, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [True, False])
def test_grid_sample_bilinear_gradchecks_input_and_grid(padding_mode, align_corners):
    x = RNG.standard_normal((1, 2, 3, 4))
    grid = RNG.uniform(-0.9, 0.9, (1, 2, 3, 2))
    if padding_mode == "reflection":                  # reflected, away from the folds
        grid = RNG.uniform(1.1, 1.4, (1, 2, 3, 2)) * np.where(RNG.random((1, 2, 3, 2)) < .5,
                                                               -1, 1)
    assert ad.gradcheck(lambda u, g: (F.grid_sample(u, g, "bilinear", padding_mode,
                                                    align_corners) ** 2).sum(), [x, grid])
    assert ad.gradcheck(lambda g: ad.grad(lambda v: (F.grid_sample(
        ad.tensor(x), v, "bilinear", padding_mode, align_corners) ** 2).sum())(g).sum(), [grid])


def test_nearest_sends_the_input_its_gradient_and_the_grid_zero():
    x = ad.tensor(RNG.standard_normal((1, 1, 3, 3)), requires_grad=True)
    grid = ad.tensor(np.array([[[[0.0, 0.0], [0.0, 0.0]]]]), requires_grad=True)
    F.grid_sample(x, grid, "nearest", align_corners=True).sum().backward()
    expected = np.zeros((1, 1, 3, 3))
    expected[0, 0, 1, 1] = 2.0                            # the centre, read twice
    np.testing.assert_array_equal(x.grad, expected)
    np.testing.assert_array_equal(grid.grad, np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_of_the_identity_samples_the_image_back_and_gradchecks(align_corners):
    x = RNG.standard_normal((2, 3, 4, 5))
    identity = np.tile(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), (2, 1, 1))
    grid = F.affine_grid(ad.tensor(identity), x.shape, align_corners=align_corners)
    np.testing.assert_allclose(F.grid_sample(ad.tensor(x), grid,
                                             align_corners=align_corners).data, x, atol=1e-12)
    theta = RNG.standard_normal((2, 2, 3)) * 0.3 + identity
    assert ad.gradcheck(lambda t: (F.affine_grid(t, (2, 1, 3, 4), align_corners) ** 2).sum(),
                        [theta])
    assert ad.gradcheck(lambda t: (F.grid_sample(ad.tensor(x), F.affine_grid(
        t, x.shape, align_corners), align_corners=align_corners) ** 2).sum(), [theta])
    volume = F.affine_grid(ad.tensor(np.eye(3, 4)[None]), (1, 1, 2, 3, 4), align_corners)
    assert volume.shape == (1, 2, 3, 4, 3)
    if align_corners:
        np.testing.assert_allclose(volume.data[0, -1, -1, -1], [1.0, 1.0, 1.0])


def test_errors_name_the_op_and_the_fix():
    x, grid = ad.tensor(np.ones((1, 1, 2, 2))), ad.tensor(np.zeros((1, 1, 1, 2)))
    with pytest.raises(ValueError, match="grid_sample: mode must be one of .*'bicubic'.*"
                                         "got 'cubic'"):
        F.grid_sample(x, grid, "cubic", align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: padding_mode must be one of .*"
                                         "'reflection'.*got 'reflect'"):
        F.grid_sample(x, grid, padding_mode="reflect", align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: expected input \(N, C, H, W\)"):
        F.grid_sample(x, ad.tensor(np.zeros((1, 1, 1, 3))), align_corners=False)
    with pytest.raises(ValueError, match="affine_grid: expected theta of shape"):
        F.affine_grid(ad.tensor(np.zeros((1, 2, 3))), (1, 1, 2, 2, 2), align_corners=False)


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = RNG.standard_normal((2, 3, 5, 6))
    for align_corners in (True, False):
        theta = RNG.standard_normal((2, 2, 3))
        ours, theirs = ad.tensor(theta, requires_grad=True), torch.tensor(theta,
                                                                          requires_grad=True)
        a = F.affine_grid(ours, (2, 3, 4, 5), align_corners=align_corners)
        b = tf.affine_grid(theirs, (2, 3, 4, 5), align_corners=align_corners)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
        for mode in ("bilinear", "nearest"):
            for padding_mode in ("zeros", "border", "reflection"):
                grid = RNG.uniform(-3.3, 3.3, (2, 4, 7, 2))
                grid[0, 0, :, 0] = [-1.0, 1.0, -3.0, 3.0, -1.2, 1.2, 0.0]   # edges, periods
                grid[1, 1, :, 1] = [-1.0, 1.0, -3.0, 3.0, -1.25, 1.25, 5.0]
                mine = [ad.tensor(v, requires_grad=True) for v in (x, grid)]
                them = [torch.tensor(v, requires_grad=True) for v in (x, grid)]
                a = F.grid_sample(*mine, mode, padding_mode, align_corners)
                b = tf.grid_sample(*them, mode, padding_mode, align_corners)
                np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
                g = RNG.standard_normal(a.shape)
                (a * g).sum().backward()
                (b * torch.tensor(g)).sum().backward()
                for m, t in zip(mine, them):
                    np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)
