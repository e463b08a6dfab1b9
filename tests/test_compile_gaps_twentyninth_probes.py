"""ad.compile against eager over twenty calls: training steps of kinds earlier files do
not cover (attention with padding masks given per call, BatchNorm's cumulative
average, an embedding renormalised in place, a teacher averaged under no_grad, two
backward passes through one graph, a hidden state carried between calls, validation
in eval mode inside the step, a plateau scheduler fed the loss's array, gradient
accumulation chosen by an argument, centered RMSprop, Adagrad, maximize), each
compared bitwise in float64 (within 1e-12 where fused), parameters and buffers too.
"""

import warnings

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn as nn
import autodiff.nn.functional as F
from autodiff.compile.not_replayed import NotReplayedWarning
from autodiff.compile.refusals import TraceError

RNG = np.random.default_rng(0)
XS = [RNG.normal(size=(8, 6)) for _ in range(20)]
YS = [RNG.integers(0, 3, size=8) for _ in range(20)]
SEQS = [RNG.normal(size=(2, 4, 6)) for _ in range(20)]
PADS = [np.array([[False] * 4, [False, False, i % 2 == 1, i % 3 == 0]]) for i in range(20)]
MASKS = [(RNG.random((2, 4, 4)) > 0.3) | np.eye(4, dtype=bool) for _ in range(20)]
IDS = [RNG.integers(0, 10, size=(8, 4)) for _ in range(20)]


def _state(models) -> list:
    out = []
    for model in models:
        out += [p.data.copy() for p in model.parameters()]
        out += [np.array(getattr(b, "data", b)) for b in model.buffers()]
    return out


def _same(a, b, tol) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tol) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y, tol) for x, y in zip(a, b))
    a, b = np.asarray(getattr(a, "data", a)), np.asarray(getattr(b, "data", b))
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return np.array_equal(a, b) if tol == 0 else np.allclose(a, b, rtol=tol, atol=tol)


def _compare(make, inputs, calls=20, tol=0.0, between=None):
    """Run twin steps (``make()`` twice: each its own model), one eager, one compiled,
    ``calls`` times on ``inputs(i)``; assert equal results, parameters, buffers and
    ``extra()``; return the compiled function."""
    eager, traced = make(), make()
    compiled = ad.compile(traced["step"])
    for i in range(calls):
        if between is not None:
            between(eager, i)
            between(traced, i)
        a, b = eager["step"](*inputs(i)), compiled(*inputs(i))
        assert _same(a, b, tol), f"call {i}: {a} != {b}"
        assert _same(_state(eager["models"]), _state(traced["models"]), tol), f"call {i}"
        if "extra" in eager:
            assert _same(eager["extra"](), traced["extra"](), tol), f"call {i}"
    return compiled


def _linear_step(opt_kind=ad.optim.SGD, **options):
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = opt_kind(lin.parameters(), **options)

        def step(x, y):
            loss = F.cross_entropy(lin(ad.tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin], opt=opt)
    return make


def _batch(i):
    return XS[i], YS[i]


