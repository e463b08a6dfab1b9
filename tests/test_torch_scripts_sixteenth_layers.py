"""Sixteenth-round PyTorch scripts (see test_torch_scripts_sixteenth.py for how they
run), layers and schedules in their less common settings: ``OneCycleLR(three_phase=True,
anneal_strategy="linear")`` cycling Adam's first beta, ``CyclicLR(mode="exp_range")``
cycling SGD's momentum, ``nn.MultiheadAttention`` with ``kdim``/``vdim``,
``add_bias_kv``, ``add_zero_attn`` and per-head weights, a bidirectional ``nn.GRU``
over ``pack_padded_sequence(enforce_sorted=False)``, ``prune.l1_unstructured`` with an
int amount then ``prune.remove``, and a ``register_full_backward_pre_hook`` that
scales the gradient reaching a module."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
importlib.import_module("torch.nn.utils.prune")     # (PyTorch's is imported apart)

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(16161)


def test_one_cycle_three_phase_linear_cycling_adam_beta1():
    inputs, targets = DATA.normal(size=(10, 6, 3)), DATA.normal(size=(10, 6, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.1, total_steps=10, pct_start=0.3, anneal_strategy="linear",
            three_phase=True, div_factor=10.0, final_div_factor=100.0,
            base_momentum=0.8, max_momentum=0.95)
        trace = []
        for x, y in zip(inputs, targets):
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            group = optimizer.param_groups[0]
            trace.append((group["lr"], group["betas"][0], loss.item()))
        return trace, scheduler.get_last_lr(), model
    side_by_side(script)


def test_cyclic_lr_exp_range_cycling_sgd_momentum():
    inputs, targets = DATA.normal(size=(12, 5, 3)), DATA.normal(size=(12, 5, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.CyclicLR(
            optimizer, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2,
            mode="exp_range", gamma=0.9, cycle_momentum=True, base_momentum=0.8,
            max_momentum=0.9)
        trace = []
        for x, y in zip(inputs, targets):
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            trace.append((optimizer.param_groups[0]["lr"],
                          optimizer.param_groups[0]["momentum"], loss.item()))
        return trace, model
    side_by_side(script)


def test_multihead_attention_with_kdim_vdim_bias_kv_and_zero_attention():
    query, key, value = (DATA.normal(size=(2, 4, 6)), DATA.normal(size=(2, 5, 3)),
                         DATA.normal(size=(2, 5, 7)))
    padding = np.zeros((2, 5), bool)
    padding[1, 3:] = True

    def script(torch, copy_weights):
        nn = torch.nn
        attention = nn.MultiheadAttention(6, 2, kdim=3, vdim=7, add_bias_kv=True,
                                          add_zero_attn=True, batch_first=True)
        copy_weights(attention)
        q = torch.tensor(query, requires_grad=True)
        k, v = torch.from_numpy(key), torch.from_numpy(value)
        attn_mask = torch.zeros(4, 5, dtype=torch.bool)
        attn_mask[0, 4] = True
        out, weights = attention(q, k, v, key_padding_mask=torch.from_numpy(padding),
                                 attn_mask=attn_mask, need_weights=True,
                                 average_attn_weights=False)
        (out.pow(2).sum() + weights[:, 1].sum()).backward()
        return out, weights, q.grad, attention.bias_k.grad, attention.k_proj_weight.grad
    side_by_side(script)


def test_bidirectional_gru_over_unsorted_packed_sequences():
    sequences = DATA.normal(size=(3, 5, 2))
    lengths = [3, 5, 2]

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn
        gru = nn.GRU(2, 3, num_layers=2, batch_first=True, bidirectional=True)
        head = nn.Linear(6, 1)
        copy_weights(gru, head)
        x = torch.tensor(sequences, requires_grad=True)
        packed = rnn_utils.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                                enforce_sorted=False)
        output, h_n = gru(packed)
        padded, out_lengths = rnn_utils.pad_packed_sequence(output, batch_first=True)
        h_n = h_n.view(2, 2, 3, 3)                        # (layers, directions, batch, hidden)
        final = torch.cat([h_n[-1, 0], h_n[-1, 1]], dim=1)
        loss = head(final).sum() + padded.pow(2).sum()
        loss.backward()
        # (the weights' layout is (in, out) here: their gradients compare by norm)
        return (padded, out_lengths, final, x.grad,
                float((gru.weight_hh_l1_reverse.grad ** 2).sum()))
    side_by_side(script)


def test_l1_unstructured_pruning_by_count_then_remove():
    inputs, targets = DATA.normal(size=(3, 6, 4)), DATA.normal(size=(3, 6, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        prune = nn.utils.prune
        model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
        copy_weights(model)
        prune.l1_unstructured(model[0], name="weight", amount=7)
        prune.l1_unstructured(model[2], name="bias", amount=0.5)
        names = sorted(name for name, _ in model.named_buffers())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for x, y in zip(inputs, targets):
            loss = F.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        zeros = int((model[0].weight == 0).sum())
        prune.remove(model[0], "weight")
        prune.remove(model[2], "bias")
        after = sorted(name for name, _ in model.named_parameters())
        return names, losses, zeros, after, model
    side_by_side(script)


def test_full_backward_pre_hook_scales_the_gradient_reaching_a_module():
    inputs = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        copy_weights(model)
        seen = []

        def halve(module, grad_output):
            seen.append(grad_output[0].abs().sum().item())
            return (grad_output[0] * 0.5,)

        handle = model[2].register_full_backward_pre_hook(halve)
        x = torch.tensor(inputs, requires_grad=True)
        model(x).pow(2).sum().backward()
        # (.grad is an ndarray here, without clone(): the squared norms are kept)
        hooked = [float((g ** 2).sum()) for g in (x.grad, model[0].weight.grad,
                                                   model[2].weight.grad)]
        handle.remove()
        x.grad = None
        model.zero_grad()
        model(x).pow(2).sum().backward()
        return seen, hooked, x.grad, float((model[0].weight.grad ** 2).sum())
    side_by_side(script)
