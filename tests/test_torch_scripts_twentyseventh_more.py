"""The twenty-seventh round of PyTorch scripts, more (see
test_torch_scripts_twentyseventh.py for the method): parametrizations stacked on one
model (``weight_norm``, ``orthogonal``, a user's symmetric one) under training, an
``EmbeddingBag`` with offsets and per-sample weights, a bidirectional LSTM over
``pack_padded_sequence(enforce_sorted=False)``, a custom ``autograd.Function`` with
``needs_input_grad``, and a resumed run (model and optimizer ``state_dict``) that
matches the uninterrupted one.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(27327)


def test_stacked_parametrizations_train():
    inputs, goal = DATA.normal(size=(6, 4)), DATA.normal(size=(6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        P = nn.utils.parametrizations

        class Symmetric(nn.Module):
            def forward(self, w):
                # (w.triu(1).transpose(0, 1) is refused here: NumPy reads it as no change)
                return w.triu() + w.triu(1).T

        first, second, third = nn.Linear(4, 4), nn.Linear(4, 4), nn.Linear(4, 4)
        copy_weights(first, second, third)
        P.weight_norm(first, dim=0)
        P.orthogonal(second, orthogonal_map="cayley")
        # (triu sees the layout: autodiff's Linear.weight is (in, out) and registering
        # warns unless layout="out_in" asks for PyTorch's view)
        layout = {} if torch.__name__ == "torch" else {"layout": "out_in"}
        nn.utils.parametrize.register_parametrization(third, "weight", Symmetric(), **layout)
        model = nn.Sequential(first, nn.Tanh(), second, nn.Tanh(), third)
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        x, y = torch.tensor(inputs), torch.tensor(goal)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss)
        w2 = second.weight
        return losses, model(x), w2.T @ w2, third.weight - third.weight.T
    side_by_side(script)


def test_embedding_bag_with_offsets_and_per_sample_weights():
    ids = np.array([1, 4, 2, 2, 0, 3, 5, 1])
    offsets = np.array([0, 3, 3, 6])
    weights = DATA.random(size=8)

    def script(torch, copy_weights):
        nn = torch.nn
        bag_sum = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=5)
        bag_max = nn.EmbeddingBag(6, 3, mode="max")
        copy_weights(bag_sum, bag_max)
        i, o = torch.tensor(ids), torch.tensor(offsets)
        w = torch.tensor(weights, requires_grad=True)
        summed = bag_sum(i, o, per_sample_weights=w)
        largest = bag_max(i, o)
        mean = nn.functional.embedding_bag(i, bag_sum.weight, torch.tensor([0, 3, 3, 6, 8]),
                                           mode="mean", include_last_offset=True)
        (summed.pow(2).sum() + largest.sum() + mean.sum()).backward()
        return summed, largest, mean, w.grad, bag_sum.weight.grad, bag_max.weight.grad
    side_by_side(script)


def test_bidirectional_lstm_over_unsorted_packed_sequences():
    lengths = [3, 5, 2]
    sequences = [DATA.normal(size=(n, 4)) for n in lengths]

    def script(torch, copy_weights):
        nn = torch.nn
        rnn = nn.utils.rnn
        lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        head = nn.Linear(6, 1)
        copy_weights(lstm, head)
        padded = rnn.pad_sequence([torch.tensor(s) for s in sequences], batch_first=True)
        packed = rnn.pack_padded_sequence(padded, torch.tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
        out, (h, c) = lstm(packed)
        unpacked, out_lengths = rnn.pad_packed_sequence(out, batch_first=True,
                                                        padding_value=-1.0)
        final = torch.cat([h[0], h[1]], dim=1)
        loss = head(final).pow(2).sum() + unpacked.clamp(min=-0.5).sum()
        loss.backward()
        return unpacked, out_lengths, h, c, loss, head.bias.grad, padded
    side_by_side(script)


def test_custom_function_with_needs_input_grad():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        calls = []

        class ScaledSoftplus(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale):
                ctx.save_for_backward(x, scale)
                return torch.nn.functional.softplus(x) * scale

            @staticmethod
            def backward(ctx, grad):
                x, scale = ctx.saved_tensors
                calls.append(list(ctx.needs_input_grad))
                gx = grad * scale * torch.sigmoid(x) if ctx.needs_input_grad[0] else None
                gs = (grad * torch.nn.functional.softplus(x)).sum() \
                    if ctx.needs_input_grad[1] else None
                return gx, gs

        x = torch.tensor(inputs, requires_grad=True)
        scale = torch.tensor(1.5, requires_grad=True)
        ScaledSoftplus.apply(x, scale).pow(2).sum().backward()
        fixed = torch.tensor(2.0)
        ScaledSoftplus.apply(x, fixed).sum().backward()
        return x.grad, scale.grad, [torch.tensor(c) for c in calls]
    side_by_side(script)


def test_resumed_run_matches_the_uninterrupted_one():
    inputs = DATA.normal(size=(8, 4))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1])

    def script(torch, copy_weights):
        nn = torch.nn

        def fresh():
            # (no bias before the batch norm: its gradient would be rounding error only)
            model = nn.Sequential(nn.Linear(4, 6, bias=False), nn.BatchNorm1d(6), nn.ReLU(),
                                  nn.Linear(6, 3))
            copy_weights(model)
            opt = torch.optim.AdamW(model.parameters(), lr=0.02, amsgrad=True)
            return model, opt

        x, y = torch.tensor(inputs), torch.tensor(labels)

        def steps(model, opt, n):
            out = []
            for _ in range(n):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                out.append(loss)
            return out

        model, opt = fresh()
        whole = steps(model, opt, 4)
        first_model, first_opt = fresh()
        part = steps(first_model, first_opt, 2)
        saved_model, saved_opt = first_model.state_dict(), first_opt.state_dict()
        resumed_model, resumed_opt = fresh()
        resumed_model.load_state_dict(saved_model)
        resumed_opt.load_state_dict(saved_opt)
        part += steps(resumed_model, resumed_opt, 2)
        return whole, part, model, resumed_model
    side_by_side(script)