def test_attention_with_a_padding_mask_given_per_call_and_a_causal_mask():
    def make():
        mha = nn.MultiheadAttention(6, 2, batch_first=True, rng=0)
        head = nn.Linear(6, 3, rng=1)
        opt = ad.optim.Adam(list(mha.parameters()) + list(head.parameters()), lr=0.01)
        causal = np.triu(np.ones((4, 4), bool), 1)

        def step(x, pad, y):
            x = ad.tensor(x)
            out, weights = mha(x, x, x, key_padding_mask=pad, attn_mask=causal)
            loss = F.cross_entropy(head(out[:, -1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, weights
        return dict(step=step, models=[mha, head])
    compiled = _compare(make, lambda i: (SEQS[i], PADS[i], YS[i][:2]), tol=1e-12)
    assert compiled.traces == 1


def test_scaled_dot_product_attention_with_a_boolean_mask_argument():
    def make():
        lin = nn.Linear(6, 6, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)

        def step(x, mask):
            q = lin(ad.tensor(x))
            loss = (F.scaled_dot_product_attention(q, q, q, attn_mask=mask) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    assert _compare(make, lambda i: (SEQS[i], MASKS[i]), tol=1e-12).traces == 1


def test_batch_norm_cumulative_average_and_its_batch_count():
    def make():
        bn, lin = nn.BatchNorm1d(6, momentum=None), nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(list(lin.parameters()) + list(bn.parameters()), lr=0.1)

        def step(x, y):
            loss = F.cross_entropy(lin(bn(ad.tensor(x))), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[bn, lin],
                    extra=lambda: (bn.running_mean, bn.running_var, bn.num_batches_tracked))
    _compare(make, _batch, tol=1e-13)


def test_dropout_layers_and_functions_with_their_own_generators():
    def make():
        drop = nn.Dropout(0.3, rng=np.random.default_rng(7))
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.Adam(lin.parameters(), lr=0.01)
        generator = np.random.default_rng(11)

        def step(x, y):
            h = F.dropout(ad.tensor(x), 0.2, True, rng=generator)
            loss = F.cross_entropy(lin(drop(h)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    _compare(make, _batch, tol=1e-13)


def test_an_embedding_renormalised_in_place_with_repeated_ids_and_padding():
    def make():
        emb = nn.Embedding(10, 6, padding_idx=0, max_norm=1.0, rng=0)
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(list(emb.parameters()) + list(lin.parameters()), lr=0.5)

        def step(ids, y):
            loss = F.cross_entropy(lin(emb(ids).mean(1)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[emb, lin])
    _compare(make, lambda i: (IDS[i], YS[i]), tol=1e-13)


def test_label_smoothing_with_class_weights_and_an_ignored_class_under_amsgrad():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.AdamW(lin.parameters(), lr=0.01, amsgrad=True)
        weight = np.array([0.2, 1.0, 3.0])

        def step(x, y):
            loss = F.cross_entropy(lin(ad.tensor(x)), y, weight=ad.tensor(weight),
                                   label_smoothing=0.1, ignore_index=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    _compare(make, _batch, tol=1e-13)


def test_an_embedding_tied_to_the_output_projection():
    def make():
        emb = nn.Embedding(10, 6, rng=0)
        opt = ad.optim.Adam(emb.parameters(), lr=0.01)

        def step(ids, y):
            logits = emb(ids).sum(1) @ emb.weight.T
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[emb])
    _compare(make, lambda i: (IDS[i], YS[i]), tol=1e-13)


def test_gradient_accumulation_stepping_every_fourth_call_by_an_argument():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.1, momentum=0.5)

        def step(x, y, do_step):
            loss = F.cross_entropy(lin(ad.tensor(x)), y) / 4
            loss.backward()
            if do_step:
                opt.step()
                opt.zero_grad()
            return loss
        return dict(step=step, models=[lin])
    compiled = _compare(make, lambda i: (XS[i], YS[i], i % 4 == 3), tol=1e-13)
    assert compiled.traces == 2


def test_gradient_accumulation_by_a_counter_in_a_dict_warns_at_the_trace():
    lin = nn.Linear(6, 3, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.1)
    box = {"n": 0}

    def step(x, y):
        loss = F.cross_entropy(lin(ad.tensor(x)), y) / 4
        loss.backward()
        box["n"] += 1
        if box["n"] % 4 == 0:
            opt.step()
            opt.zero_grad()
        return loss
    with pytest.warns(NotReplayedWarning, match=r"changed box\['n'\] while tracing"):
        ad.compile(step)(*_batch(0))


def test_a_plateau_scheduler_fed_the_loss_array_inside_the_step():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.5)
        sched = ad.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)

        def step(x, y):
            loss = F.cross_entropy(lin(ad.tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step(loss.data)
            return loss
        return dict(step=step, models=[lin], extra=lambda: opt.param_groups[0]["lr"])
    _compare(make, lambda i: _batch(i % 3), tol=1e-13)


def test_a_plateau_scheduler_fed_the_loss_tensor_is_refused_naming_the_fix():
    lin = nn.Linear(6, 3, rng=0)
    opt = ad.optim.SGD(lin.parameters(), lr=0.5)
    sched = ad.optim.lr_scheduler.ReduceLROnPlateau(opt)

    def step(x, y):
        loss = F.cross_entropy(lin(ad.tensor(x)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step(loss)
        return loss
    with pytest.raises(TraceError, match=r"ReduceLROnPlateau.step .*pass its array \(t.data\)"):
        ad.compile(step)(*_batch(0))


def test_a_teacher_averaged_under_no_grad_distilling_into_the_student():
    def make():
        student, teacher = nn.Linear(6, 3, rng=0), nn.Linear(6, 3, rng=0)
        opt = ad.optim.Adam(student.parameters(), lr=0.01)

        def step(x, y):
            with ad.no_grad():
                soft = teacher(ad.tensor(x)).softmax(-1)
            logits = student(ad.tensor(x))
            loss = F.cross_entropy(logits, y) + F.kl_div(logits.log_softmax(-1), soft,
                                                         reduction="batchmean")
            opt.zero_grad()
            loss.backward()
            opt.step()
            with ad.no_grad():
                for t, s in zip(teacher.parameters(), student.parameters()):
                    t.mul_(0.9).add_(s, alpha=0.1)
            return loss
        return dict(step=step, models=[student, teacher])
    _compare(make, _batch, tol=1e-13)


def test_two_backward_passes_through_one_graph():
    def make():
        a, b = nn.Linear(6, 6, rng=0), nn.Linear(6, 3, rng=1)
        opt = ad.optim.SGD(list(a.parameters()) + list(b.parameters()), lr=0.1)

        def step(x, y):
            h = a(ad.tensor(x)).tanh()
            first, second = F.cross_entropy(b(h), y), (h ** 2).mean()
            opt.zero_grad()
            first.backward(retain_graph=True)
            second.backward()
            opt.step()
            return first.detach(), second.detach()
        return dict(step=step, models=[a, b])
    _compare(make, _batch, tol=1e-13)


def test_a_gru_hidden_state_carried_from_call_to_call():
    def make():
        gru, head = nn.GRU(6, 5, batch_first=True, rng=0), nn.Linear(5, 3, rng=1)
        opt = ad.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.01)

        def step(x, h, y):
            out, h = gru(ad.tensor(x), ad.tensor(h))
            loss = F.cross_entropy(head(out[:, -1]), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss, h.detach().data
        return step, [gru, head]
    (eager, eager_models), (traced, traced_models) = make(), make()
    compiled = ad.compile(traced)
    h_eager = h_compiled = np.zeros((1, 2, 5))
    for i in range(12):
        loss_eager, h_eager = eager(SEQS[i], h_eager, YS[i][:2])
        loss_compiled, h_compiled = compiled(SEQS[i], h_compiled, YS[i][:2])
        assert _same(loss_eager, loss_compiled, 1e-12) and _same(h_eager, h_compiled, 1e-12)
    assert _same(_state(eager_models), _state(traced_models), 1e-12)
    assert compiled.traces == 1


def test_validation_in_eval_mode_inside_the_training_step():
    def make():
        net = nn.Sequential(nn.Linear(6, 6, rng=0), nn.BatchNorm1d(6), nn.Linear(6, 3, rng=1))
        opt = ad.optim.SGD(net.parameters(), lr=0.1)

        def step(x, y, x_val):
            net.train()
            loss = F.cross_entropy(net(ad.tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.eval()
            with ad.no_grad():
                val = net(ad.tensor(x_val)).sum()
            net.train()
            return loss, val
        return dict(step=step, models=[net])
    compiled = _compare(make, lambda i: (XS[i], YS[i], XS[(i + 1) % 20]), tol=1e-13)
    assert compiled.traces == 1


def test_maximize_with_weight_decay_and_clipped_gradient_values():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.1, weight_decay=0.01, maximize=True)

        def step(x, y):
            loss = -F.cross_entropy(lin(ad.tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            ad.nn.utils.clip_grad_value_(lin.parameters(), 0.05)
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    _compare(make, _batch, tol=1e-13)


def test_a_residual_layer_norm_block_under_centered_rmsprop_with_momentum():
    def make():
        norm, inner, outer = nn.LayerNorm(6), nn.Linear(6, 6, rng=0), nn.Linear(6, 3, rng=1)
        params = [*norm.parameters(), *inner.parameters(), *outer.parameters()]
        opt = ad.optim.RMSprop(params, lr=0.01, centered=True, momentum=0.5)

        def step(x, y):
            h = ad.tensor(x)
            h = h + F.gelu(inner(norm(h)), approximate="tanh")
            loss = F.cross_entropy(outer(h), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[norm, inner, outer])
    _compare(make, _batch, tol=1e-12)


def test_adagrad_returning_a_detached_loss_and_the_accuracy():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.Adagrad(lin.parameters(), lr=0.1)

        def step(x, y):
            logits = lin(ad.tensor(x))
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return {"loss": loss.detach(),
                    "accuracy": (logits.argmax(1) == ad.tensor(y)).float().mean()}
        return dict(step=step, models=[lin])
    _compare(make, _batch, tol=1e-13)


def test_parameters_overwritten_with_copyto_between_calls():
    def overwrite(env, i):
        if i % 5 == 3:
            np.copyto(env["models"][0].weight.data, np.full((6, 3), 0.01 * i))
    _compare(_linear_step(lr=0.1), _batch, between=overwrite, tol=1e-13)


def test_a_bias_frozen_and_thawed_between_calls_under_adam():
    def freeze(env, i):
        if i in (6, 12):
            env["models"][0].bias.requires_grad_(i == 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (NoGradientWarning while frozen, both twins)
        compiled = _compare(_linear_step(ad.optim.Adam, lr=0.01), _batch, between=freeze,
                            tol=1e-13)
    assert compiled.traces == 2      # (frozen; thawed again replays the first plan)


def test_an_input_gradient_read_after_backward_for_an_adversarial_step():
    def make():
        lin = nn.Linear(6, 3, rng=0)

        def step(x, y):
            x = ad.tensor(x, requires_grad=True)
            loss = F.cross_entropy(lin(x), y)
            loss.backward()
            return loss.detach(), ad.tensor(x.grad).sign() * 0.1
        return dict(step=step, models=[lin])
    assert _compare(make, _batch, tol=1e-13).traces == 1


def test_a_loss_scale_given_as_a_0d_array_argument():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.1)

        def step(x, y, scale):
            loss = F.cross_entropy(lin(ad.tensor(x)), y) * ad.tensor(scale)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    compiled = _compare(make, lambda i: (XS[i], YS[i], np.array(1.0 + i)), tol=1e-13)
    assert compiled.traces == 1


def test_a_param_group_added_between_calls():
    def make():
        body, head = nn.Linear(6, 6, rng=0), nn.Linear(6, 3, rng=1)
        opt = ad.optim.Adam(body.parameters(), lr=0.01)

        def step(x, y):
            loss = F.cross_entropy(head(body(ad.tensor(x))), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[body, head], opt=opt)

    def add_group(env, i):
        if i == 5:
            env["opt"].add_param_group({"params": list(env["models"][1].parameters()),
                                        "lr": 0.05})
    _compare(make, _batch, between=add_group, tol=1e-13)


def test_a_state_dict_loaded_between_calls():
    saved = nn.Linear(6, 3, rng=9).state_dict()

    def load(env, i):
        if i in (4, 9):
            env["models"][0].load_state_dict(saved)
    _compare(_linear_step(ad.optim.Adam, lr=0.01), _batch, between=load, tol=1e-13)


def test_a_new_batch_size_at_every_call_warns_once_naming_the_shapes():
    x, y = np.concatenate(XS[:3]), np.concatenate(YS[:3])
    with pytest.warns(RuntimeWarning) as caught:
        compiled = _compare(_linear_step(lr=0.1), lambda i: (x[: 2 * (i % 9 + 1)],
                                                             y[: 2 * (i % 9 + 1)]),
                            calls=10, tol=1e-13)
    texts = [str(w.message) for w in caught if "traced again" in str(w.message)]
    assert len(texts) == 1 and "9 times so far (argument 0: an array of shape (16, 6) " \
        "float64 -> an array of shape (18, 6) float64)" in texts[0]
    assert "cache_size=8" in texts[0]
    assert compiled.traces == 10    # (nine shapes; the first one's plan was dropped)


def test_strided_and_float32_inputs_to_a_float64_model():
    wide = [np.random.default_rng(i).normal(size=(8, 12)) for i in range(20)]
    compiled = _compare(_linear_step(lr=0.1), lambda i: (wide[i][:, ::2], YS[i]), tol=1e-13)
    assert compiled.traces == 1
    _compare(_linear_step(lr=0.1), lambda i: (XS[i].astype(np.float32), YS[i]))


def test_a_compiled_forward_called_inside_a_compiled_step():
    def make():
        lin = nn.Linear(6, 3, rng=0)
        opt = ad.optim.SGD(lin.parameters(), lr=0.1)
        forward = ad.compile(lambda x: lin(x).tanh())

        def step(x, y):
            loss = F.cross_entropy(forward(ad.tensor(x)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin], forward=forward)

    def plain():        # (the eager twin's inner function is not compiled)
        env = make()
        lin, opt = env["models"][0], ad.optim.SGD(env["models"][0].parameters(), lr=0.1)

        def step(x, y):
            loss = F.cross_entropy(lin(ad.tensor(x)).tanh(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return dict(step=step, models=[lin])
    eager, traced = plain(), make()
    compiled = ad.compile(traced["step"])
    for i in range(10):
        assert _same(eager["step"](*_batch(i)), compiled(*_batch(i)), 1e-13)
    assert _same(_state(eager["models"]), _state(traced["models"]), 1e-13)
    assert compiled.traces == 1 and traced["forward"].traces == 0


def test_a_compiled_forward_under_no_grad_then_with_grad():
    lin = nn.Linear(6, 3, rng=0)
    compiled = ad.compile(lambda x: lin(ad.tensor(x)).softmax(-1))
    with ad.no_grad():
        for i in range(4):
            out = compiled(XS[i])
            assert not out.requires_grad
            np.testing.assert_array_equal(out.data, lin(ad.tensor(XS[i])).softmax(-1).data)
    out = compiled(XS[0])
    assert out.requires_grad and compiled.traces == 2
