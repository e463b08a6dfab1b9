"""F.grid_sample of 5-D volumes (trilinear, nearest) and of images with mode='bicubic',
and F.affine_grid for volumes: values against NumPy loops written here, gradients
(input, grid, theta) against finite differences, and values and gradients against
PyTorch when installed; compiled steps against eager ones."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

RNG = np.random.default_rng(53)
PADDINGS = ["zeros", "border", "reflection"]
A = -0.75


def unnormalize(v, size, align_corners):
    return (v + 1) * (size - 1) / 2 if align_corners else ((v + 1) * size - 1) / 2


def reflect(p, size, align_corners):
    """Mirror about the outer centres (align_corners) or outer edges, then clamp."""
    if align_corners:
        if size == 1:
            return 0.0
        m = np.mod(p, 2 * (size - 1))
        p = m if m <= size - 1 else 2 * (size - 1) - m
    else:
        m = np.mod(p + 0.5, 2 * size)
        p = (m if m <= size else 2 * size - m) - 0.5
    return min(max(p, 0), size - 1)


def padded(p, size, padding_mode, align_corners):
    if padding_mode == "border":
        return min(max(p, 0), size - 1)
    if padding_mode == "reflection":
        return reflect(p, size, align_corners)
    return p


def ref_grid_sample_3d(x, grid, mode, padding_mode, align_corners):
    """Loops over every output voxel: the 8 (or 1) voxels around each location."""
    n, c, d, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:4])

    def read(b, zz, yy, xx):
        if 0 <= zz < d and 0 <= yy < h and 0 <= xx < w:
            return x[b, :, zz, yy, xx]
        return np.zeros(c)

    for b in range(n):
        for where in np.ndindex(*grid.shape[1:4]):
            px, py, pz = (padded(unnormalize(grid[(b,) + where][axis], size, align_corners),
                                 size, padding_mode, align_corners)
                          for axis, size in enumerate((w, h, d)))
            if mode == "nearest":
                out[(b, slice(None)) + where] = read(b, *(int(np.rint(p)) for p in (pz, py, px)))
                continue
            x0, y0, z0 = int(np.floor(px)), int(np.floor(py)), int(np.floor(pz))
            total = np.zeros(c)
            for dz in (0, 1):
                for dy in (0, 1):
                    for dx in (0, 1):
                        weight = ((px - x0 if dx else 1 - (px - x0))
                                  * (py - y0 if dy else 1 - (py - y0))
                                  * (pz - z0 if dz else 1 - (pz - z0)))
                        total = total + weight * read(b, z0 + dz, y0 + dy, x0 + dx)
            out[(b, slice(None)) + where] = total
    return out


def cubic(s):
    """Keys' cubic convolution kernel at distance s, A = -0.75."""
    s = abs(s)
    if s <= 1:
        return (A + 2) * s ** 3 - (A + 3) * s ** 2 + 1
    if s < 2:
        return A * s ** 3 - 5 * A * s ** 2 + 8 * A * s - 4 * A
    return 0.0


def ref_bicubic(x, grid, padding_mode, align_corners):
    """Loops: the 4x4 pixels around each (unpadded) location, each pixel position padded."""
    n, c, h, w = x.shape
    out = np.zeros((n, c) + grid.shape[1:3])

    def read(b, yy, xx):
        yy = padded(yy, h, padding_mode, align_corners)
        xx = padded(xx, w, padding_mode, align_corners)
        if 0 <= yy < h and 0 <= xx < w:
            return x[b, :, int(yy), int(xx)]
        return np.zeros(c)

    for b in range(n):
        for i, j in np.ndindex(*grid.shape[1:3]):
            px = unnormalize(grid[b, i, j, 0], w, align_corners)
            py = unnormalize(grid[b, i, j, 1], h, align_corners)
            x0, y0 = int(np.floor(px)), int(np.floor(py))
            total = np.zeros(c)
            for yy in range(y0 - 1, y0 + 3):
                for xx in range(x0 - 1, x0 + 3):
                    total = total + cubic(px - xx) * cubic(py - yy) * read(b, yy, xx)
            out[b, :, i, j] = total
    return out


