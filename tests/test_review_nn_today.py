"""Regression tests from a review of today's nn / optim / linalg additions, each against
PyTorch where it has the behaviour: a tensor in shared memory stays there through
recorded in-place updates, gradient accumulation and ``zero_grad(set_to_none=False)``."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn


def _update(kind, lib, base, other):
    if kind == "add_":
        base.add_(other)
    elif kind == "mul_":
        base.mul_(other)
    elif kind == "exp_":
        base.exp_()
    elif kind == "clamp_":
        base.clamp_(other * 0 + 0.5)
    elif kind == "relu_":
        lib.nn.functional.relu_(base)
    elif kind == "view mul_":
        base[1:].mul_(other[:1])
    else:
        base[0] = other[1] * 3


@pytest.mark.parametrize("kind", ["add_", "mul_", "exp_", "clamp_", "relu_",
                                  "view mul_", "setitem"])
def test_recorded_update_of_shared_tensor_writes_into_shared_memory(kind):
    torch = pytest.importorskip("torch")
    values = [1.0, -2.0]
    a = ad.tensor(values, requires_grad=True)
    b = (a * 2).share_memory_()
    shared = b.data
    ta = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tb = (ta * 2).share_memory_()
    _update(kind, ad, b, a)
    _update(kind, torch, tb, ta)
    assert b.is_shared() and tb.is_shared()
    assert np.shares_memory(b.data, shared)
    (b * b).sum().backward()
    (tb * tb).sum().backward()
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)


def test_shared_plain_tensor_updated_by_one_that_requires_grad_stays_shared():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    c = ad.tensor([10.0, 20.0]).share_memory_()
    shared = c.data
    c.add_(a)
    assert c.is_shared() and np.shares_memory(c.data, shared)
    np.testing.assert_array_equal(shared, [11.0, 22.0])
    (c * c).sum().backward()
    np.testing.assert_array_equal(a.grad, [22.0, 44.0])


def test_update_of_shared_values_an_earlier_node_saved_refuses_its_backward():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    c = ad.tensor([3.0, 4.0]).share_memory_()
    y = (c * a).sum()               # saves c's values
    c.add_(a)                       # PyTorch: "modified by an inplace operation"
    with pytest.raises(ad.inplace.InPlaceError):
        y.backward()


@pytest.mark.parametrize("zero_by", ["optimizer", "module"])
def test_shared_gradient_stays_shared_through_accumulation_and_zero_grad(zero_by):
    torch = pytest.importorskip("torch")
    x1, x2 = np.random.default_rng(0).standard_normal((2, 4, 3))
    net = nn.Linear(3, 2, rng=0)
    tnet = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tnet.weight.copy_(torch.tensor(net.weight.data.T))
        tnet.bias.copy_(torch.tensor(net.bias.data))
    for model, lib in ((net, ad), (tnet, torch)):
        model(lib.tensor(x1)).pow(2).sum().backward()
        model.share_memory()
    shared = net.weight.grad
    tptr = tnet.weight.grad.data_ptr()
    for model, lib in ((net, ad), (tnet, torch)):
        model(lib.tensor(x2)).pow(2).sum().backward()
    assert np.shares_memory(net.weight.grad, shared)
    assert tnet.weight.grad.data_ptr() == tptr
    np.testing.assert_allclose(shared, tnet.weight.grad.numpy().T, rtol=1e-12)
    if zero_by == "optimizer":
        ad.optim.SGD(net.parameters(), lr=0.1).zero_grad(set_to_none=False)
        torch.optim.SGD(tnet.parameters(), lr=0.1).zero_grad(set_to_none=False)
    else:
        net.zero_grad(set_to_none=False)
        tnet.zero_grad(set_to_none=False)
    assert np.shares_memory(net.weight.grad, shared) and not shared.any()
    assert tnet.weight.grad.data_ptr() == tptr


INITIALIZERS = [("constant_", (0.5,)), ("zeros_", ()), ("ones_", ()), ("normal_", ()),
                ("uniform_", ()), ("trunc_normal_", ()), ("xavier_uniform_", ()),
                ("kaiming_normal_", ()), ("orthogonal_", ()), ("eye_", ())]


@pytest.mark.parametrize("name, args", INITIALIZERS)
def test_initializer_on_uninitialized_parameter_raises_as_pytorch(name, args):
    # An init before the first call used to be silently lost (constant_ wrote into no
    # values; the lazy layer's own initialization then ran at the first call).
    torch = pytest.importorskip("torch")
    with pytest.raises((ValueError, RuntimeError), match="uninitialized parameter"):
        getattr(torch.nn.init, name)(torch.nn.UninitializedParameter(), *args)
    with pytest.raises(ValueError, match=f"uninitialized parameter in init.{name}"):
        getattr(nn.init, name)(nn.UninitializedParameter(), *args)


def test_apply_init_before_first_call_is_refused_not_lost():
    model = nn.Sequential(nn.LazyLinear(3))

    def init(module):
        if isinstance(module, nn.LazyLinear):
            nn.init.constant_(module.weight, 0.5)

    with pytest.raises(ValueError, match="uninitialized parameter"):
        model.apply(init)


@pytest.mark.parametrize("write", ["fill_", "zero_", "setitem", "data setitem"])
def test_in_place_write_into_uninitialized_parameter_raises(write):
    p = nn.UninitializedParameter()
    with ad.no_grad(), pytest.raises(ValueError, match="uninitialized parameter"):
        if write == "fill_":
            p.fill_(1.0)
        elif write == "zero_":
            p.zero_()
        elif write == "setitem":
            p[...] = 1.0
        else:
            p.data[...] = 1.0
    p.materialize((2,))
    p.data[...] = 1.0               # once materialized, writes go through
    np.testing.assert_array_equal(p.data, [1.0, 1.0])


@pytest.mark.parametrize("batch", [(), (2,)])
def test_ldl_solve_of_empty_matrices_as_pytorch(batch):
    # ldl_solve with n = 0 raised NumPy's "cannot reshape array of size 0" while checking
    # the pivots
    torch = pytest.importorskip("torch")
    LD, pivots = ad.linalg.ldl_factor(ad.tensor(np.zeros(batch + (0, 0))))
    X = ad.linalg.ldl_solve(LD, pivots, ad.tensor(np.zeros(batch + (0, 3))))
    tLD, tpivots = torch.linalg.ldl_factor(torch.zeros(batch + (0, 0), dtype=torch.float64))
    tX = torch.linalg.ldl_solve(tLD, tpivots, torch.zeros(batch + (0, 3), dtype=torch.float64))
    assert X.shape == tuple(tX.shape) == batch + (0, 3)
    assert X.dtype == np.float64


def _eager_and_compiled_losses(make_module, parametrize, x, target, steps=5):
    modules = [make_module() for _ in range(2)]
    for module in modules:
        parametrize(module)
    modules[1].load_state_dict(modules[0].state_dict())     # same power-iteration vectors
    optimizers = [ad.optim.Adam(m.parameters(), lr=0.1) for m in modules]

    def step_of(module, optimizer):
        def step():
            optimizer.zero_grad()
            loss = ((module(x) - target) ** 2).mean()
            loss.backward()
            optimizer.step()
            return loss
        return step

    eager = step_of(modules[0], optimizers[0])
    compiled = ad.compile(step_of(modules[1], optimizers[1]))
    losses = [(float(eager().data), float(compiled().data)) for _ in range(steps)]
    return modules, np.array(losses)


@pytest.mark.parametrize("layer", ["linear", "conv"])
def test_compiled_step_of_spectral_norm_module_equals_eager(layer):
    # The power iteration wrote into its buffers with NumPy: tracing raised "assignment
    # destination is read-only"; a replay must redo the power steps
    rng = np.random.default_rng(0)
    if layer == "linear":
        make, x, target = (lambda: nn.Linear(4, 3, rng=0), rng.standard_normal((6, 4)),
                           rng.standard_normal((6, 3)))
    else:
        make, x, target = (lambda: nn.Conv2d(2, 3, 3), rng.standard_normal((2, 2, 5, 5)),
                           rng.standard_normal((2, 3, 3, 3)))
    modules, losses = _eager_and_compiled_losses(
        make, nn.utils.parametrizations.spectral_norm, ad.tensor(x), ad.tensor(target))
    np.testing.assert_allclose(losses[:, 1], losses[:, 0], rtol=1e-12)
    assert losses[-1, 0] < losses[0, 0]
    eager_norm, compiled_norm = (m.parametrizations.weight[0] for m in modules)
    np.testing.assert_allclose(compiled_norm._u, eager_norm._u, rtol=1e-12)
    np.testing.assert_allclose(modules[1].weight.data, modules[0].weight.data, rtol=1e-12)


@pytest.mark.parametrize("orthogonal_map, trivialization, shape", [
    ("householder", True, (4, 3)), ("householder", False, (3, 4)),
    ("cayley", True, (4, 3)), ("matrix_exp", True, (3, 3))])
def test_compiled_step_of_orthogonal_module_equals_eager(orthogonal_map, trivialization,
                                                         shape):
    # householder's diagonal signs and cayley's identity were NumPy arrays made in the
    # call, which compile refused as values a replay would reuse
    rng = np.random.default_rng(1)
    n_in, n_out = shape
    x, target = rng.standard_normal((6, n_in)), rng.standard_normal((6, n_out))
    modules, losses = _eager_and_compiled_losses(
        lambda: nn.Linear(n_in, n_out, rng=0),
        lambda m: nn.utils.parametrizations.orthogonal(
            m, orthogonal_map=orthogonal_map, use_trivialization=trivialization),
        ad.tensor(x), ad.tensor(target))
    np.testing.assert_allclose(losses[:, 1], losses[:, 0], rtol=1e-12)
    assert losses[-1, 0] < losses[0, 0]
    weight = modules[1].weight.data
    np.testing.assert_allclose(weight, modules[0].weight.data, rtol=1e-10, atol=1e-12)
    small, large = sorted(weight.shape)
    gram = weight.T @ weight if weight.shape[0] == large else weight @ weight.T
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


@pytest.mark.parametrize("name", ["precision_matrix", "covariance_matrix"])
def test_multivariate_normal_hessian_in_its_matrix_as_pytorch(name):
    # The precision went through inv of the whole matrix: the gradient matched PyTorch
    # but the Hessian was 0.5 off (PyTorch reads one triangle, with a symmetric gradient)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    m = rng.standard_normal((3, 3))
    matrix = m @ m.T + 3 * np.eye(3)
    loc, x = rng.standard_normal(3), rng.standard_normal((4, 3))

    def log_prob(lib, value):
        return lib.distributions.MultivariateNormal(
            lib.tensor(loc), **{name: value}).log_prob(lib.tensor(x)).sum()

    ours = ad.hessian(lambda p: log_prob(ad, p))(ad.tensor(matrix))
    theirs = torch.autograd.functional.hessian(lambda p: log_prob(torch, p),
                                               torch.tensor(matrix))
    np.testing.assert_allclose(np.asarray(getattr(ours, "data", ours)), theirs.numpy(),
                               rtol=1e-9, atol=1e-12)
    p = ad.tensor(matrix, requires_grad=True)
    log_prob(ad, p).backward()
    tp = torch.tensor(matrix, requires_grad=True)
    log_prob(torch, tp).backward()
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make", ["LazyLinear", "LazyBatchNorm1d"])
def test_share_memory_of_lazy_module_is_refused_as_pytorch(make):
    # It did nothing: the values the first call gave the layer were not shared, and a
    # forked worker's updates were silently lost
    torch = pytest.importorskip("torch")
    args = (3,) if make == "LazyLinear" else ()
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        getattr(torch.nn, make)(*args).share_memory()
    module = getattr(nn, make)(*args)
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        module.share_memory()
    with pytest.raises(RuntimeError, match="Can't share memory on an uninitialized"):
        module.weight.share_memory_()
    module(ad.tensor(np.random.default_rng(0).standard_normal((4, 5))))
    module.share_memory()
    assert module.weight.is_shared()


def test_compile_refusal_of_recorded_update_of_shared_tensor_names_the_users_line():
    w = nn.Parameter(np.array([1.0, 2.0]))
    shared = ad.tensor([10.0, 20.0]).share_memory_()

    def step():
        shared.add_(w)
        return (shared * shared).sum()

    with pytest.raises(Exception, match=r"test_review_nn_today\.py:\d+"):
        ad.compile(step)()


def test_share_memory_moves_views_by_indexing_as_pytorch_storage():
    # Views made before the move stayed on the old values (is_shared() False); sharing a
    # view cut it off from the tensor it views (its updates no longer reached the base)
    torch = pytest.importorskip("torch")
    t = ad.tensor([1.0, 2.0, 3.0, 4.0])
    head, tail = t[:2], t[2:]
    inner = head[1:]
    t.share_memory_()
    assert head.is_shared() and tail.is_shared() and inner.is_shared()
    t.data[...] += 100          # a write made without the library, as a forked worker's
    np.testing.assert_array_equal(head.data, [101.0, 102.0])
    np.testing.assert_array_equal(inner.data, [102.0])
    np.testing.assert_array_equal(tail.data, [103.0, 104.0])

    base, tbase = ad.zeros(4), torch.zeros(4, dtype=torch.float64)
    view, tview = base[:2], tbase[:2]
    sibling, tsibling = base[2:], tbase[2:]
    view.share_memory_().add_(1.0)
    tview.share_memory_().add_(1.0)
    np.testing.assert_array_equal(base.data, tbase.numpy())
    assert base.is_shared() and tbase.is_shared()
    assert sibling.is_shared() and tsibling.is_shared()


def test_compiled_step_of_shared_model_keeping_its_gradients_equals_eager():
    x = ad.tensor(np.random.default_rng(2).standard_normal((4, 3)))
    models = [nn.Linear(3, 2, rng=0) for _ in range(2)]
    for model in models:
        model(x).sum().backward()
    models[0].share_memory()
    optimizers = [ad.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in models]

    def step_of(model, optimizer):
        def step():
            optimizer.zero_grad(set_to_none=False)
            loss = (model(x) ** 2).mean()
            loss.backward()
            optimizer.step()
            return loss
        return step

    compiled = ad.compile(step_of(models[0], optimizers[0]))
    eager = step_of(models[1], optimizers[1])
    for _ in range(4):
        assert float(compiled().data) == pytest.approx(float(eager().data), rel=1e-12)
    assert models[0].weight.is_shared()
    np.testing.assert_allclose(models[0].weight.data, models[1].weight.data, rtol=1e-12)
