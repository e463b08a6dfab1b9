"""``python -m bench.optim_vs_torch``: optimizers, lr schedules and gradient clipping
against PyTorch (when installed), as the largest differences over a run.

Each optimizer runs the same random gradients for 25 steps from the same start in
float64, with two parameter groups; each scheduler steps 40 times.  Prints one line
per case and exits non-zero when a difference is above 1e-12 (relative).
"""

from __future__ import annotations

import sys

import numpy as np

import autodiff as ad

STEPS = 25
TOL = 1e-12


def _torch():
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare against.")
        sys.exit(0)
    return torch


OPTIMIZERS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, weight_decay=0.1, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("NAdam", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-6)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.1, decoupled_weight_decay=True,
                   maximize=True)),
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-3, weight_decay=0.1, maximize=True)),
]

def _inverse(k):
    return 1 / (1 + k)


_inverse.label = "lambda k: 1 / (1 + k)"


def _shrink(k):
    return 0.9 if k % 3 else 1.05


_shrink.label = "lambda k: 0.9 if k % 3 else 1.05"


def _half_height(x):
    return 0.5 ** x


_half_height.label = "lambda x: 0.5 ** x"


class Chain:
    """Schedulers to build on each side's optimizer: ``Chain(("LinearLR", {...}), ...)``."""

    def __init__(self, *parts):
        self.parts = parts

    @property
    def label(self):
        return "[" + ", ".join(_label(name, kw) for name, kw in self.parts) + "]"

    def build(self, module, optimizer):
        return [getattr(module, name)(optimizer, **kw) for name, kw in self.parts]


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 25], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=13)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.7, total_iters=12)),
    ("LambdaLR", dict(lr_lambda=_inverse)),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=40)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=41, anneal_strategy="linear",
                        pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.5, epochs=4, steps_per_epoch=10, three_phase=True)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.3, total_iters=12)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=30, power=0.7)),
    ("MultiplicativeLR", dict(lr_lambda=_shrink)),
    ("CosineAnnealingWarmRestarts", dict(T_0=7)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("CyclicLR", dict(base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                      mode="triangular2", base_momentum=0.7, max_momentum=0.95)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range",
                      gamma=0.97)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=6, scale_fn=_half_height,
                      scale_mode="iterations", cycle_momentum=False)),
    ("SequentialLR", dict(schedulers=Chain(("LinearLR", dict(start_factor=0.1, total_iters=5)),
                                           ("CosineAnnealingLR", dict(T_max=30, eta_min=0.01))),
                          milestones=[5])),
    ("SequentialLR", dict(schedulers=Chain(("ConstantLR", dict(factor=0.5, total_iters=4)),
                                           ("ExponentialLR", dict(gamma=0.9)),
                                           ("StepLR", dict(step_size=4, gamma=0.5)),
                                           ("LambdaLR", dict(lr_lambda=_inverse)),
                                           ("MultiStepLR", dict(milestones=[2, 5]))),
                          milestones=[6, 12, 20, 30])),
    ("SequentialLR", dict(schedulers=Chain(("PolynomialLR", dict(total_iters=8)),
                                           ("CosineAnnealingWarmRestarts", dict(T_0=5)),
                                           ("MultiplicativeLR", dict(lr_lambda=_shrink))),
                          milestones=[8, 25])),
    ("ChainedScheduler", dict(schedulers=Chain(("ConstantLR", dict(factor=0.1, total_iters=8)),
                                               ("ExponentialLR", dict(gamma=0.9))))),
    ("ChainedScheduler", dict(schedulers=Chain(("LinearLR", dict(total_iters=10)),
                                               ("CosineAnnealingLR", dict(T_max=15)),
                                               ("MultiStepLR", dict(milestones=[20]))))),
]


def compare_optimizer(torch, name, kwargs, rng):
    shapes = [(4, 3), (3,)]
    start = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(STEPS)]
    ours = [ad.nn.Parameter(a.copy()) for a in start]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in start]
    opt = getattr(ad.optim, name)([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.003}],
                                  **kwargs)
    topt = getattr(torch.optim, name)([{"params": theirs[:1]},
                                       {"params": theirs[1:], "lr": 0.003}],
                                      **kwargs, foreach=False)
    worst = 0.0
    for step in grads:
        for p, tp, g in zip(ours, theirs, step):
            p.grad = g.copy()
            tp.grad = torch.tensor(g)
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            expected = tp.detach().numpy()
            worst = max(worst, float(np.max(np.abs(p.data - expected)
                                            / np.maximum(np.abs(expected), 1e-300))))
    return worst


