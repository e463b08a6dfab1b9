"""ad.nn: Parameter, Module, the layers, and models trained end to end."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import functional as F

RNG = np.random.default_rng(7)


# ----- Parameter ---------------------------------------------------------------------

def test_parameter_is_a_float_leaf_that_requires_grad():
    p = nn.Parameter([[1, 2], [3, 4]], name="w")
    assert isinstance(p, ad.Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float64 and p.name == "w"
    assert nn.Parameter(np.ones(2, dtype=np.float32)).dtype == np.float32
    source = np.zeros(3)
    q = nn.Parameter(source)
    q.data += 1
    assert source.sum() == 0                      # the data is copied
    with pytest.raises(TypeError, match=r"Parameter: needs floating-point or complex data.*int64"):
        nn.Parameter(np.arange(3))
    assert "Parameter(" in repr(p) and "name='w'" in repr(p)


# ----- Module registration -----------------------------------------------------------

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2))
        self.inner = nn.Linear(2, 2, rng=0)
        self.heads = [nn.Linear(2, 1, rng=1), nn.Linear(2, 1, rng=2)]
        self.extra = [nn.Parameter([0.5]), nn.Parameter([1.5])]
        self.not_a_param = ad.tensor([1.0], requires_grad=True)
        self.size = 2

    def forward(self, x):
        h = self.inner(x * self.scale)
        return self.heads[0](h) + self.heads[1](h) * self.extra[0] + self.extra[1]


def test_named_parameters_are_registered_with_dotted_names():
    block = Block()
    names = [n for n, _ in block.named_parameters()]
    assert names == ["scale", "inner.weight", "inner.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias", "extra.0", "extra.1"]
    assert len(list(block.parameters())) == 9
    assert block.num_parameters() == 2 + 6 + 3 + 3 + 1 + 1
    assert isinstance(block.heads, nn.ModuleList) and len(block.heads) == 2
    # Parameters learn their full name, for graphs and warnings.
    assert block.inner.weight.name == "inner.weight"
    assert block.heads[1].bias.name == "heads.1.bias"
    assert nn.MLP([2, 3, 1]).layers[1].weight.name == "layers.1.weight"
    assert nn.Sequential(nn.Linear(2, 2))[0].bias.name == "0.bias"
    assert nn.Parameter([1.0], name="mine").name == "mine"
    holder = nn.Sequential(nn.Linear(1, 1))
    holder[0].weight.name = "custom"
    holder.other = nn.Linear(1, 1)
    assert holder[0].weight.name == "custom"          # a name the user set is kept


def test_reassigning_and_deleting_attributes_updates_registration():
    block = Block()
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    del block.inner
    assert not any(n.startswith("inner") for n, _ in block.named_parameters())


def test_assigning_a_non_parameter_to_a_parameter_raises_as_in_pytorch():
    # PyTorch: TypeError "cannot assign 'torch.FloatTensor' as parameter 'weight'
    # (torch.nn.Parameter or None expected)", instead of dropping the parameter.
    lin = nn.Linear(2, 3, rng=0)
    weight = lin.weight
    for value, given in [(ad.tensor(np.ones((2, 3)), requires_grad=True), "'Tensor'"),
                         (np.ones((2, 3)), "'ndarray'"), (nn.Linear(2, 3), "'Linear'")]:
        with pytest.raises(TypeError, match=rf"Linear: cannot assign {given}.* as parameter "
                                            r"'weight' \(a Parameter or None expected\).*"
                                            r"nn.Parameter\(value\).*load_state_dict"):
            lin.weight = value
    assert lin.weight is weight and list(lin.state_dict()) == ["weight", "bias"]
    lin.weight = nn.Parameter(np.ones((2, 3)))       # a new Parameter replaces it in place
    assert list(lin.state_dict()) == ["weight", "bias"] and lin.state_dict()["weight"].sum() == 6
    lin.bias = None                                  # None keeps the name, unset
    assert lin.bias is None and list(lin.state_dict()) == ["weight"]
    with pytest.raises(TypeError, match="as parameter 'bias'"):
        lin.bias = np.zeros(3)
    lin.bias = nn.Parameter(np.zeros(3))
    assert list(lin.state_dict()) == ["weight", "bias"]
    with pytest.raises(TypeError, match="as parameter 'bias'"):
        nn.Linear(2, 3, bias=False).bias = np.zeros(3)
    del lin.weight                                   # then a plain tensor may stand in
    lin.weight = ad.tensor(np.ones((2, 3)))
    assert [n for n, _ in lin.named_parameters()] == ["bias"]


def test_assigning_to_a_submodule_or_buffer_follows_pytorch():
    block = Block()
    for value in (ad.tensor([1.0]), 3.0):
        with pytest.raises(TypeError, match=r"Block: cannot assign '(Tensor|float)'.* as "
                                            r"submodule 'inner' \(a Module or None expected\)"):
            block.inner = value
    assert isinstance(block.inner, nn.Linear)
    block.inner = nn.Linear(2, 2, rng=3)
    assert "inner.weight" in block.state_dict()
    block.inner = None
    assert "inner" not in dict(block.named_children())
    assert not any(n.startswith("inner") for n in block.state_dict())
    with pytest.raises(TypeError, match="as submodule 'inner'"):
        block.inner = np.ones(2)
    block.inner = nn.Parameter([2.0])                # a Parameter takes the name over
    assert "inner" in block.state_dict()
    block.register_buffer("steps", np.zeros(()))
    block.steps = ad.tensor(5.0)                     # a tensor replaces a buffer's array
    assert block.state_dict()["steps"] == 5 and isinstance(block.steps, np.ndarray)


def test_shared_parameter_is_listed_once():
    a = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(a, nn.ReLU(), a)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]


def test_module_needs_super_init():
    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter([1.0])
    with pytest.raises(AttributeError, match=r"Broken: call super\(\).__init__\(\)"):
        Broken()


def test_zero_grad_and_call_forward():
    block = Block()
    out = block(ad.tensor(RNG.standard_normal((3, 2))))
    out.sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())


def test_repr_is_readable():
    text = repr(nn.MLP([2, 64, 3], rng=0))
    assert "MLP(sizes=[2, 64, 3]" in text
    assert "(0): Linear(2, 64)" in text and "(1): Linear(64, 3)" in text
    assert "(activation): ReLU()" in text
    assert repr(nn.Linear(3, 1, bias=False, dtype=np.float32)) == \
        "Linear(3, 1, bias=False, dtype=float32)"


# ----- state_dict ----------------------------------------------------------------------

def test_state_dict_is_a_copy_and_round_trips_bit_exactly(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4, rng=0, dtype=np.float32), nn.Tanh(),
                          nn.Linear(4, 2, rng=1))
    sd = model.state_dict()
    assert sorted(sd) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    sd["0.weight"][:] = 0
    assert np.any(model[0].weight.data != 0)
    path = tmp_path / "model.npz"
    np.savez(path, **model.state_dict())
    other = nn.Sequential(nn.Linear(3, 4, rng=5, dtype=np.float32), nn.Tanh(),
                          nn.Linear(4, 2, rng=6))
    with np.load(path, allow_pickle=False) as loaded:
        other.load_state_dict(loaded)
    for (name, p), (_, q) in zip(model.named_parameters(), other.named_parameters()):
        assert p.dtype == q.dtype
        assert p.data.tobytes() == q.data.tobytes(), name


def test_load_state_dict_errors_name_the_problem_and_change_nothing():
    model = nn.Linear(3, 2, rng=0)
    before = model.weight.data.copy()
    good = model.state_dict()
    with pytest.raises(KeyError, match=r"missing keys \['bias'\]"):
        model.load_state_dict({"weight": good["weight"]})
    with pytest.raises(KeyError, match=r"unexpected keys \['scale'\]"):
        model.load_state_dict({**good, "scale": np.ones(1)})
    bad = {"weight": np.zeros((2, 3)), "bias": np.zeros(2)}
    with pytest.raises(ValueError, match=r"'weight' has shape \(2, 3\) .* shape \(3, 2\)"):
        model.load_state_dict(bad)
    np.testing.assert_array_equal(model.weight.data, before)


# ----- Linear ----------------------------------------------------------------------

def test_linear_computes_x_at_w_plus_b_and_init_is_seeded():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(layer(ad.tensor(x)).data, x @ layer.weight.data + layer.bias.data)
    bound = 1 / np.sqrt(3)
    assert np.all(np.abs(layer.weight.data) <= bound)
    np.testing.assert_array_equal(nn.Linear(3, 2, rng=0).weight.data, layer.weight.data)
    assert not np.array_equal(nn.Linear(3, 2, rng=1).weight.data, layer.weight.data)
    nn.manual_seed(3)
    a = nn.Linear(3, 2)
    nn.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(3, 2).weight.data, a.weight.data)
    big = nn.Linear(400, 50, rng=0).weight.data
    assert big.min() > -0.05 and big.max() < 0.05 and abs(big.mean()) < 0.002


def test_layers_never_touch_numpys_global_random_state():
    state = np.random.get_state()[1].copy()
    nn.Linear(5, 5)
    nn.Embedding(5, 3)
    nn.MLP([2, 3, 1])
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_linear_gradcheck_and_dtype():
    x = RNG.standard_normal((4, 3))
    w = RNG.standard_normal((3, 2))
    b = RNG.standard_normal(2)

    def f(x, w, b):
        layer = nn.Linear(3, 2)
        del layer.weight, layer.bias      # so that plain tensors can stand in for them
        layer.weight, layer.bias = w, b
        return layer(x)
    assert ad.gradcheck(f, [x, w, b])
    layer32 = nn.Linear(3, 2, rng=0, dtype=np.float32)
    out = layer32(ad.tensor(x.astype(np.float32)))
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer32.weight.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): the input's last axis must have "
                                         r"size 3.*\(4, 2\)"):
        layer32(ad.tensor(np.zeros((4, 2), dtype=np.float32)))
    assert nn.Linear(3, 2, bias=False).bias is None


# ----- Embedding ---------------------------------------------------------------------

def test_embedding_equals_indexing_and_one_hot_matmul():
    emb = nn.Embedding(6, 3, rng=0)
    table = nn.Parameter(emb.weight.data)
    ids = np.array([4, 1, 4, 4, 0])
    g = RNG.standard_normal((5, 3))
    out_emb = emb(ids)
    out_idx = table[ids]
    onehot_table = nn.Parameter(emb.weight.data)
    onehot = np.eye(6)[ids]
    out_mm = ad.tensor(onehot) @ onehot_table
    np.testing.assert_array_equal(out_emb.data, out_idx.data)
    np.testing.assert_allclose(out_mm.data, out_emb.data, rtol=1e-15)
    for out in (out_emb, out_idx, out_mm):
        out.backward(g)
    np.testing.assert_array_equal(emb.weight.grad, table.grad)
    np.testing.assert_allclose(onehot_table.grad, emb.weight.grad, rtol=1e-14)
    np.testing.assert_allclose(emb.weight.grad[4], g[[0, 2, 3]].sum(axis=0))  # repeats add up
    np.testing.assert_array_equal(emb.weight.grad[[2, 3, 5]], 0)


def test_embedding_shapes_and_gradcheck():
    emb = nn.Embedding(5, 2, rng=0)
    assert emb(np.array([[0, 1, 1], [4, 4, 2]])).shape == (2, 3, 2)
    assert emb(3).shape == (2,)
    ids = np.array([[0, 3], [3, 3]])

    def f(w):
        e = nn.Embedding(5, 2)
        del e.weight
        e.weight = w
        return e(ids)
    assert ad.gradcheck(f, [RNG.standard_normal((5, 2))])


def test_embedding_rejects_bad_ids():
    emb = nn.Embedding(4, 2, rng=0)
    with pytest.raises(IndexError, match=r"Embedding\(4, 2\): id -1 is negative.*\[0, 4\)"):
        emb([0, -1])
    with pytest.raises(IndexError, match=r"Embedding\(4, 2\): id 4 is out of range for 4 rows"):
        emb(np.array([3, 4]))
    with pytest.raises(TypeError, match=r"Embedding\(4, 2\): ids must be integers.*float64"):
        emb(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"Embedding\(4, 2\): ids must be integers.*bool"):
        emb(np.array([True, False]))


# ----- Bump ----------------------------------------------------------------------------

def bump_reference(x, s):
    inside = np.abs(x) < min(s, np.sqrt(s))
    safe = np.where(inside, x * x, 0.0)
    return np.where(inside, np.exp(-s / (s - safe)), 0.0)


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_bump_finite_everywhere(sigma):
    bump = nn.Bump(sigma=sigma)
    x = ad.tensor(np.linspace(-3, 3, 601), requires_grad=True)
    out = bump(x)
    np.testing.assert_allclose(out.data, bump_reference(x.data, sigma), rtol=1e-14)
    assert np.all(np.isfinite(out.data))
    out.sum().backward()
    assert np.all(np.isfinite(x.grad)) and np.isfinite(bump.sigma.grad)
    assert np.all(x.grad[np.abs(x.data) >= min(sigma, np.sqrt(sigma))] == 0)
    # at the edge of the support, |x| -> sqrt(sigma) for sigma > 1, the value goes to 0
    if sigma > 1:
        edge = np.sqrt(sigma) - 1e-9
        assert bump(ad.tensor([edge])).item() < 1e-100


@pytest.mark.parametrize("sigma", [0.5, 2.0])
def test_bump_gradcheck(sigma):
    x = np.array([-0.4, -0.1, 0.0, 0.2, 0.3, 2.5])     # away from the support's edge

    def f(x, s):
        bump = nn.Bump(sigma=1.0)
        del bump.sigma
        bump.sigma = s
        return bump(x)
    assert ad.gradcheck(f, [x, np.array(sigma)])
    with pytest.raises(ValueError, match="Bump: sigma must be > 0"):
        nn.Bump(sigma=0.0)


def test_bump_learns_sigma():
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.1, 0.1, 200)
    with ad.no_grad():
        target = nn.Bump(sigma=0.5)(x).data
    bump = nn.Bump(sigma=0.08)
    opt = ad.optim.Adam(bump.parameters(), lr=0.02)
    for _ in range(1000):
        loss = F.mse_loss(bump(x), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert abs(float(bump.sigma.data) - 0.5) < 1e-2


# ----- Sequential, MLP, activations ---------------------------------------------------

def test_activation_modules():
    x = ad.tensor(RNG.standard_normal(5))
    np.testing.assert_array_equal(nn.ReLU()(x).data, ad.relu(x).data)
    np.testing.assert_array_equal(nn.Sigmoid()(x).data, ad.sigmoid(x).data)
    np.testing.assert_array_equal(nn.Tanh()(x).data, ad.tanh(x).data)
    np.testing.assert_array_equal(nn.LeakyReLU(0.2)(x).data, ad.leaky_relu(x, 0.2).data)


def test_sequential_and_mlp_compose_layers():
    seq = nn.Sequential(nn.Linear(2, 5, rng=0), nn.Tanh(), nn.Linear(5, 3, rng=1))
    x = RNG.standard_normal((4, 2))
    manual = np.tanh(x @ seq[0].weight.data + seq[0].bias.data) @ seq[2].weight.data \
        + seq[2].bias.data
    np.testing.assert_allclose(seq(ad.tensor(x)).data, manual)
    assert len(seq) == 3 and isinstance(seq[1:], nn.Sequential)
    with pytest.raises(TypeError,
                       match=r"Sequential: layer 1 \(<function relu .*\) is not a Module"):
        nn.Sequential(nn.Linear(2, 2), F.relu)

    mlp = nn.MLP([2, 5, 3], activation="tanh", rng=0)
    assert [n for n, _ in mlp.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    mlp.load_state_dict({"layers.0.weight": seq[0].weight.data, "layers.0.bias": seq[0].bias.data,
                         "layers.1.weight": seq[2].weight.data, "layers.1.bias": seq[2].bias.data})
    np.testing.assert_allclose(mlp(ad.tensor(x)).data, manual)  # no activation after the last
    assert ad.gradcheck(lambda t: nn.MLP([2, 3, 2], rng=0)(t), [x])
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'swish'"):
        nn.MLP([2, 3], activation="swish")


def test_mlp_learns_the_spiral():
    X, y = ad.data.spiral(100, 3, seed=0)
    net = nn.MLP([2, 64, 3], rng=0)
    opt = ad.optim.Adam(net.parameters(), lr=0.05)
    inputs = ad.tensor(X)
    for _ in range(1500):
        loss = F.cross_entropy(net(inputs), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with ad.no_grad():
        accuracy = np.mean(net(inputs).data.argmax(axis=1) == y)
    assert accuracy >= 0.9


# ----- a recommender, and resuming training ------------------------------------------

class DotBias(nn.Module):
    def __init__(self, n_users, n_items, k, rng):
        super().__init__()
        self.user_factors = nn.Embedding(n_users, k, std=0.01, rng=rng)
        self.item_factors = nn.Embedding(n_items, k, std=0.01, rng=rng)
        self.user_bias = nn.Embedding(n_users, 1, std=0.01, rng=rng)
        self.item_bias = nn.Embedding(n_items, 1, std=0.01, rng=rng)

    def forward(self, users, items):
        dot = (self.user_factors(users) * self.item_factors(items)).sum(axis=1)
        score = dot + self.user_bias(users)[:, 0] + self.item_bias(items)[:, 0]
        return F.sigmoid_range(score, 0.5, 5.5)


def test_dot_product_bias_recommender_beats_the_mean():
    users, items, r = ad.data.ratings(100, 80, 4000, seed=0)
    train, valid = slice(0, 3200), slice(3200, None)
    model = DotBias(100, 80, 8, np.random.default_rng(0))
    opt = ad.optim.Adam(model.parameters(), lr=0.03, weight_decay=1e-3)
    for _ in range(150):
        loss = F.mse_loss(model(users[train], items[train]), r[train])
        opt.zero_grad()
        loss.backward()
        opt.step()
    with ad.no_grad():
        valid_mse = F.mse_loss(model(users[valid], items[valid]), r[valid]).item()
    baseline = np.mean((r[valid] - r[train].mean()) ** 2)
    assert valid_mse < 0.4 * baseline


def train_steps(model, opt, X, y, steps):
    for _ in range(steps):
        loss = F.cross_entropy(model(ad.tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_training_resumes_identically_from_saved_state(tmp_path):
    X, y = ad.data.spiral(20, 3, seed=1)
    model = nn.MLP([2, 8, 3], rng=0)
    opt = ad.optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, opt, X, y, 5)
    np.savez(tmp_path / "model.npz", **model.state_dict())
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    train_steps(model, opt, X, y, 5)

    resumed = nn.MLP([2, 8, 3], rng=99)
    opt2 = ad.optim.Adam(resumed.parameters(), lr=0.01)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as state:
        resumed.load_state_dict(state)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as state:
        opt2.load_state_dict(state)
    train_steps(resumed, opt2, X, y, 5)
    for (name, a), (_, b) in zip(model.named_parameters(), resumed.named_parameters()):
        assert a.data.tobytes() == b.data.tobytes(), name
