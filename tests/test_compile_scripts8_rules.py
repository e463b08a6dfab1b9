"""The compiler's rules on a tutorial-style CNN with BatchNorm, dropout and a scheduler:
memory stays flat over 2,000 compiled steps, a new batch size traces again and gives
eager's results (and the old size keeps its plan), and the plans print and draw."""

from __future__ import annotations

import tracemalloc

import numpy as np

from compile_scripts8 import compiled_like_eager, draws, nn, torch
from compile_twins import run_twins, training_step


def _cnn_step():
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.1), nn.Flatten(), nn.Linear(16, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=100, gamma=0.9)
    things = {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    return training_step(model, optimizer, scheduler=scheduler), things


def test_memory_stays_flat_over_2000_compiled_steps_of_a_batchnorm_cnn():
    nn.manual_seed(0)
    step, things = _cnn_step()
    compiled = torch.compile(step)
    (images, labels), = draws(101, (8, 1, 4, 4), ("int", 3, (8,)), n=1)
    for _ in range(20):
        compiled(images, labels)
    tracemalloc.start()
    try:
        # (the first window fills Python's free lists, which tracemalloc counts; a leak
        # keeps growing in the second)
        for _ in range(1000):
            compiled(images, labels)
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            compiled(images, labels)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert compiled.traces == 1
    assert after - before < 32 * 1024, (before, after)
    assert int(things["model"][1].num_batches_tracked) == 2020


def test_a_new_batch_size_traces_again_with_eager_results_and_the_old_plan_is_kept():
    sizes = [8, 8, 5, 5, 8, 3, 8, 5] * 3
    batches = [draws(102 + k, (n, 1, 4, 4), ("int", 3, (n,)), n=1)[0]
               for k, n in enumerate(sizes)]
    compiled, _, _ = run_twins(_cnn_step, batches, fuse=False, seed=0)
    assert compiled.traces == 3 and len(compiled.plans) == 3


def test_plans_of_each_batch_size_print_and_draw():
    compiled, _, _ = compiled_like_eager(
        _cnn_step, draws(103, (6, 1, 4, 4), ("int", 3, (6,)), n=3))
    for plan in compiled.plans.values():
        text = str(plan)
        assert "op conv2d" in text and "BatchNorm2d._track" in text and "SGD" in text
        assert "cluster_forward" in torch.viz.draw(plan).source


def test_rows_doubled_in_a_larger_batch_give_eager_values_in_each_plan():
    # the same rows in a batch of 4 and in a batch of 6 (two of them twice): BatchNorm's
    # statistics follow the batch, so each size's plan must follow eager's on it
    (images, labels), = draws(104, (4, 1, 4, 4), ("int", 3, (4,)), n=1)
    doubled = (np.concatenate([images, images[:2]]), np.concatenate([labels, labels[:2]]))
    compiled, _, _ = run_twins(_cnn_step, [(images, labels), doubled] * 4, fuse=False,
                               seed=0)
    assert compiled.traces == 2
