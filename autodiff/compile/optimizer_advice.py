"""Advice for an array a user's ``Optimizer`` subclass made with NumPy in its
``step()``: ``p.grad`` is a NumPy array there, so ``grad * (1 - beta1)`` (Lion, Adam
as often written) is NumPy's product, made off the plan, that a replay would reuse.
The refusal names the class and the spellings that replay: the gradient as a tensor
(``ad.as_tensor(grad) * (1 - beta1)``) or the in-place Tensor methods taking it
(``exp_avg.clone().mul_(beta1).add_(grad, alpha=1 - beta1)``)."""

from __future__ import annotations

import inspect
import os


def optimizer_step_advice(line) -> str:
    """Advice for an array refused at ``line`` (``"file.py:12"``) when that line is in
    the ``step()`` of a user's ``Optimizer`` subclass, else ``""``."""
    from ..optim.optimizer import Optimizer
    from .reached import written_by_user

    file, _, number = str(line).rpartition(":")
    if not number.isdigit():
        return ""
    todo = list(Optimizer.__subclasses__())
    seen = set()
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        todo.extend(cls.__subclasses__())
        step = vars(cls).get("step")
        if step is None or not written_by_user(cls.__module__):
            continue
        step = inspect.unwrap(step)
        try:
            source, first = inspect.getsourcelines(step)
            where = os.path.basename(inspect.getsourcefile(step) or "")
        except (OSError, TypeError):
            continue
        if where == os.path.basename(file) and first <= int(number) < first + len(source):
            return (f" That line is in {cls.__name__}.step(), where p.grad is a NumPy "
                    "array: NumPy arithmetic on it (grad * (1 - beta1)) is made off the "
                    "plan. Make the gradient a tensor first (grad = ad.as_tensor(p.grad)) "
                    "or use the in-place Tensor methods, which take it as it is "
                    "(update = exp_avg.clone().mul_(beta1).add_(grad, alpha=1 - beta1)).")
    return ""
