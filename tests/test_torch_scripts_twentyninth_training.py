"""The twenty-ninth round of PyTorch scripts, training machinery (see
test_torch_scripts_twentyninth.py for the method): ``BatchNorm1d`` / ``BatchNorm2d``
with ``momentum=None`` (the cumulative average), ``affine=False`` and
``track_running_stats=False`` through train and eval; a trained ``BatchNorm1d`` whose
running statistics and ``num_batches_tracked`` are compared; ``GroupNorm(affine=False)``
and ``InstanceNorm2d`` with ``affine`` and with ``track_running_stats``; ``LayerNorm``
without affine parameters and with ``bias=False``; ``OneCycleLR`` in three phases with
linear annealing and momentum cycling; ``CosineAnnealingWarmRestarts`` stepped by
fractional epochs; ``ReduceLROnPlateau`` with a relative threshold, cooldown, ``min_lr``
and ``eps``; ``SequentialLR`` over two groups and ``ChainedScheduler``; scheduler and
optimizer state round trips (``StepLR``, ``OneCycleLR``, ``ReduceLROnPlateau``); the
optimizers in their rarer options (centered RMSprop with momentum, Adagrad's
``lr_decay``, Adadelta, Adamax, NAdam and RAdam with decoupled decay, AdamW with
``amsgrad``, nesterov and dampened SGD, ``maximize=True``, ASGD, Rprop);
``add_param_group`` mid-training under a ``StepLR``; ``clip_grad_norm_`` by the infinity
norm and with ``error_if_nonfinite``; gradient accumulation with a scaled loss; an EMA
``AveragedModel`` (``get_ema_multi_avg_fn``, ``use_buffers``) under ``SWALR`` with
``update_bn``; and a pre-norm ``TransformerDecoder`` (GELU, no biases) with causal, target
padding and memory padding masks.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(29290)

# The schedule scripts step an optimizer whose parameters have no gradient (PyTorch's
# order, optimizer before scheduler, without a loss): autodiff says so, once per optimizer.
pytestmark = pytest.mark.filterwarnings("ignore:SGD.step. none of the")


def test_batch_norm_cumulative_average_and_no_running_stats():
    batches = [DATA.normal(size=(4, 3, 2, 2)) for _ in range(3)]

    def script(torch, cw):
        nn = torch.nn
        cumulative = nn.BatchNorm2d(3, momentum=None)
        plain = nn.BatchNorm1d(3, momentum=None, affine=False)
        untracked = nn.BatchNorm2d(3, track_running_stats=False)
        cw(cumulative, plain, untracked)
        outs = []
        for b in batches:
            x = torch.tensor(b)
            outs.append((cumulative(x), plain(x[:, :, 0, 0]), untracked(x)))
        for m in (cumulative, plain, untracked):
            m.eval()
        outs.append((cumulative(x), plain(x[:, :, 0, 0]), untracked(x),
                     untracked.running_mean is None, cumulative.num_batches_tracked))
        return outs, cumulative, plain

    side_by_side(script)


def test_trained_batch_norm_running_statistics():
    batches = [DATA.normal(size=(5, 3)) for _ in range(3)]

    def script(torch, cw):
        nn = torch.nn
        bn = nn.BatchNorm1d(3, momentum=0.3)
        head = nn.Linear(3, 1)
        cw(bn, head)
        opt = torch.optim.SGD(list(bn.parameters()) + list(head.parameters()), lr=0.1)
        losses = []
        for b in batches:
            opt.zero_grad()
            loss = head(bn(torch.tensor(b))).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        bn.eval()
        return losses, bn, head, bn(torch.tensor(batches[0])), sorted(bn.state_dict())

    side_by_side(script)


def test_group_and_instance_norms_with_and_without_affine():
    x = DATA.normal(size=(2, 4, 3, 3))

    def script(torch, cw):
        nn = torch.nn
        bare = nn.GroupNorm(2, 4, affine=False)
        grouped = nn.GroupNorm(4, 4, eps=1e-3)
        instance = nn.InstanceNorm2d(4, affine=True)
        tracked = nn.InstanceNorm2d(4, track_running_stats=True, momentum=0.2)
        cw(grouped, instance, tracked)
        opt = torch.optim.SGD(list(grouped.parameters()) + list(instance.parameters()),
                              lr=0.1)
        X = torch.tensor(x, requires_grad=True)
        out = bare(X) + grouped(X) * 2 + instance(X) * 3 + tracked(X) * 0.5
        out.pow(2).sum().backward()
        opt.step()
        tracked.eval()
        return (out, X.grad, grouped, instance, tracked, tracked(X),
                len(list(bare.parameters())))

    side_by_side(script)


def test_layer_norm_without_affine_and_without_bias():
    x = DATA.normal(size=(2, 3, 4))

    def script(torch, cw):
        nn = torch.nn
        plain = nn.LayerNorm(4, elementwise_affine=False)
        scaled = nn.LayerNorm([3, 4], bias=False)
        cw(scaled)
        X = torch.tensor(x, requires_grad=True)
        out = plain(X) * scaled(X)
        out.pow(3).sum().backward()
        return (out, X.grad, scaled.weight.grad, len(list(plain.parameters())),
                scaled.bias is None, sorted(scaled.state_dict()))

    side_by_side(script)


def test_one_cycle_in_three_phases_with_momentum_cycling():
    def script(torch, cw):
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=1.0, total_steps=12, pct_start=0.25, anneal_strategy="linear",
            three_phase=True, div_factor=10, final_div_factor=100)
        seen = []
        for _ in range(12):
            opt.step()
            sched.step()
            seen.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
        return seen

    side_by_side(script)


def test_warm_restarts_stepped_by_fractional_epochs():
    def script(torch, cw):
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1)
        sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2,
                                                                     eta_min=0.01)
        lrs, iters = [], 4
        for epoch in range(5):
            for i in range(iters):
                opt.step()
                sched.step(epoch + i / iters)
                lrs.append(sched.get_last_lr()[0])
        state = sched.state_dict()
        return lrs, state["T_i"], state["T_cur"], state["last_epoch"]

    side_by_side(script)


def test_plateau_with_relative_threshold_cooldown_min_lr_and_eps():
    values = [1.0, 0.99, 0.95, 0.949, 0.9489, 0.9488, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95]

    def script(torch, cw):
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="min", factor=0.5, patience=1, threshold=0.01, threshold_mode="rel",
            cooldown=1, min_lr=0.02, eps=1e-3)
        seen = []
        for v in values:
            opt.step()
            sched.step(v)
            seen.append((sched.get_last_lr()[0], sched.num_bad_epochs, sched.best))
        return seen

    side_by_side(script)


def test_sequential_over_two_groups_and_a_chained_scheduler():
    def script(torch, cw):
        S = torch.optim.lr_scheduler
        p, q = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(1))
        opt = torch.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
        warm = S.LinearLR(opt, start_factor=0.1, total_iters=3)
        decay = S.ExponentialLR(opt, gamma=0.9)
        seq = S.SequentialLR(opt, [warm, decay], milestones=[3])
        lrs = []
        for _ in range(7):
            opt.step()
            seq.step()
            lrs.append(seq.get_last_lr())
        r = torch.nn.Parameter(torch.ones(2))
        opt2 = torch.optim.SGD([r], lr=1.0)
        chained = S.ChainedScheduler([S.ConstantLR(opt2, factor=0.5, total_iters=2),
                                      S.LambdaLR(opt2, lambda e: 0.95 ** e)])
        for _ in range(5):
            opt2.step()
            chained.step()
            lrs.append(chained.get_last_lr())
        return lrs

    side_by_side(script)


def test_scheduler_state_round_trips():
    def script(torch, cw):
        S = torch.optim.lr_scheduler
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1)
        step = S.StepLR(opt, step_size=2, gamma=0.5)
        for _ in range(3):
            opt.step()
            step.step()
        saved = step.state_dict()
        opt2 = torch.optim.SGD([p], lr=0.1)
        step2 = S.StepLR(opt2, step_size=2, gamma=0.5)
        opt2.load_state_dict(opt.state_dict())
        step2.load_state_dict(saved)
        lrs = []
        for _ in range(4):
            opt2.step()
            step2.step()
            lrs.append(step2.get_last_lr()[0])
        op = torch.optim.SGD([p], lr=0.1)
        cycle = S.OneCycleLR(op, max_lr=0.5, total_steps=10)
        for _ in range(4):
            op.step()
            cycle.step()
        op2 = torch.optim.SGD([p], lr=0.1)
        cycle2 = S.OneCycleLR(op2, max_lr=0.5, total_steps=10)
        cycle2.load_state_dict(cycle.state_dict())
        op2.load_state_dict(op.state_dict())
        for _ in range(4):
            op2.step()
            cycle2.step()
            lrs.append((cycle2.get_last_lr()[0], op2.param_groups[0]["momentum"]))
        plateau = S.ReduceLROnPlateau(op2, patience=0)
        plateau.step(1.0)
        plateau.step(2.0)
        plateau2 = S.ReduceLROnPlateau(torch.optim.SGD([p], lr=0.3), patience=0)
        plateau2.load_state_dict(plateau.state_dict())
        lrs.append((plateau2.best, plateau2.num_bad_epochs, plateau2.last_epoch))
        return lrs, saved["last_epoch"], saved["_last_lr"]

    side_by_side(script)


OPTIMIZERS = {
    "rmsprop_centered_momentum": lambda o, ps: o.RMSprop(ps, lr=0.01, centered=True,
                                                         momentum=0.9, weight_decay=0.1,
                                                         alpha=0.9),
    "rmsprop_maximize": lambda o, ps: o.RMSprop(ps, lr=0.01, maximize=True),
    "adagrad_lr_decay": lambda o, ps: o.Adagrad(ps, lr=0.1, lr_decay=0.1,
                                                initial_accumulator_value=0.2,
                                                weight_decay=0.05),
    "adadelta_maximize": lambda o, ps: o.Adadelta(ps, lr=1.0, rho=0.8, weight_decay=0.1,
                                                  maximize=True),
    "adamax": lambda o, ps: o.Adamax(ps, lr=0.05, weight_decay=0.1),
    "nadam_momentum_decay": lambda o, ps: o.NAdam(ps, lr=0.05, momentum_decay=0.01,
                                                  weight_decay=0.1),
    "nadam_decoupled": lambda o, ps: o.NAdam(ps, lr=0.05, weight_decay=0.1,
                                             decoupled_weight_decay=True),
    "radam_decoupled": lambda o, ps: o.RAdam(ps, lr=0.05, weight_decay=0.1,
                                             decoupled_weight_decay=True),
    "adamw_amsgrad": lambda o, ps: o.AdamW(ps, lr=0.05, amsgrad=True, weight_decay=0.2),
    "adam_amsgrad_maximize": lambda o, ps: o.Adam(ps, lr=0.05, amsgrad=True, maximize=True),
    "sgd_nesterov": lambda o, ps: o.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                        weight_decay=0.1),
    "sgd_dampening_maximize": lambda o, ps: o.SGD(ps, lr=0.05, momentum=0.9, dampening=0.5,
                                                  maximize=True),
    "asgd_maximize": lambda o, ps: o.ASGD(ps, lr=0.05, t0=1, lambd=0.1, maximize=True),
    "rprop_maximize": lambda o, ps: o.Rprop(ps, lr=0.05, maximize=True, etas=(0.4, 1.3),
                                            step_sizes=(1e-3, 1)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_in_their_rarer_options(name):
    x = DATA.normal(size=(6, 3))
    y = DATA.normal(size=(6, 1))

    def script(torch, cw):
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                    torch.nn.Linear(4, 1))
        cw(model)
        opt = OPTIMIZERS[name](torch.optim, model.parameters())
        losses = []
        for _ in range(4):
            opt.zero_grad()
            loss = (model(torch.tensor(x)) - torch.tensor(y)).pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, model

    side_by_side(script)


def test_add_param_group_mid_training_under_step_lr():
    x = DATA.normal(size=(6, 3))
    y = DATA.normal(size=(6, 1))

    def script(torch, cw):
        nn = torch.nn
        body, head = nn.Linear(3, 4), nn.Linear(4, 1)
        cw(body, head)
        opt = torch.optim.Adam(head.parameters(), lr=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, 2, 0.5)
        seen = []
        for i in range(5):
            if i == 2:        # unfreeze the body with its own lr and betas
                opt.add_param_group({"params": body.parameters(), "lr": 0.01,
                                     "betas": (0.8, 0.9)})
            opt.zero_grad()
            loss = (head(body(torch.tensor(x)).tanh()) - torch.tensor(y)).pow(2).mean()
            loss.backward()
            opt.step()
            sched.step()
            seen.append((loss, [g["lr"] for g in opt.param_groups]))
        return seen, body, head, len(opt.state), opt.param_groups[1]["betas"]

    side_by_side(script)


def test_clip_grad_norm_by_the_infinity_norm_and_non_finite_gradients():
    x = DATA.normal(size=(6, 3))

    def script(torch, cw):
        clip = torch.nn.utils.clip_grad_norm_
        m = torch.nn.Linear(3, 2)
        cw(m)
        m(torch.tensor(x)).pow(2).sum().backward()
        norm = clip(m.parameters(), max_norm=0.5, norm_type=float("inf"),
                    error_if_nonfinite=True)
        clipped = sum(p.grad.abs().sum() for p in m.parameters())
        again = clip(m.parameters(), max_norm=0.5, norm_type="inf")
        m.zero_grad()
        (m(torch.tensor(x)).sum() * float("nan")).backward()
        try:
            clip(m.parameters(), 1.0, error_if_nonfinite=True)
            raised = False
        except RuntimeError:
            raised = True
        nan_norm = clip(m.parameters(), 1.0)
        return norm, clipped, again, raised, bool(nan_norm.isnan())

    side_by_side(script)


def test_gradient_accumulation_with_a_scaled_loss():
    x = DATA.normal(size=(8, 3))
    y = DATA.normal(size=(8, 1))

    def script(torch, cw):
        model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(),
                                    torch.nn.Linear(5, 1))
        cw(model)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        accumulation = 4
        losses = []
        for epoch in range(2):
            for i, (xb, yb) in enumerate(zip(torch.tensor(x).split(2), torch.tensor(y).split(2))):
                loss = torch.nn.functional.mse_loss(model(xb), yb) / accumulation
                loss.backward()
                losses.append(loss)
                if (i + 1) % accumulation == 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                    opt.step()
                    opt.zero_grad()
        return losses, model

    side_by_side(script)


def test_an_ema_averaged_model_with_buffers_under_swalr_and_update_bn():
    x = DATA.normal(size=(6, 3))
    y = DATA.normal(size=(6, 1))

    def script(torch, cw):
        nn, U = torch.nn, torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
        cw(model)
        ema = U.AveragedModel(model, multi_avg_fn=U.get_ema_multi_avg_fn(0.9), use_buffers=True)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        swa = U.SWALR(opt, swa_lr=0.05, anneal_epochs=3, anneal_strategy="linear")
        seen = []
        for _ in range(4):
            opt.zero_grad()
            loss = (model(torch.tensor(x)) - torch.tensor(y)).pow(2).mean()
            loss.backward()
            opt.step()
            ema.update_parameters(model)
            swa.step()
            seen.append((loss, swa.get_last_lr()[0]))
        U.update_bn([torch.tensor(x[:3]), torch.tensor(x[3:])], ema)
        return seen, ema.module, ema.n_averaged

    side_by_side(script)


def test_a_pre_norm_decoder_stack_with_every_mask():
    tgt = DATA.normal(size=(2, 4, 8))
    memory = DATA.normal(size=(2, 5, 8))
    memory_padding = np.array([[False] * 5, [False] * 3 + [True] * 2])
    tgt_padding = np.where([[False] * 4, [False] * 3 + [True]], -np.inf, 0.0)

    def script(torch, cw):
        nn = torch.nn
        layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True,
                                           norm_first=True, activation=nn.functional.gelu,
                                           bias=False)
        decoder = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8))
        cw(decoder)
        causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
        opt = torch.optim.Adam(decoder.parameters(), lr=0.01)
        losses = []
        for _ in range(2):
            opt.zero_grad()
            out = decoder(torch.tensor(tgt), torch.tensor(memory), tgt_mask=causal,
                          tgt_key_padding_mask=torch.tensor(tgt_padding),
                          memory_key_padding_mask=torch.tensor(memory_padding),
                          tgt_is_causal=True)
            loss = out.pow(2).mean()
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, decoder

    side_by_side(script)
