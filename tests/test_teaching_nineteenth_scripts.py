"""The teaching tools on PyTorch-style programs of the kind the round-21 scripts run:
Gaussian-process regression by ``torch.linalg.cholesky_ex`` and ``cholesky_solve``, a
ridge regulariser through ``lu_factor`` / ``lu_solve``, SN-GAN's power iteration
(``mv``, ``dot``, ``inner``, ``ger``), a focal frequency loss (``fft2``, ``fftshift``),
Tobit regression (``log_ndtr``, ``erfcx``), predictive intervals by ``ndtri`` with a
pinball loss, Newton steps on a gamma shape (``digamma``, ``polygamma``), a Zipf
exponent (``zeta``), a diversity penalty (``pdist``), LISTA's shrinkage
(``softshrink``, ``hardshrink``), an MLP of ``RReLU`` (evaluated), ``CELU`` and
``logaddexp2``, a trimmed mean by ``msort``, second-order pooling (``addbmm``) and a
haversine loss (``atan2``).  ``viz.text`` names each op as the registry does:
``cholesky_ex`` as ``cholesky``, ``lu_factor`` as ``lu_factor_packed``, ``fft2`` as
``fftn``, ``fftshift`` as ``roll``, ``msort`` as ``permute_along_axis``, ``addbmm`` as
``matmul``, ``RReLU`` in evaluation as ``leaky_relu``.

For each graph: ``viz.text`` names the ops; ``viz.steps`` (before any backward, writing
no ``.grad``) gives the gradients ``backward()`` then stores; ``viz.draw`` with
``params=`` shows each parameter's gradient and the loss; ``explain`` counts the nonzero
entries; the same program under ``detect_anomaly`` raises nothing and gives the same
gradients; the HTML page's totals are the gradients (and, in a real browser, each step
of a new op's page names it); after a plain ``backward()`` the tools say the graph was
freed.  Then a NaN or inf where these programs meet one (a noise scale of 0, a shape
below 0, two equal samples, a NaN among the losses) is reported with the op, the user's
line and the true cause.
"""

import shutil

import numpy as np
import pytest
from teaching_checks import anomaly_report, step_through_in_a_browser, teaching_tests

import autodiff as torch            # the programs are written as PyTorch scripts are
import autodiff.nn.functional as F
from autodiff import nn

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def _data(seed=19):
    torch.manual_seed(seed)                     # (the layers' initial weights)
    return np.random.default_rng(seed)


def _named(**tensors):
    """``tensors`` (name -> tensor), each named so that ``explain`` names it."""
    for key, t in tensors.items():
        if isinstance(t, torch.Tensor):          # (not PyTorch's, built for comparison)
            t.name = key
    return tensors


def gp_by_cholesky_ex(torch=torch):
    rng = _data()
    inputs = rng.uniform(-2, 2, size=(8, 1))
    x, y = torch.from_numpy(inputs), torch.from_numpy(np.sin(2 * inputs[:, 0]))
    log_lengthscale = torch.zeros(1, requires_grad=True)
    log_noise = torch.full((1,), -2.0, requires_grad=True)
    K = torch.exp(-0.5 * torch.cdist(x, x) ** 2 / log_lengthscale.exp() ** 2) \
        + log_noise.exp() * torch.eye(len(x))
    L, info = torch.linalg.cholesky_ex(K)
    alpha = torch.cholesky_solve(y.unsqueeze(-1), L)
    loss = 0.5 * (y.unsqueeze(-1) * alpha).sum() + L.diagonal().log().sum()
    return loss, _named(log_lengthscale=log_lengthscale, log_noise=log_noise)


def ridge_by_lu():
    rng = _data()
    A = torch.from_numpy(rng.normal(size=(10, 3)))
    b = torch.from_numpy(rng.normal(size=(10, 2)))
    log_lam = torch.zeros(1, requires_grad=True)
    gram = A.T @ A + log_lam.exp() * torch.eye(3)
    LU, pivots = torch.linalg.lu_factor(gram)
    w = torch.linalg.lu_solve(LU, pivots, A.T @ b)
    return ((A @ w - b) ** 2).mean(), _named(log_lam=log_lam)


def power_iteration(torch=torch):
    rng = _data()
    W = torch.tensor(rng.normal(size=(4, 3)), requires_grad=True)
    u = torch.from_numpy(rng.normal(size=4))
    v = torch.mv(W.T, u)
    v = v / v.norm()
    u2 = torch.mv(W, v)
    sigma = torch.dot(u2, u2) ** 0.5 + torch.inner(u, u2) * 0.1
    return sigma + torch.ger(u, v).sum() * 0.01, _named(W=W)