def grid_with_edges(shape, sizes, align_corners, spread=2.6):
    """Random locations in [-spread, spread], with exact edges (-1, 1, 0), the outer
    pixels' centres and edges, whole reflection periods and far points in the first row."""
    grid = RNG.uniform(-spread, spread, shape)
    size = sizes[0]
    centre = 1.0 if align_corners else 1.0 - 1.0 / size
    special = [-1.0, 1.0, 0.0, centre, -centre, 3.0, -3.0, 1.0 + 1.0 / size, 7.5]
    flat = grid.reshape(-1, shape[-1])
    flat[:len(special), 0] = special[:len(flat)]
    flat[:len(special), -1] = special[::-1][:len(flat)]
    return grid


def smooth_grid(shape, sizes, align_corners):
    """Locations whose pixel coordinates lie 0.1 or more from any integer and half-integer
    (so from cell boundaries and reflection folds), some outside the input."""
    grid = np.empty(shape)
    for axis, size in enumerate(sizes):
        whole = RNG.integers(-2, size + 2, shape[:-1])
        frac = RNG.uniform(0.1, 0.4, shape[:-1]) + 0.5 * RNG.integers(0, 2, shape[:-1])
        pixel = whole + frac
        grid[..., axis] = (pixel * 2 / (size - 1) - 1 if align_corners
                           else (2 * pixel + 1) / size - 1)
    return grid


CASES = [("bilinear", 5), ("nearest", 5), ("bicubic", 4)]


def _shapes(dims):
    if dims == 5:
        return (2, 3, 3, 4, 5), (2, 2, 3, 4, 3)
    return (2, 3, 4, 5), (2, 3, 4, 2)


