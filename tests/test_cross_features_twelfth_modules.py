"""The eleventh round's module features (``Sequential`` ``+``, ``+=`` and ``*``,
``nn.init``'s ``layout=``, complex ``nn.Linear``) crossed with ``ad.compile``,
``state_dict`` save and load, PyTorch's checkpoints, the transforms and second order;
compared with PyTorch where it runs them."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

import autodiff as ad

nn = ad.nn
X = np.random.default_rng(1213).standard_normal((5, 3))


def _summed(model):
    return lambda t: model(t).sum()


def _assert_as_eager(compiled_value, eager_value):
    # (a plan fuses tanh and the sum into one loop: float tolerance, not bits)
    np.testing.assert_allclose(compiled_value.data, eager_value.data, rtol=1e-13)


# ----- a plan follows a container that gained or lost layers -------------------------------

@pytest.mark.parametrize("change", ["+=", "extend", "append", "insert", "del"])
def test_a_compiled_call_traces_again_when_a_sequential_changes_its_layers(change):
    # the plan checked only that the layers it read were still there: after `seq +=
    # more` every replay left the new layers out, silently
    seq = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh())
    compiled = ad.compile(_summed(seq))
    compiled(ad.tensor(X))
    {"+=": lambda: seq.__iadd__(nn.Sequential(nn.Linear(3, 2, rng=1))),
     "extend": lambda: seq.extend([nn.Sigmoid()]),
     "append": lambda: seq.append(nn.Sigmoid()),
     "insert": lambda: seq.insert(0, nn.Sigmoid()),
     "del": lambda: seq.__delitem__(1)}[change]()
    for scale in (1.0, 2.0):
        _assert_as_eager(compiled(ad.tensor(X * scale)), seq(ad.tensor(X * scale)).sum())


def test_a_module_list_a_forward_iterates_is_followed_when_it_changes():
    # the ModuleList is iterated, never called: its new block was not seen
    class Blocks(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3, rng=0)])

        def forward(self, t):
            for block in self.blocks:
                t = block(t).tanh()
            return t.sum()

    net = Blocks()
    compiled = ad.compile(net)
    for change in (lambda: None, lambda: net.blocks.append(nn.Linear(3, 3, rng=1)),
                   lambda: net.blocks.__delitem__(0), lambda: None):
        change()
        _assert_as_eager(compiled(ad.tensor(X)), net(ad.tensor(X)))


def test_a_compiled_training_step_after_sequential_addition_trains_every_layer():
    def make():
        head = nn.Sequential(nn.Linear(3, 4, rng=0), nn.Tanh())
        model = head + nn.Sequential(nn.Linear(4, 1, rng=1))
        opt = ad.optim.Adam(model.parameters(), lr=0.01)

        def step(x):
            opt.zero_grad()
            loss = (model(x) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return step, model

    (eager, model_eager), (compiled, model_compiled) = make(), make()
    compiled = ad.compile(compiled)
    for i in range(4):
        x = ad.tensor(X * (1 + i))
        np.testing.assert_allclose(compiled(x).data, eager(x).data, rtol=1e-12)
    for (name, a), (_, b) in zip(model_compiled.named_parameters(),
                                 model_eager.named_parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, err_msg=name)


# ----- state_dict of added and repeated Sequentials -----------------------------------------

def test_an_added_sequential_saves_loads_and_moves_to_pytorch():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU()) + nn.Sequential(
        nn.Linear(4, 2, rng=1))
    buffer = io.BytesIO()
    ad.save(model.state_dict(), buffer)
    buffer.seek(0)
    twin = nn.Sequential(nn.Linear(3, 4, rng=5), nn.ReLU(), nn.Linear(4, 2, rng=6))
    twin.load_state_dict(ad.load(buffer))
    np.testing.assert_array_equal(twin(ad.tensor(X)).data, model(ad.tensor(X)).data)

    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU()) + \
        torch.nn.Sequential(torch.nn.Linear(4, 2))
    reference = reference.double()
    assert list(model.to_torch_state_dict()) == list(reference.state_dict())
    reference.load_state_dict({k: torch.from_numpy(v.copy())
                               for k, v in model.to_torch_state_dict().items()})
    np.testing.assert_allclose(model(ad.tensor(X)).data,
                               reference(torch.from_numpy(X)).detach().numpy(), rtol=1e-14)


def test_a_repeated_sequential_shares_its_layers_in_gradients_and_checkpoints():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 3, rng=0), nn.Tanh()) * 3
    theirs = (torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Tanh()) * 3).double()
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 2
    # PyTorch's checkpoint lists the shared layer under each position: it loads
    ours.load_torch_state_dict(theirs.state_dict())
    np.testing.assert_allclose(ours(ad.tensor(X)).data,
                               theirs(torch.from_numpy(X)).detach().numpy(), rtol=1e-13)
    ours(ad.tensor(X)).sum().backward()
    theirs(torch.from_numpy(X)).sum().backward()
    np.testing.assert_allclose(ours[0].weight.grad, theirs[0].weight.grad.numpy().T,
                               rtol=1e-12)
    # compiled and second order through the shared layer
    compiled = ad.compile(_summed(ours))
    for scale in (1.0, 0.5):
        _assert_as_eager(compiled(ad.tensor(X * scale)), ours(ad.tensor(X * scale)).sum())
    x = ad.tensor(X, requires_grad=True)
    (g,) = ad.autograd.grad(ours(x).sum(), x, create_graph=True)
    (gg,) = ad.autograd.grad((g * g).sum(), x)
    tx = torch.tensor(X, requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(tx).sum(), tx, create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg, tgg.numpy(), rtol=1e-11)


# ----- nn.init layout= ----------------------------------------------------------------------

@pytest.mark.parametrize("init", ["kaiming_uniform_", "kaiming_normal_"])
def test_init_layout_out_in_draws_pytorchs_fans_and_stays_silent(init):
    torch = pytest.importorskip("torch")
    weight = nn.Parameter(np.zeros((300, 40)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(nn.init, init)(weight, layout="out_in", rng=0)
    reference = getattr(torch.nn.init, init)(torch.zeros(300, 40, dtype=torch.float64))
    # the same bound / standard deviation from fan_in = 40 (PyTorch's (out, in)):
    # the spreads agree to sampling error
    assert abs(weight.data.std() / reference.std().item() - 1) < 0.05
    # in a compiled step the re-initialised parameter is what the next call reads
    compiled = ad.compile(lambda t: (t @ weight.T).sum())
    before = compiled(ad.tensor(np.ones((1, 40)))).data
    with ad.no_grad():
        getattr(nn.init, init)(weight, layout="out_in", rng=1)
    np.testing.assert_array_equal(compiled(ad.tensor(np.ones((1, 40)))).data,
                                  (np.ones((1, 40)) @ weight.data.T).sum())
    assert before != compiled(ad.tensor(np.ones((1, 40)))).data