def focal_frequency(torch=torch):
    rng = _data()
    img = torch.tensor(rng.normal(size=(6, 6)), requires_grad=True)
    target = torch.from_numpy(rng.normal(size=(6, 6)))
    diff = torch.fft.fftshift(torch.fft.fft2(img)) - torch.fft.fftshift(torch.fft.fft2(target))
    return (diff.abs() ** 2).mean(), _named(img=img)


def tobit():
    rng = _data()
    x = torch.from_numpy(rng.normal(size=(12, 2)))
    y = torch.from_numpy(np.maximum(x.data @ np.array([1.5, -0.5]) + 0.3, 0.0))
    model = nn.Linear(2, 1)
    log_sigma = torch.zeros(1, requires_grad=True)
    mu = model(x).squeeze(1)
    sigma = log_sigma.exp()
    z = (y - mu) / sigma
    observed = -0.5 * z ** 2 - torch.log(sigma)
    below = torch.special.log_ndtr(-mu / sigma)
    loss = -torch.where(y <= 0, below, observed).mean() + torch.special.erfcx(sigma).sum()
    return loss, _named(weight=model.weight, bias=model.bias, log_sigma=log_sigma)


def pinball_by_ndtri():
    rng = _data()
    y = torch.from_numpy(rng.normal(size=9))
    mu = torch.zeros(1, requires_grad=True)
    log_s = torch.zeros(1, requires_grad=True)
    q = torch.tensor([0.1, 0.5, 0.9])
    pred = mu + log_s.exp() * torch.special.ndtri(q)
    err = y.unsqueeze(1) - pred
    return torch.maximum(q * err, (q - 1) * err).mean(), _named(mu=mu, log_s=log_s)


def gamma_by_digamma():
    shape = torch.tensor(2.0, requires_grad=True)
    x = torch.from_numpy(_data().gamma(2.5, 1.0, size=20))
    s = torch.log(x.mean()) - torch.log(x).mean()
    residual = torch.log(shape) - torch.digamma(shape) - s
    slope = 1 / shape - torch.polygamma(1, shape)
    return (residual / slope) ** 2, _named(shape=shape)


def zipf_by_zeta():
    # a Zipf law shifted by q: P(k) = (k + q)^-s / zeta(s, q + 1); zeta's slope is in q
    # only (in s it is not implemented, as in PyTorch)
    q = torch.tensor(0.5, requires_grad=True)
    k = torch.tensor([1.0, 2.0, 2.0, 3.0, 7.0])
    return (2.5 * torch.log(k + q) + torch.log(torch.special.zeta(2.5, q + 1))).mean(), \
        _named(q=q)


def diversity_by_pdist(torch=torch):
    z = torch.tensor(_data().normal(size=(5, 3)), requires_grad=True)
    return -torch.nn.functional.pdist(z).mean() + (z ** 2).mean(), _named(z=z)


def lista_shrink():
    rng = _data()
    W = torch.tensor(rng.normal(size=(3, 4)) * 0.5, requires_grad=True)
    y = torch.from_numpy(rng.normal(size=(6, 3)))
    code = F.softshrink(y @ W, 0.3)
    code = F.hardshrink(code @ W.T @ W, 0.1)
    return ((code @ W.T - y) ** 2).mean(), _named(W=W)


def rrelu_celu_logaddexp2():
    rng = _data()
    model = nn.Sequential(nn.Linear(3, 4), nn.RReLU(), nn.Linear(4, 2), nn.CELU(0.5))
    model.eval()
    out = model(torch.from_numpy(rng.normal(size=(5, 3))))
    return torch.logaddexp2(out[:, 0], out[:, 1]).mean(), model


def trimmed_mean_by_msort():
    w = torch.tensor(_data().normal(size=7), requires_grad=True)
    losses = (w - 0.5) ** 2
    return torch.msort(losses)[1:-1].mean(), _named(w=w)


def second_order_pooling():
    rng = _data()
    conv = nn.Conv2d(2, 3, 3, padding=1)
    feats = conv(torch.from_numpy(rng.normal(size=(2, 2, 4, 4)))).flatten(2)
    pooled = torch.addbmm(torch.zeros(3, 3), feats, feats.transpose(1, 2)) / 32
    return (pooled ** 2).sum(), conv


