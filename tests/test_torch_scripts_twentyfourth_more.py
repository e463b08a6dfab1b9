"""Round 24 of the PyTorch scripts (see test_torch_scripts_twentyfourth.py): more
attention, unbatched inputs and function transforms.  Causal self-attention by
``MultiheadAttention(bias=False)`` with ``is_causal=True`` and ``need_weights=False``; a
``TransformerDecoderLayer`` used alone with a callable activation, ``bias=False`` and
causal target and memory masks; an ``LSTMCell``, a ``GRU`` with an initial state and a
``Conv1d`` each given one unbatched example; an encoder layer at its default dropout
evaluated under ``inference_mode``; ``register_hook`` on an intermediate and on a leaf
inside ``saved_tensors_hooks``; ``jacrev`` with ``chunk_size`` and over the parameters
of a ``functional_call``, ``hessian`` and ``jacfwd`` of the same model; and two
refusals both libraries share: ``BatchNorm1d`` training on a batch of one and
``clip_grad_norm_(error_if_nonfinite=True)`` on an infinite gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2427)


def test_causal_self_attention_without_biases_or_weights():
    inputs = DATA.normal(size=(2, 4, 6))

    def script(torch, copy_weights):
        attention = torch.nn.MultiheadAttention(6, 2, batch_first=True, bias=False)
        copy_weights(attention)
        causal = torch.nn.Transformer.generate_square_subsequent_mask(4)
        x = torch.tensor(inputs, requires_grad=True)
        out, weights = attention(x, x, x, attn_mask=causal, is_causal=True,
                                 need_weights=False)
        out.pow(2).sum().backward()
        return out, weights, x.grad, [p.grad.norm() for p in attention.parameters()]
    side_by_side(script)


def test_decoder_layer_alone_with_a_callable_activation_and_causal_masks():
    target = DATA.normal(size=(2, 3, 8))
    memory = DATA.normal(size=(2, 3, 8))

    def script(torch, copy_weights):
        layer = torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                                 activation=torch.nn.functional.silu,
                                                 bias=False)
        copy_weights(layer)
        causal = torch.nn.Transformer.generate_square_subsequent_mask(3)
        out = layer(torch.from_numpy(target), torch.from_numpy(memory), tgt_mask=causal,
                    memory_mask=causal, tgt_is_causal=True, memory_is_causal=True)
        out.sum().backward()
        return out, [p.grad.norm() for p in layer.parameters()]
    side_by_side(script)


def test_cells_recurrent_layers_and_convolutions_on_unbatched_examples():
    sequence = DATA.normal(size=(5, 3))
    initial = DATA.normal(size=(1, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        cell, gru, conv = nn.LSTMCell(3, 4), nn.GRU(3, 4), nn.Conv1d(3, 2, 2)
        copy_weights(cell, gru, conv)
        h, c = cell(torch.from_numpy(sequence[0]))
        out, last = gru(torch.from_numpy(sequence), torch.from_numpy(initial))
        features = conv(torch.from_numpy(sequence.T.copy()))
        (h.sum() + c.sum() + out.sum() + last.sum() + features.sum()).backward()
        return (h, c, out, last, features, [p.grad.norm() for p in cell.parameters()],
                [p.grad.norm() for p in gru.parameters()],
                [p.grad.norm() for p in conv.parameters()])
    side_by_side(script)


def test_encoder_layer_at_its_default_dropout_evaluated_in_inference_mode():
    inputs = DATA.normal(size=(2, 5, 8))

    def script(torch, copy_weights):
        layer = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
        copy_weights(layer)
        layer.eval()
        with torch.inference_mode():
            out = layer(torch.from_numpy(inputs))
        return out, layer.dropout.p, out.requires_grad
    side_by_side(script)


def test_gradient_hooks_on_an_intermediate_and_a_leaf_under_saved_tensor_hooks():
    values = DATA.normal(size=(3,))

    def script(torch, copy_weights):
        x = torch.tensor(values, requires_grad=True)
        packed = []

        def pack(t):
            packed.append(t.shape)
            return t

        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            y = x.exp() * x.sin()
        y.register_hook(lambda g: g * 3)
        handle = x.register_hook(lambda g: g.clamp(max=0.5))
        y.sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x.exp() * x.sin()).sum().backward()
        return first, x.grad, len(packed) > 0
    side_by_side(script)


def test_jacobians_and_hessian_of_a_model_through_functional_call():
    point = DATA.normal(size=(3,))

    def script(torch, copy_weights):
        nn, func = torch.nn, torch.func
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        copy_weights(model)
        params = dict(model.named_parameters())

        def f(p, x):
            return func.functional_call(model, p, (x,))
        x = torch.from_numpy(point)
        by_input = func.jacrev(f, argnums=1, chunk_size=2)(params, x)
        by_params = func.jacrev(f)(params, x)
        hessian = func.hessian(lambda inp: f(params, inp).sum())(x)
        forward = func.jacfwd(f, argnums=1)(params, x)
        return (by_input, [v.reshape(2, -1).norm(dim=1) for v in by_params.values()],
                hessian, forward)
    side_by_side(script)


def test_batch_norm_training_on_a_batch_of_one_is_refused_by_both():
    def script(torch, copy_weights):
        norm = torch.nn.BatchNorm1d(3)
        try:
            norm(torch.ones(1, 3))
        except (ValueError, RuntimeError) as error:
            return "per channel" in str(error) or "batch" in str(error)
        return "no error"
    theirs, _ = side_by_side(script)
    assert theirs is True


def test_clipping_an_infinite_gradient_with_error_if_nonfinite_is_refused_by_both():
    def script(torch, copy_weights):
        model = torch.nn.Linear(2, 1)
        copy_weights(model)
        (model(torch.ones(1, 2)) * float("inf")).sum().backward()
        try:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
        except RuntimeError as error:
            return "error_if_nonfinite=False" in str(error)
        return "no error"
    theirs, _ = side_by_side(script)
    assert theirs is True
