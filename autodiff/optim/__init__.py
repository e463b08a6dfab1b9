"""Optimizers and learning-rate schedules, under PyTorch's names and formulas.

``SGD``, ``Adam``, ``AdamW``, ``NAdam``, ``RAdam``, ``Adamax``, ``RMSprop``,
``Adagrad``, ``Adadelta``, ``Adafactor``, ``Rprop``, ``ASGD``, ``SparseAdam`` and
``Muon`` update parameters in place from their ``.grad``; each takes parameter groups
and saves its state with ``state_dict()``.  ``LBFGS`` steps with a closure that
recomputes the loss and gradients.
``ad.optim.lr_scheduler`` changes the groups' ``lr`` from step to step;
``ad.optim.swa_utils`` averages weights (SWA, EMA) and anneals to a constant lr.

>>> model = ad.nn.Linear(2, 1, rng=0)
>>> opt = ad.optim.AdamW(model.parameters(), lr=0.01)
>>> sched = ad.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
>>> for _ in range(20):
...     loss = (model(ad.tensor([[1.0, 2.0]])) ** 2).sum()
...     opt.zero_grad(); loss.backward(); opt.step(); sched.step()
>>> sched.get_last_lr()
[0.0025]
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .noop_update import NoOpStepWarning
from .optimizer import NoGradientWarning, Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["ASGD", "Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "LBFGS",
           "Muon", "NAdam", "NoGradientWarning", "NoOpStepWarning",
           "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD",
           "SparseAdam", "lr_scheduler", "swa_utils"]