def haversine(torch=torch):
    rng = _data()
    pred = torch.tensor(rng.uniform(-1, 1, size=(4, 2)), requires_grad=True)
    true = torch.from_numpy(rng.uniform(-1, 1, size=(4, 2)))
    dlat, dlon = (pred - true).unbind(1)
    a = torch.sin(dlat / 2) ** 2 + torch.cos(pred[:, 0]) * torch.cos(true[:, 0]) * \
        torch.sin(dlon / 2) ** 2
    return (2 * torch.atan2(torch.sqrt(a), torch.sqrt(1 - a))).mean(), _named(pred=pred)


PROGRAMS = {
    # name: (build, ops viz.text must name)
    "GP by cholesky_ex": (gp_by_cholesky_ex, ["cholesky", "cholesky_solve", "diagonal"]),
    "ridge by lu_factor": (ridge_by_lu, ["lu_factor_packed", "solve"]),
    "power iteration": (power_iteration, ["inner", "matmul", "sqrt"]),
    "focal frequency loss": (focal_frequency, ["fftn", "roll", "abs"]),
    "Tobit regression": (tobit, ["log_ndtr", "erfcx", "where"]),
    "pinball by ndtri": (pinball_by_ndtri, ["maximum"]),
    "gamma shape by digamma": (gamma_by_digamma, ["digamma", "polygamma"]),
    "Zipf by zeta": (zipf_by_zeta, ["zeta", "log"]),
    "diversity by pdist": (diversity_by_pdist, ["sqrt", "expand_dims"]),
    "LISTA shrinkage": (lista_shrink, ["sign", "where"]),
    "RReLU, CELU, logaddexp2": (rrelu_celu_logaddexp2, ["leaky_relu", "expm1",
                                                        "logaddexp2"]),
    "trimmed mean by msort": (trimmed_mean_by_msort, ["permute_along_axis", "getitem"]),
    "second-order pooling": (second_order_pooling, ["conv2d", "matmul", "transpose"]),
    "haversine": (haversine, ["arctan2", "sin", "cos"]),
}

globals().update(teaching_tests(PROGRAMS, ["GP by cholesky_ex", "Tobit regression",
                                           "Zipf by zeta", "trimmed mean by msort"]))


@needs_dot
def test_stepping_through_a_new_ops_page_in_a_real_browser(tmp_path,
                                                           browser_page):  # noqa: F811
    step_through_in_a_browser(browser_page, *PROGRAMS["Tobit regression"], tmp_path)


@pytest.mark.parametrize("build, tolerance", [
    # PyTorch's y·alpha differs from NumPy's own np.linalg.solve by ~4e-9 relative (the
    # library's agrees with NumPy's to 1e-15), and the loss is a small difference of
    # two such terms: compared to 1e-7 of the largest term
    (gp_by_cholesky_ex, 1e-7),
    (power_iteration, 1e-12), (focal_frequency, 1e-12), (diversity_by_pdist, 1e-12),
    (haversine, 1e-12)])
def test_the_gradients_the_tools_show_are_pytorchs(build, tolerance):
    real_torch = pytest.importorskip("torch")
    loss, params = build()
    totals = torch.viz.steps(loss, params=params).totals
    theirs_loss, theirs = build(real_torch)
    theirs_loss.backward()
    assert abs(float(loss.data) - theirs_loss.item()) <= tolerance * 10
    for key, t in theirs.items():
        np.testing.assert_allclose(totals[key], t.grad.numpy(), rtol=tolerance,
                                   atol=tolerance, err_msg=key)


def test_the_gp_solution_the_tools_show_is_numpys():
    loss, _ = gp_by_cholesky_ex()
    rng = _data()
    inputs = rng.uniform(-2, 2, size=(8, 1))
    y = np.sin(2 * inputs[:, 0])
    kernel = np.exp(-0.5 * (inputs - inputs.T) ** 2) + np.exp(-2.0) * np.eye(8)
    expected = 0.5 * y @ np.linalg.solve(kernel, y) + np.linalg.slogdet(kernel)[1] / 2
    assert float(loss.data) == pytest.approx(expected, rel=1e-12, abs=1e-14)


# ----------------------------------------------------------------------------------
# a NaN or inf where these programs meet one
# ----------------------------------------------------------------------------------
def _tobit_with_a_zero_noise_scale():
    rng = _data()
    x = torch.from_numpy(rng.normal(size=(6, 2)))
    y = torch.from_numpy(np.maximum(x.data @ np.array([1.5, -0.5]), 0.0))
    model = nn.Linear(2, 1)
    log_sigma = torch.full((1,), -800.0, requires_grad=True)     # exp(-800) is 0
    mu = model(x).squeeze(1)
    sigma = log_sigma.exp()
    z = (y - mu) / sigma
    observed = -0.5 * z ** 2 - torch.log(sigma)
    below = torch.special.log_ndtr(-mu / sigma)
    (-torch.where(y <= 0, below, observed).mean()).backward()


