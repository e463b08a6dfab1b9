"""The twenty-eighth round of PyTorch scripts, training utilities (see
test_torch_scripts_twentyeighth.py for the method): ``unpad_sequence`` /
``unpack_sequence``, ``autograd.grad(is_grads_batched=True)`` for a Jacobian by rows,
an optimizer per parameter stepped from ``register_post_accumulate_grad_hook``
("optimizer in backward"), ``clip_grad_norm_`` in the inf-, 1- and 2-norms with
``foreach`` and ``error_if_nonfinite`` beside ``get_total_norm``, ``F.normalize`` of a
zero row with ``cdist``'s compute modes and ``p`` of 0.5 and inf, ``add_module`` /
``register_module`` / ``register_parameter(name, None)`` / ``get_parameter``, label
smoothing from ``one_hot`` beside ``scatter_`` targets, and resuming from deep copies
of a model's and an optimizer's ``state_dict``.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2831)


def test_unpad_sequence_and_unpack_sequence_give_the_pieces_back():
    seqs = [DATA.normal(size=(n, 2)) for n in (3, 1, 4)]

    def script(torch, cw):
        R = torch.nn.utils.rnn
        ts = [torch.tensor(s, requires_grad=True) for s in seqs]
        padded = R.pad_sequence(ts, batch_first=True)
        back = R.unpad_sequence(padded, torch.tensor([3, 1, 4]), batch_first=True)
        packed = R.pack_sequence(ts, enforce_sorted=False)
        back2 = R.unpack_sequence(packed)
        sum((b * (k + 1)).sum() for k, b in enumerate(back + back2)).backward()
        return padded, back, back2, [t.grad for t in ts]

    side_by_side(script)


def test_autograd_grad_batched_over_rows_and_over_two_outputs():
    x_in = DATA.normal(size=(3,))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        y = x.sin() * 2
        eye = torch.eye(3)
        (jac,) = torch.autograd.grad(y, x, grad_outputs=eye, is_grads_batched=True)
        a = torch.tensor(x_in, requires_grad=True)
        o1, o2 = a.exp(), a.cos()
        g = torch.autograd.grad([o1, o2], [a], grad_outputs=[torch.ones(3), torch.full((3,), 2.0)])
        return jac, g

    side_by_side(script)


def test_optimizer_in_backward_by_post_accumulate_grad_hooks():
    x_in = DATA.normal(size=(5, 3))
    y_in = DATA.normal(size=(5, 1))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
        cw(m)
        opts = {p: torch.optim.SGD([p], lr=0.05, momentum=0.9) for p in m.parameters()}

        def hook(p):
            opts[p].step()
            opts[p].zero_grad()

        for p in m.parameters():
            p.register_post_accumulate_grad_hook(hook)
        losses = []
        for _ in range(3):
            loss = ((m(torch.tensor(x_in)) - torch.tensor(y_in)) ** 2).mean()
            loss.backward()
            losses.append(loss)
        return losses, m, [p.grad for p in m.parameters()]

    side_by_side(script)


def test_clip_grad_norm_in_three_norms_and_get_total_norm():
    x_in = DATA.normal(size=(4, 3))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 2))
        cw(m)
        (m(torch.tensor(x_in)) ** 3).sum().backward()
        n1 = nn.utils.clip_grad_norm_(m.parameters(), 0.5, norm_type=float("inf"), foreach=True)
        n2 = nn.utils.clip_grad_norm_(m.parameters(), 0.25, norm_type=1.0, error_if_nonfinite=True)
        n3 = nn.utils.clip_grad_norm_(m[0].parameters(), 10.0)
        gn = nn.utils.get_total_norm([p.grad for p in m.parameters()], norm_type=3.0)
        return n1, n2, n3, gn, sum(p.grad.abs().sum() for p in m.parameters())

    side_by_side(script)


def test_normalize_of_a_zero_row_and_cdist_compute_modes():
    a_in = np.vstack([np.zeros(3), DATA.normal(size=(3, 3))])
    b_in = DATA.normal(size=(5, 3))

    def script(torch, cw):
        F = torch.nn.functional
        a = torch.tensor(a_in, requires_grad=True)
        b = torch.tensor(b_in, requires_grad=True)
        n = F.normalize(a, dim=1)
        c1 = torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist")
        c2 = torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")
        c3 = torch.cdist(a[1:], b, p=0.5)
        c4 = torch.cdist(a[1:], b, p=float("inf"))
        cs = F.cosine_similarity(a[1:, None, :], b[None], dim=-1)
        (n.sum() + c1.sum() + c2.pow(2).sum() + c3.sum() + c4.sum() + cs.sum()).backward()
        return n, c1, c2, c3, c4, cs, a.grad, b.grad

    side_by_side(script, tol=1e-9)


def test_add_module_register_module_and_parameter_registry():
    def script(torch, cw):
        nn = torch.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(2, 2)
                self.add_module("b", nn.ReLU())
                self.register_module("c", nn.Linear(2, 1))
                self.register_parameter("scale", nn.Parameter(torch.ones(1)))
                self.register_buffer("step", torch.zeros((), dtype=torch.int64))

        net = Net()
        cw(net)
        net.a = nn.Linear(2, 2, bias=False)
        before = [n for n, _ in net.named_children()]
        del net.b
        after = [n for n, _ in net.named_children()]
        own = [n for n, _ in net.named_parameters(recurse=False)]
        allp = [n for n, _ in net.named_parameters()]
        net.register_parameter("scale", None)
        keys = list(net.state_dict().keys())
        net.zero_grad()
        return (
            before,
            after,
            own,
            allp,
            keys,
            net.get_submodule("c").out_features,
            net.get_parameter("c.bias").shape[0],
        )

    side_by_side(script)


def test_one_hot_label_smoothing_beside_scatter_targets():
    labels = np.array([2, 0, 3, 3, 1])
    logits_in = DATA.normal(size=(5, 4))

    def script(torch, cw):
        F = torch.nn.functional
        y = torch.tensor(labels)
        oh = F.one_hot(y)
        oh2 = F.one_hot(y, -1)
        smooth = oh.float() * 0.9 + 0.1 / 4
        z = torch.tensor(logits_in, requires_grad=True)
        loss = -(smooth.to(z.dtype) * F.log_softmax(z, dim=1)).sum(1).mean()
        tgt = torch.zeros(5, 4).scatter_(1, y.unsqueeze(1), 1.0)
        loss2 = F.binary_cross_entropy_with_logits(z, tgt)
        (loss + loss2).backward()
        return oh, oh2, str(smooth.dtype).split(".")[-1], loss, loss2, z.grad

    side_by_side(script)


def test_resuming_from_deepcopied_model_and_optimizer_state_dicts():
    x_in = DATA.normal(size=(4, 2))
    y_in = DATA.normal(size=(4, 1))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Linear(2, 1)
        cw(m)
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)

        def step():
            opt.zero_grad()
            loss = ((m(torch.tensor(x_in)) - torch.tensor(y_in)) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        step()
        saved = copy.deepcopy(opt.state_dict())
        w_saved = copy.deepcopy(m.state_dict())
        l1 = [step(), step()]
        m.load_state_dict(w_saved)
        opt.load_state_dict(saved)
        l2 = [step(), step()]
        return l1, l2, m

    side_by_side(script)
