"""Constants a compiled step makes with NumPy in the user's modules that it reaches
only by calling objects: ``model(x)`` (``Module.__call__`` -> ``forward``, in another
module, as PyTorch code is laid out), ``super().forward(x)``, ``Net.helper(self, h)``,
a submodule's ``forward``, and the methods of an object made in the call
(``Loss()(y)``).  The step replays as eager execution does, bit for bit unfused, and a
constant changed between calls (a module's number, an array written in place, a
list's entry, an object's attribute, a method rebound) traces again: never stale."""


import numpy as np
import pytest

import autodiff as ad

LAYERS = """
    import numpy as np
    import autodiff as ad

    RATE = 0.5
    WEIGHTS = np.array([1.0, 2.0, 3.0])

    class Base(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = ad.nn.Parameter(ad.tensor(np.array([0.5, -1.0, 0.25])))

        def forward(self, x):
            return x * self.w + np.arange(3) * RATE

    class Block(ad.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = 2.0

        def forward(self, h):
            return Block.squash(h) * WEIGHTS * self.scale

        @staticmethod
        def squash(h):
            return ad.tanh(h) + np.linspace(0.0, 1.0, 3)
"""
NET = """
    import numpy as np
    from {layers} import Base, Block

    OFFSETS = [0.5, -0.5, 1.0]

    class Net(Base):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.targets = [1.0, 0.0, -1.0]

        def forward(self, x):
            h = super().forward(x)
            return Net.helper(self, self.block(h)) + self.shift()

        def helper(self, h):
            return h - np.array(self.targets)

        def shift(self):
            return np.array(OFFSETS) * np.ones(3)

    class Loss:
        def __init__(self):
            self.power = 2

        def __call__(self, y):
            return (self.weighted(y) ** self.power).sum()

        def weighted(self, y):
            return y * np.full(3, 0.75)
"""
TRAIN = """
    import autodiff as ad
    from {net} import Net, Loss

    def make_step():
        model = Net()
        opt = ad.optim.SGD(model.parameters(), lr=0.01)

        def step(x):
            opt.zero_grad()
            loss = Loss()(model(x))
            loss.backward()
            opt.step()
            return loss
        return step, model
"""


@pytest.fixture
def modules(write_modules):
    """``(train, net, layers)`` written into ``tmp_path`` and imported: the step in
    ``train`` calls a ``Net`` of ``net``, whose bases and blocks are in ``layers``."""
    loaded = write_modules({"train": TRAIN, "net": NET, "layers": LAYERS})
    return loaded["train"], loaded["net"], loaded["layers"]


def run_step(train, changes):
    """``train.make_step()`` compiled (unfused) and an eager twin, called once per
    entry of ``changes`` (a function of both models run before the call, or None),
    comparing loss, gradient and weight bit for bit (NumPy's own ops on float64);
    the compiled function."""
    step, model = train.make_step()
    eager, eager_model = train.make_step()
    compiled = ad.compile(step, fuse=False)
    rng = np.random.default_rng(7)
    for change in changes:
        if change is not None:
            change(model, eager_model)
        x = rng.normal(size=3) * 0.1
        expected, got = eager(ad.tensor(x)), compiled(x)
        np.testing.assert_array_equal(got.data, expected.data)
        np.testing.assert_array_equal(model.w.grad, eager_model.w.grad)
        np.testing.assert_array_equal(model.w.data, eager_model.w.data)
    return compiled


def test_a_model_called_as_model_x_replays_its_constants(modules):
    train, _, _ = modules
    assert run_step(train, [None] * 4).traces == 1


@pytest.mark.parametrize("what", ["rate", "weights in place", "module list entry",
                                  "object list entry", "object list rebound",
                                  "block setting"])
def test_a_constant_changed_between_calls_traces_again(modules, what):
    train, net, layers = modules

    def change(model, eager_model):
        if what == "rate":
            layers.RATE = 3.0                   # (read by Base.forward: super())
        elif what == "weights in place":
            layers.WEIGHTS[0] = 5.0             # (read by the block's forward)
        elif what == "module list entry":
            net.OFFSETS[1] = 4.0                # (read by self.shift())
        elif what == "object list entry":
            model.targets[0] = eager_model.targets[0] = 2.0   # (Net.helper(self, h))
        elif what == "object list rebound":
            model.targets = [0.0, 0.0, 3.0]
            eager_model.targets = [0.0, 0.0, 3.0]
        else:
            model.block.scale = eager_model.block.scale = 0.5
    assert run_step(train, [None, None, change, None]).traces == 2


@pytest.mark.parametrize("what", ["static method", "method of an object made in the call"])
def test_a_method_rebound_between_calls_traces_again(modules, what):
    train, net, layers = modules
    owner, name = ((layers.Block, "squash") if what == "static method"
                   else (net.Loss, "weighted"))
    original = vars(owner)[name]

    def rebind(model, eager_model):
        if what == "static method":
            owner.squash = staticmethod(lambda h: h * np.array([2.0, 0.0, 1.0]))
        else:
            owner.weighted = lambda self, y: y * np.array([2.0, 0.0, 1.0])
    try:
        compiled = run_step(train, [None, None, rebind, None])
    finally:
        setattr(owner, name, original)
    assert compiled.traces == 2


def test_a_number_of_an_object_made_in_the_call_changed_by_its_class_traces_again(modules):
    train, net, _ = modules
    original = net.Loss.__init__

    def power_three(self):
        self.power = 3

    def change(model, eager_model):
        net.Loss.__init__ = power_three
    try:
        compiled = run_step(train, [None, change, None])
    finally:
        net.Loss.__init__ = original
    assert compiled.traces == 2


def test_a_model_compiled_itself_replays_its_constants_and_sees_changes(modules):
    _, net, layers = modules
    model = net.Net()
    compiled = ad.compile(model, fuse=False)
    x = np.linspace(-1.0, 1.0, 3)
    with ad.no_grad():
        for call in range(4):
            if call == 2:
                layers.RATE = 3.0
            np.testing.assert_array_equal(compiled(x).data, model(ad.tensor(x)).data)
    assert compiled.traces == 2


class Critic(ad.nn.Module):
    def __init__(self):
        super().__init__()
        self.beta = 0.5

    def penalty(self, w):
        return (w * w).sum() * self.beta


critic = Critic()


def regularized(w):
    return critic.penalty(w) + w.sum()


def test_a_setting_of_a_module_only_a_helper_names_is_checked():
    # (the module's own settings are left to the plan's flags only for the modules
    # the step names: this one is named by the helper it calls)
    w = ad.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)

    def step(x):
        return regularized(w + x)
    compiled = ad.compile(ad.no_grad()(step), fuse=False)
    x = np.zeros(3)
    assert compiled(x).item() == compiled(x).item() == step(x).item()
    critic.beta = 2.0
    assert compiled(x).item() == step(x).item()
    assert compiled.traces == 2