def _gamma_shape_below_zero():
    shape = torch.tensor(-1.0, requires_grad=True)
    residual = torch.log(shape) - torch.digamma(shape)
    (residual ** 2).backward()


def _trimmed_mean_of_a_nan():
    w = torch.tensor(np.array([0.1, np.nan, 0.7, 0.3]), requires_grad=True, name="w")
    torch.msort((w - 0.5) ** 2)[1:-1].mean().backward()


def _gp_of_a_repeated_input():
    x = torch.from_numpy(np.array([[0.0], [0.0], [1.0]]))
    log_noise = torch.full((1,), -800.0, requires_grad=True)
    K = torch.exp(-0.5 * torch.cdist(x, x) ** 2) + log_noise.exp() * torch.eye(3)
    L, info = torch.linalg.cholesky_ex(K)
    assert info.item() == 2                   # (not positive definite, as PyTorch says)
    L.diagonal().log().sum().backward()


def _haversine_of_antipodes():
    pred = torch.tensor(np.array([[0.0, 0.0]]), requires_grad=True)
    true = torch.from_numpy(np.array([[0.0, np.pi]]))
    dlat, dlon = (pred - true).unbind(1)
    a = torch.sin(dlat / 2) ** 2 + torch.cos(pred[:, 0]) * torch.cos(true[:, 0]) * \
        torch.sin(dlon / 2) ** 2
    (2 * torch.atan2(torch.sqrt(a), torch.sqrt(1 - a))).mean().backward()


NANS = {
    # name: (program, start of the report, the user's line, the cause)
    "Tobit with a zero noise scale": (
        _tobit_with_a_zero_noise_scale, "subtract: the forward pass produced NaN",
        "observed = -0.5 * z ** 2 - torch.log(sigma)",
        "cause: inf - inf is NaN; the inf in input a was made by divide"),
    "gamma shape below 0": (
        _gamma_shape_below_zero, "log: the forward pass produced NaN",
        "residual = torch.log(shape) - torch.digamma(shape)",
        "cause: log of a number below 0 is NaN"),
    "trimmed mean of a NaN": (
        _trimmed_mean_of_a_nan, "power: the backward pass produced NaN",
        "torch.msort((w - 0.5) ** 2)[1:-1].mean().backward()",
        "leaves of this graph that hold NaN: 'w' (shape (4,), 1 of 4 entries NaN)"),
    "GP of a repeated input": (
        _gp_of_a_repeated_input, "log: the backward pass produced inf",
        "L.diagonal().log().sum().backward()", "the derivative of log is infinite"),
    "haversine of antipodes": (
        _haversine_of_antipodes, "sqrt: the backward pass produced inf",
        "(2 * torch.atan2(torch.sqrt(a), torch.sqrt(1 - a))).mean().backward()",
        "the derivative of sqrt is infinite"),
}


@pytest.mark.parametrize("name", list(NANS))
def test_each_nan_is_reported_with_the_op_the_users_line_and_the_cause(name):
    program, start, line, cause = NANS[name]
    message = anomaly_report(program)
    assert message.startswith(start), message
    assert f"`{line}" in message and "test_teaching_nineteenth_scripts.py:" in message
    assert cause in message, message


def test_the_zeros_the_causes_name_are_there():
    # the 0 under the GP's log is L's diagonal (a repeated input), and 1 - a is 0 at
    # the antipodes: what the reports say is true
    x = np.array([[0.0], [0.0], [1.0]])
    L, info = torch.linalg.cholesky_ex(torch.tensor(np.exp(-0.5 * (x - x.T) ** 2)))
    assert info.item() == 2 and L.data[1, 1] == 0.0
    a = np.sin(-np.pi / 2) ** 2
    assert 1 - a == 0.0


def test_pdist_of_two_equal_rows_is_not_an_anomaly_and_its_gradient_is_pytorchs():
    real_torch = pytest.importorskip("torch")
    rows = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]])
    z = torch.tensor(rows, requires_grad=True)
    with torch.detect_anomaly():
        (-F.pdist(z).mean()).backward()
    theirs = real_torch.tensor(rows, requires_grad=True)
    (-real_torch.nn.functional.pdist(theirs).mean()).backward()
    np.testing.assert_allclose(z.grad, theirs.grad.numpy(), rtol=1e-12)