@pytest.mark.parametrize("mode,dims", CASES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [True, False])
def test_values_match_loops_in_float64_and_float32(mode, dims, padding_mode, align_corners):
    shape, grid_shape = _shapes(dims)
    x = RNG.standard_normal(shape)
    grid = grid_with_edges(grid_shape, shape[:1:-1], align_corners)
    if dims == 5:
        want = ref_grid_sample_3d(x, grid, mode, padding_mode, align_corners)
    else:
        want = ref_bicubic(x, grid, padding_mode, align_corners)
    for dtype, tol in ((np.float64, 1e-12), (np.float32, 2e-5)):
        out = F.grid_sample(ad.tensor(x.astype(dtype)), ad.tensor(grid.astype(dtype)), mode,
                            padding_mode, align_corners)
        assert out.dtype == dtype and out.shape == want.shape
        if dtype == np.float32 and mode == "nearest":
            continue          # a float32 location may round to the other pixel than float64
        np.testing.assert_allclose(out.data, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("dims,size", [(5, (1, 2, 1, 3, 2)), (4, (1, 2, 1, 3))])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_single_pixel_axes_match_loops(dims, size, padding_mode):
    x = RNG.standard_normal(size)
    for align_corners in (True, False):
        grid = RNG.uniform(-2.0, 2.0, (1, 3, 2, dims - 2) if dims == 4 else (1, 2, 2, 3, 3))
        mode = "bilinear" if dims == 5 else "bicubic"
        out = F.grid_sample(ad.tensor(x), ad.tensor(grid), mode, padding_mode, align_corners)
        want = (ref_grid_sample_3d(x, grid, mode, padding_mode, align_corners) if dims == 5
                else ref_bicubic(x, grid, padding_mode, align_corners))
        np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode,dims", [("bilinear", 5), ("bicubic", 4)])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [True, False])
def test_gradients_of_input_and_grid_match_finite_differences(mode, dims, padding_mode,
                                                              align_corners):
    shape = (1, 2, 2, 3, 4) if dims == 5 else (1, 2, 3, 4)
    grid_shape = (1, 2, 2, 2, 3) if dims == 5 else (1, 3, 3, 2)
    x = RNG.standard_normal(shape)
    grid = smooth_grid(grid_shape, shape[:1:-1], align_corners)
    weights = RNG.standard_normal(shape[:2] + grid_shape[1:-1])

    def loss(u, g):
        return (F.grid_sample(u, g, mode, padding_mode, align_corners) * weights).sum()

    assert ad.gradcheck(loss, [x, grid], atol=1e-8, rtol=1e-6)
    # Inside a cell the weights are polynomials: the grid's gradient has its own gradient.
    assert ad.gradcheck(lambda g: (ad.grad(lambda v: loss(ad.tensor(x), v) ** 2)(g)
                                   * weights.sum()).sum(), [grid], atol=1e-7, rtol=1e-6)


def test_nearest_volume_sends_the_input_its_gradient_and_the_grid_zero():
    x = ad.tensor(RNG.standard_normal((1, 2, 3, 3, 3)), requires_grad=True)
    grid = ad.tensor([[[[[0.0, 0.0, 0.0], [0.1, -0.2, 0.05], [1.0, -1.0, 1.0],
                         [5.0, 0.0, 0.0]]]]], requires_grad=True)
    F.grid_sample(x, grid, "nearest", align_corners=True).sum().backward()
    expected = np.zeros((1, 2, 3, 3, 3))
    expected[:, :, 1, 1, 1] = 2.0                       # the centre, read twice
    expected[:, :, 2, 0, 2] = 1.0                       # (x, y, z) = (2, 0, 2)
    np.testing.assert_array_equal(x.grad, expected)
    np.testing.assert_array_equal(grid.grad, np.zeros(grid.shape))


@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_volume_samples_back_and_gradchecks(align_corners):
    x = RNG.standard_normal((2, 2, 3, 4, 5))
    identity = np.tile(np.eye(3, 4), (2, 1, 1))
    grid = F.affine_grid(ad.tensor(identity), x.shape, align_corners=align_corners)
    assert grid.shape == (2, 3, 4, 5, 3)
    np.testing.assert_allclose(F.grid_sample(ad.tensor(x), grid, "bilinear", "zeros",
                                             align_corners).data, x, atol=1e-12)
    np.testing.assert_array_equal(F.grid_sample(ad.tensor(x), grid, "nearest", "zeros",
                                                align_corners).data, x)
    theta = RNG.standard_normal((2, 3, 4)) * 0.2 + identity
    assert ad.gradcheck(lambda t: (F.affine_grid(t, (2, 1, 2, 3, 4), align_corners) ** 2).sum(),
                        [theta], atol=1e-8, rtol=1e-6)


def test_bicubic_reproduces_an_image_at_its_pixels_and_constants_everywhere_inside():
    x = RNG.standard_normal((1, 2, 5, 6))
    identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    for align_corners in (True, False):
        grid = F.affine_grid(ad.tensor(identity), x.shape, align_corners=align_corners)
        np.testing.assert_allclose(F.grid_sample(ad.tensor(x), grid, "bicubic", "zeros",
                                                 align_corners).data, x, atol=1e-12)
    flat = F.grid_sample(ad.tensor(np.full((1, 1, 8, 8), 2.5)),
                         ad.tensor(RNG.uniform(-0.5, 0.5, (1, 3, 3, 2))), "bicubic",
                         align_corners=True)
    np.testing.assert_allclose(flat.data, 2.5, rtol=1e-14)
    # A = -0.75 (not Keys' -0.5, which would give the ramp's 2.45 back): 2 + the offsets'
    # weighted sum at 0.45 into the cell.
    ramp = np.tile(np.arange(8.0), (1, 1, 8, 1))
    out = F.grid_sample(ad.tensor(ramp), ad.tensor([[[[-0.3, 0.1]]]]), "bicubic",
                        align_corners=True)                  # x = 2.45 pixels
    weights = [cubic(1.45), cubic(0.45), cubic(0.55), cubic(1.55)]
    np.testing.assert_allclose(out.item(), 2 + np.dot([-1, 0, 1, 2], weights), rtol=1e-12)
    assert abs(out.item() - 2.45) > 0.01


def test_align_corners_none_warns_as_pytorch_and_means_false():
    x, grid = ad.tensor(RNG.standard_normal((1, 1, 2, 3, 4))), ad.tensor(
        RNG.uniform(-1, 1, (1, 1, 2, 2, 3)))
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        out = F.grid_sample(x, grid)
    np.testing.assert_array_equal(out.data, F.grid_sample(x, grid, align_corners=False).data)
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.grid_sample(x[:, :, 0], grid[:, 0, :, :, :2], "bicubic")
    with pytest.warns(UserWarning, match="align_corners=False since 1.3.0"):
        F.affine_grid(ad.tensor(np.eye(3, 4)[None]), (1, 1, 2, 2, 2))
    with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
        F.affine_grid(ad.tensor(np.eye(3, 4)[None]), (1, 1, 1, 2, 2), align_corners=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.grid_sample(x, grid, align_corners=True)
        F.affine_grid(ad.tensor(np.eye(3, 4)[None]), (1, 1, 2, 2, 2), align_corners=True)


def test_errors_name_the_op_the_shapes_and_the_fix():
    volume, grid = ad.tensor(np.ones((1, 1, 2, 2, 2))), ad.tensor(np.zeros((1, 1, 1, 1, 3)))
    with pytest.raises(NotImplementedError, match="grid_sample: mode 'bicubic' supports 4-D "
                                                  r"input .*\(1, 1, 2, 2, 2\).*'bilinear'"):
        F.grid_sample(volume, grid, "bicubic", align_corners=False)
    with pytest.raises(ValueError, match=r"grid_sample: expected .* grid \(N, Do, Ho, Wo, 3\)"
                                         r".*got input \(1, 1, 2, 2, 2\) and grid "
                                         r"\(1, 1, 1, 1, 2\)"):
        F.grid_sample(volume, ad.tensor(np.zeros((1, 1, 1, 1, 2))), align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: input and grid must have the same "
                                         "dtype, got float32 and float64"):
        F.grid_sample(ad.tensor(np.ones((1, 1, 2, 2, 2), np.float32)), grid,
                      align_corners=False)
    with pytest.raises(ValueError, match="grid_sample: input has an empty spatial dimension"):
        F.grid_sample(ad.tensor(np.ones((1, 1, 0, 2, 2))), grid, align_corners=False)
    empty = F.grid_sample(ad.tensor(np.ones((0, 2, 2, 2, 2))),
                          ad.tensor(np.zeros((0, 1, 3, 1, 3))), align_corners=False)
    assert empty.shape == (0, 2, 1, 3, 1)


@pytest.mark.parametrize("mode,dims", CASES)
def test_compiled_steps_replay_as_eager(mode, dims):
    def step(u, t):
        grid = F.affine_grid(t, u.shape, align_corners=False)
        loss = (F.grid_sample(u, grid * 1.7, mode, "reflection", False) ** 2).sum()
        loss.backward()
        return loss

    sample = ad.compile(step)
    shape = (1, 2, 3, 4, 5) if dims == 5 else (1, 2, 4, 5)
    identity = np.eye(dims - 2, dims - 1)[None]
    for u_shape in (shape, shape, (2,) + shape[1:-1] + (3,)):
        x = RNG.standard_normal(u_shape)
        theta = np.tile(identity, (u_shape[0], 1, 1)) + RNG.normal(0, 0.3, (u_shape[0],)
                                                                   + identity.shape[1:])
        ours = [ad.tensor(v, requires_grad=True) for v in (x, theta)]
        eager = [ad.tensor(v, requires_grad=True) for v in (x, theta)]
        a, b = sample(*ours), step(*eager)
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12)
        for m, e in zip(ours, eager):
            np.testing.assert_allclose(m.grad, e.grad, rtol=1e-10, atol=1e-13)


# ----- against PyTorch ----------------------------------------------------------------

@pytest.mark.parametrize("mode,dims", CASES)
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("align_corners", [True, False])
def test_values_and_both_gradients_match_pytorch(mode, dims, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    shape, grid_shape = _shapes(dims)
    x = RNG.standard_normal(shape)
    grid = grid_with_edges(grid_shape, shape[:1:-1], align_corners, spread=3.3)
    upstream = RNG.standard_normal(shape[:2] + grid_shape[1:-1])
    for dtype, tdtype, tol in ((np.float64, torch.float64, 1e-12),
                               (np.float32, torch.float32, 1e-4)):
        mine = [ad.tensor(v.astype(dtype), requires_grad=True) for v in (x, grid)]
        them = [torch.tensor(v, dtype=tdtype, requires_grad=True) for v in (x, grid)]
        a = F.grid_sample(*mine, mode, padding_mode, align_corners)
        b = torch.nn.functional.grid_sample(*them, mode, padding_mode, align_corners)
        assert a.dtype == dtype
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=tol, atol=tol)
        (a * ad.tensor(upstream.astype(dtype))).sum().backward()
        (b * torch.tensor(upstream, dtype=tdtype)).sum().backward()
        for m, t in zip(mine, them):
            scale = max(1.0, np.abs(t.grad.numpy()).max())
            np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("mode,dims", CASES + [("bilinear", 4), ("nearest", 4)])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_non_finite_locations_read_and_send_gradients_as_pytorch(mode, dims, padding_mode):
    torch = pytest.importorskip("torch")
    shape, grid_shape = _shapes(dims)
    x = RNG.standard_normal(shape)
    grid = RNG.uniform(-1, 1, grid_shape)
    flat = grid.reshape(-1, grid_shape[-1])
    flat[:4, 0] = [np.nan, np.inf, -np.inf, 41.3]
    keep = np.ones(grid_shape[:-1])
    keep.reshape(-1)[:3] = 0.0                # a loss that leaves out nan and inf locations
    keep = np.broadcast_to(keep[:, None], shape[:2] + grid_shape[1:-1])
    mine = [ad.tensor(v, requires_grad=True) for v in (x, grid)]
    them = [torch.tensor(v, requires_grad=True) for v in (x, grid)]
    with np.errstate(invalid="ignore"):
        a = F.grid_sample(*mine, mode, padding_mode, False)
        (a * ad.tensor(keep)).sum().backward()
    b = torch.nn.functional.grid_sample(*them, mode, padding_mode, False)
    np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-12)
    if mode != "bicubic" or padding_mode == "zeros":
        # (a bicubic location is not padded: a nan one's weights are nan, and 0 times them
        # reaches the pixel a border or reflection padding reads for it)
        assert np.isfinite(mine[0].grad).all()
    if padding_mode == "zeros":
        # (PyTorch's backward of a nan location under border or reflection reads outside
        # the input, so only the zeros padding's gradients are compared.)
        (b * torch.tensor(keep)).sum().backward()
        for m, t in zip(mine, them):
            np.testing.assert_allclose(m.grad, t.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("align_corners", [True, False])
def test_affine_grid_volume_and_theta_gradient_match_pytorch(align_corners):
    torch = pytest.importorskip("torch")
    for size in [(2, 3, 4, 5, 6), (2, 1, 1, 3, 2)]:
        theta = RNG.standard_normal((2, 3, 4))
        ours, theirs = ad.tensor(theta, requires_grad=True), torch.tensor(theta,
                                                                          requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)           # unit-size grids
            a = F.affine_grid(ours, size, align_corners=align_corners)
            b = torch.nn.functional.affine_grid(theirs, size, align_corners=align_corners)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12, atol=1e-14)
        upstream = RNG.standard_normal(a.shape)
        (a * ad.tensor(upstream)).sum().backward()
        (b * torch.tensor(upstream)).sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-13)