def compare_scheduler(torch, name, kwargs):
    ours_opt = ad.optim.SGD([{"params": [ad.nn.Parameter([0.0])]},
                             {"params": [ad.nn.Parameter([0.0])], "lr": 0.05}],
                            lr=0.1, momentum=0.9)
    their_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]},
                                 {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05}],
                                lr=0.1, momentum=0.9)
    ours = _make_scheduler(ad.optim.lr_scheduler, name, ours_opt, kwargs)
    theirs = _make_scheduler(torch.optim.lr_scheduler, name, their_opt, kwargs)
    total = kwargs.get("total_steps") or 40
    worst = 0.0
    for _ in range(total - 1):
        for group, tgroup in zip(ours_opt.param_groups, their_opt.param_groups):
            worst = max(worst, abs(group["lr"] - tgroup["lr"]) / tgroup["initial_lr"])
            worst = max(worst, abs(group["momentum"] - tgroup["momentum"]))
        for p in ours_opt.params:
            p.grad = np.zeros(1)
        ours_opt.step()
        their_opt.step()
        ours.step()
        theirs.step()
        assert getattr(ours, "last_epoch", None) == getattr(theirs, "last_epoch", None)
    initial = [group["initial_lr"] for group in their_opt.param_groups]
    worst = max(worst, max(abs(a - b) / base for a, b, base in
                           zip(ours.get_last_lr(), theirs.get_last_lr(), initial)))
    return worst


def _make_scheduler(module, name, optimizer, kwargs):
    kwargs = {key: value.build(module, optimizer) if isinstance(value, Chain) else value
              for key, value in kwargs.items()}
    if name == "ChainedScheduler":
        return module.ChainedScheduler(kwargs.pop("schedulers"), optimizer=optimizer)
    return getattr(module, name)(optimizer, **kwargs)


WARM_RESTART_SETTINGS = [dict(T_0=4), dict(T_0=3, T_mult=2, eta_min=0.001)]


def compare_warm_restart_epochs(torch, kwargs):
    """CosineAnnealingWarmRestarts stepped to fractional epochs (once per batch), then on."""
    ours_opt = ad.optim.SGD([ad.nn.Parameter([0.0])], lr=0.1)
    their_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ours = ad.optim.lr_scheduler.CosineAnnealingWarmRestarts(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(their_opt, **kwargs)
    worst = 0.0
    epochs = [epoch + i / 7 for epoch in range(12) for i in range(7)] + [None] * 10
    for epoch in epochs:
        ours.step(epoch)
        theirs.step(epoch)
        assert ours.last_epoch == theirs.last_epoch
        worst = max(worst, abs(ours.get_last_lr()[0] - theirs.get_last_lr()[0]) / 0.1)
    return worst


PLATEAU_SETTINGS = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, cooldown=1),
    dict(threshold=0.1, threshold_mode="abs", patience=0, min_lr=[0.02, 0.01]),
]


def compare_plateau(torch, kwargs, rng):
    """ReduceLROnPlateau stepped on one noisy metric sequence (ties, a NaN, a plateau)."""
    params = [ad.nn.Parameter([0.0]), ad.nn.Parameter([0.0])]
    ours_opt = ad.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.05}],
                            lr=0.1)
    their_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]},
                                 {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05}],
                                lr=0.1)
    ours = ad.optim.lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(their_opt, **kwargs)
    metrics = np.concatenate([np.linspace(1.0, 0.5, 10) + 0.05 * rng.standard_normal(10),
                              np.full(15, 0.5), [np.nan], 0.5 + 0.01 * rng.standard_normal(14)])
    worst = 0.0
    for metric in metrics:
        ours.step(metric)
        theirs.step(float(metric))
        worst = max(worst, max(abs(a - b) / 0.1 for a, b in
                               zip(ours.get_last_lr(), theirs.get_last_lr())))
    return worst


def compare_clipping(torch, rng):
    worst = 0.0
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        for max_norm in (0.5, 100.0):
            grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
            ours = [ad.nn.Parameter(np.zeros_like(g)) for g in grads]
            theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
                      for g in grads]
            for p, tp, g in zip(ours, theirs, grads):
                p.grad, tp.grad = g.copy(), torch.tensor(g)
            a = float(ad.nn.utils.clip_grad_norm_(ours, max_norm, norm_type))
            b = float(torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type))
            worst = max(worst, abs(a - b) / b)
            for p, tp in zip(ours, theirs):
                worst = max(worst, float(np.max(np.abs(p.grad - tp.grad.numpy()))))
    return worst


def _label(name, kwargs):
    def text(value):
        return getattr(value, "label", None) or repr(value)
    return f"{name}({', '.join(f'{k}={text(v)}' for k, v in kwargs.items())})"


def main():
    torch = _torch()
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    failed = 0
    rows = [(_label(name, kw), compare_optimizer(torch, name, kw, rng))
            for name, kw in OPTIMIZERS]
    rows += [(_label("lr_scheduler." + name, kw), compare_scheduler(torch, name, kw))
             for name, kw in SCHEDULERS]
    rows += [(_label("lr_scheduler.CosineAnnealingWarmRestarts", kw) + ".step(epoch)",
              compare_warm_restart_epochs(torch, kw)) for kw in WARM_RESTART_SETTINGS]
    rows += [(_label("lr_scheduler.ReduceLROnPlateau", kw), compare_plateau(torch, kw, rng))
             for kw in PLATEAU_SETTINGS]
    rows.append(("nn.utils.clip_grad_norm_ (p = 1, 2, 3, inf)", compare_clipping(torch, rng)))
    for label, worst in rows:
        status = "ok" if worst <= TOL else "DIFFERS"
        failed += status != "ok"
        print(f"{status:8s} max rel. difference {worst:9.2e}  {label}")
    print(f"torch {torch.__version__}: {len(rows) - failed} of {len(rows)} agree to {TOL:g}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
