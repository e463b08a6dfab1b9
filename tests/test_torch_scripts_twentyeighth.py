"""The twenty-eighth round of PyTorch scripts: each is written once against the
``torch`` namespace and run twice, with PyTorch and with autodiff in its place, from
the same initial weights (``torch_side_by_side.side_by_side``), and what they return
(losses, outputs, gradients, parameters after a few steps) is compared to 1e-10 in
float64.  This file: the module utilities around a model -- ``clip_grad_value_`` in a
training loop, a pruning-like mask by ``register_parametrization`` (with ``cached``
and ``remove_parametrizations``), ``ModuleDict`` / ``ParameterDict`` /
``ParameterList`` order and ``state_dict`` keys with a non-persistent buffer,
``named_modules(prefix=, remove_duplicate=False)`` of a shared layer, ``apply`` of an
initialiser with ``train()`` / ``eval()`` and ``requires_grad_`` on a submodule,
``copy.deepcopy`` of a model with its optimizer's state, ``load_state_dict(strict=False)``,
``Sequential`` append / insert / slicing and ``ModuleList`` editing, ``pack_sequence`` and
``pack_padded_sequence`` with ``enforce_sorted=False``, ``Embedding`` with
``padding_idx`` and ``max_norm`` (module and functional), and the activation modules
(``Softmax2d``, ``GLU``, ``Hardswish``, ``SiLU``, ``Mish``, ``ELU``, ``CELU``, ``SELU``,
``Identity``, ``Flatten``, ``Unflatten``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2828)


def test_clip_grad_value_in_a_momentum_training_loop():
    x_in = DATA.normal(size=(4, 3))
    y_in = DATA.normal(size=(4, 2))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        cw(m)
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.5)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = ((m(torch.tensor(x_in)) - torch.tensor(y_in)) ** 2).sum()
            loss.backward()
            nn.utils.clip_grad_value_(m.parameters(), clip_value=0.3)
            losses.append(
                (
                    loss,
                    sum(p.grad.abs().sum() for p in m.parameters()),
                    max(p.grad.abs().max() for p in m.parameters()),
                )
            )
            opt.step()
        vec = nn.utils.parameters_to_vector(m.parameters())
        return losses, m, vec.shape, vec.sum()

    side_by_side(script)


def test_pruning_mask_parametrization_trains_caches_and_is_removed():
    x_in = DATA.normal(size=(3, 4))
    mask = (DATA.random((5, 4)) > 0.4).astype(float)

    def script(torch, cw):
        nn = torch.nn
        P = torch.nn.utils.parametrize

        class Mask(nn.Module):
            def __init__(self, mask):
                super().__init__()
                self.register_buffer("mask", mask)

            def forward(self, w):
                return w * self.mask

        lin = nn.Linear(4, 5)
        cw(lin)
        layout = {} if torch.__name__ == "torch" else {"layout": "out_in"}
        P.register_parametrization(lin, "weight", Mask(torch.tensor(mask)), **layout)
        opt = torch.optim.SGD(lin.parameters(), lr=0.1)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            loss = lin(torch.tensor(x_in)).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        keys = sorted(lin.state_dict().keys())
        with P.cached():
            o = lin(torch.tensor(x_in))
        pz = P.is_parametrized(lin), P.is_parametrized(lin, "bias")
        P.remove_parametrizations(lin, "weight", leave_parametrized=True)
        return losses, keys, o, pz, lin, P.is_parametrized(lin)

    side_by_side(script)


def test_module_dict_parameter_dict_and_list_order_and_state_keys():
    def script(torch, cw):
        nn = torch.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.heads = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.Linear(2, 3)})
                self.scales = nn.ParameterDict(
                    {"z": nn.Parameter(torch.ones(2)), "y": nn.Parameter(torch.zeros(3))}
                )
                self.extra = nn.ParameterList(
                    [nn.Parameter(torch.full((2,), 0.5)) for _ in range(2)]
                )
                self.register_buffer("count", torch.zeros(()), persistent=False)
                self.register_buffer("kept", torch.ones(2))

        m = M()
        cw(m)
        return (
            list(m.heads.keys()),
            list(m.scales.keys()),
            [n for n, _ in m.named_parameters()],
            sorted(m.state_dict().keys()),
            [n for n, _ in m.named_buffers()],
            len(m.extra),
        )

    side_by_side(script)


def test_named_modules_with_prefix_and_duplicates_of_a_shared_layer():
    def script(torch, cw):
        nn = torch.nn
        shared = nn.Linear(2, 2)
        m = nn.Sequential(shared, nn.ReLU(), shared, nn.Sequential(nn.Identity(), shared))
        a = [n for n, _ in m.named_modules(prefix="net")]
        b = [n for n, _ in m.named_modules(remove_duplicate=False)]
        c = [n for n, _ in m.named_parameters(prefix="p", remove_duplicate=False)]
        d = [n for n, _ in m.named_children()]
        return a, b, c, d

    side_by_side(script)


def test_apply_initialiser_train_eval_and_requires_grad_of_a_submodule():
    x_in = DATA.normal(size=(4, 3))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Sequential(
            nn.Linear(3, 4),
            nn.BatchNorm1d(4),
            nn.Dropout(0.5),
            nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.2)),
        )

        @torch.no_grad()
        def init(mod):
            if isinstance(mod, nn.Linear):
                mod.weight.fill_(0.1)
                mod.bias.zero_()

        m.apply(init)
        m.eval()
        flags1 = [mod.training for mod in m.modules()]
        m[3].train()
        flags2 = [mod.training for mod in m.modules()]
        m.train(False)
        out = m(torch.tensor(x_in))
        m[0].requires_grad_(False)
        flags3 = [p.requires_grad for p in m.parameters()]
        return flags1, flags2, out, flags3, m

    side_by_side(script)


def test_deepcopy_of_a_model_and_its_adam_state_continue_alike():
    x_in = DATA.normal(size=(4, 3))
    y_in = DATA.normal(size=(4, 1))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Linear(3, 1)
        cw(m)
        opt = torch.optim.Adam(m.parameters(), lr=0.1)

        def step(model, o):
            o.zero_grad()
            loss = ((model(torch.tensor(x_in)) - torch.tensor(y_in)) ** 2).mean()
            loss.backward()
            o.step()
            return loss

        step(m, opt)
        m2 = copy.deepcopy(m)
        opt2 = torch.optim.Adam(m2.parameters(), lr=0.1)
        opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
        l1 = step(m, opt)
        l2 = step(m2, opt2)
        return l1, l2, m, m2, m2.weight is m.weight

    side_by_side(script)


def test_load_state_dict_not_strict_reports_missing_and_unexpected_keys():
    def script(torch, cw):
        nn = torch.nn
        a = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        cw(a)
        b = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
        sd = a.state_dict()
        sd["extra.weight"] = torch.zeros(1)
        res = b.load_state_dict(sd, strict=False)
        return (
            sorted(res.missing_keys),
            sorted(res.unexpected_keys),
            list(sd.keys()),
            b[1].num_batches_tracked,
            b[0],
        )

    side_by_side(script)


def test_sequential_append_insert_slice_and_module_list_editing():
    x_in = DATA.normal(size=(2, 3))

    def script(torch, cw):
        nn = torch.nn
        s = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh())
        s.append(nn.Linear(4, 2))
        s.insert(1, nn.Dropout(0.0))
        cw(s)
        head = s[:3]
        tail = s[-2:]
        ml = nn.ModuleList([nn.Identity()])
        ml.extend([nn.ReLU(), nn.Sigmoid()])
        ml.insert(0, nn.Tanh())
        del ml[1]
        names = [type(m).__name__ for m in ml]
        x = torch.tensor(x_in)
        keys = list(s.state_dict().keys())
        return s(x), head(x), len(s), names, keys, type(head).__name__, type(tail).__name__

    side_by_side(script)


def test_pack_sequence_unsorted_through_a_gru_and_back():
    seqs = [DATA.normal(size=(n, 3)) for n in (2, 5, 3)]

    def script(torch, cw):
        nn = torch.nn
        rnn = nn.GRU(3, 4, batch_first=True)
        cw(rnn)
        ts = [torch.tensor(s, requires_grad=True) for s in seqs]
        packed = nn.utils.rnn.pack_sequence(ts, enforce_sorted=False)
        out, h = rnn(packed)
        padded, lens = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, padding_value=-1.0)
        (padded.sum() + h.pow(2).sum()).backward()
        return (
            padded,
            lens,
            h,
            [t.grad for t in ts],
            packed.sorted_indices,
            packed.unsorted_indices,
            packed.batch_sizes,
        )

    side_by_side(script)


def test_bidirectional_lstm_over_unsorted_padded_batch_with_mean_pooling():
    lens = [3, 5, 2, 4]
    xs = DATA.normal(size=(4, 5, 3))

    def script(torch, cw):
        nn = torch.nn
        R = torch.nn.utils.rnn
        lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        cw(lstm)
        head = nn.Linear(8, 1)
        cw(head)
        opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=0.01)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            packed = R.pack_padded_sequence(
                torch.tensor(xs), torch.tensor(lens), batch_first=True, enforce_sorted=False
            )
            out, (h, c) = lstm(packed)
            pad, L = R.pad_packed_sequence(out, batch_first=True, total_length=6)
            mask = (torch.arange(6)[None, :] < L[:, None]).unsqueeze(-1)
            pooled = (pad * mask).sum(1) / L[:, None]
            loss = head(pooled).pow(2).mean() + h[-1].sum() * 0.1
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, pad.shape, L, lstm, head

    side_by_side(script)


def test_embedding_modules_with_padding_idx_and_max_norm():
    idx = np.array([[0, 2, 1], [3, 0, 2]])

    def script(torch, cw):
        nn = torch.nn
        e = nn.Embedding(5, 3, padding_idx=0)
        cw(e)
        e2 = nn.Embedding(5, 3, max_norm=0.5, norm_type=2.0)
        cw(e2)
        i = torch.tensor(idx)
        out = e(i)
        out2 = e2(i)
        (out.pow(2).sum() + out2.sum()).backward()
        return out, out2, e.weight.grad, e2.weight.grad, e2.weight

    side_by_side(script)


def test_functional_embedding_padding_idx_max_norm_and_embedding_bag():
    idx = np.array([[0, 2, 1], [3, 0, 4]])
    w_in = DATA.normal(size=(5, 3)) * 2

    def script(torch, cw):
        F = torch.nn.functional
        w = torch.tensor(w_in, requires_grad=True)
        o1 = F.embedding(torch.tensor(idx), w, padding_idx=0)
        w2 = torch.tensor(w_in.copy()).requires_grad_()
        with torch.no_grad():
            pass
        o2 = F.embedding(torch.tensor(idx), w2, max_norm=1.0, norm_type=1.0)
        (o1.pow(2).sum() + o2.pow(2).sum()).backward()
        bag = F.embedding_bag(
            torch.tensor([1, 2, 4, 4, 3]), torch.tensor(w_in), torch.tensor([0, 2]), mode="mean"
        )
        return o1, o2, w.grad, w2.grad, w2.detach(), bag

    side_by_side(script)


def test_activation_and_reshaping_modules_and_their_gradients():
    x_in = DATA.normal(size=(2, 4, 3, 3))

    def script(torch, cw):
        nn = torch.nn
        x = torch.tensor(x_in, requires_grad=True)
        mods = [
            nn.Softmax2d(),
            nn.GLU(dim=1),
            nn.Hardswish(),
            nn.SiLU(),
            nn.Mish(),
            nn.ELU(alpha=0.7),
            nn.CELU(alpha=1.25),
            nn.SELU(),
            nn.Identity(54),
            nn.Flatten(1, 2),
            nn.Flatten(),
        ]
        outs = [m(x) for m in mods]
        u = nn.Unflatten(1, (2, 2))(x)
        u2 = nn.Unflatten(-1, (3, 1))(x)
        sum((o * o).sum() for o in outs + [u, u2]).backward()
        return outs, u, u2, x.grad

    side_by_side(script)
