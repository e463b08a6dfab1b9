"""The sixth round of PyTorch scripts, training machinery (see
test_torch_scripts_sixth.py for the method): ``ModuleDict`` / ``ParameterList`` /
``ParameterDict`` models, AdamW with no decay on biases and norms under
``CosineAnnealingWarmRestarts`` stepped by fractions of an epoch, ``OneCycleLR``
cycling Adam's betas, clipping by value and by a norm that refuses a non-finite one,
a ``DataLoader`` shuffled by a seeded generator, a checkpoint round trip through a
``BytesIO``, L-BFGS with a strong Wolfe line search, weight normalisation as a
parametrization, and per-sample gradients with ``torch.func``."""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(63)


# --- ModuleDict, ParameterList and ParameterDict ------------------------------------

def test_multi_task_model_with_module_dict_parameter_list_and_parameter_dict():
    inputs = DATA.normal(size=(3, 5, 4))
    class_targets = DATA.integers(0, 3, size=(3, 5))
    value_targets = DATA.normal(size=(3, 5, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MultiTask(nn.Module):
            def __init__(self):
                super().__init__()
                self.trunk = nn.Linear(4, 6)
                self.heads = nn.ModuleDict({"classify": nn.Linear(6, 3),
                                            "regress": nn.Linear(6, 1)})
                self.activations = nn.ModuleDict([["relu", nn.ReLU()], ["tanh", nn.Tanh()]])
                self.scales = nn.ParameterList([nn.Parameter(torch.ones(6)) for _ in range(2)])
                self.task_weights = nn.ParameterDict({"classify": nn.Parameter(torch.zeros(())),
                                                      "regress": nn.Parameter(torch.zeros(()))})

            def forward(self, x, act):
                h = self.activations[act](self.trunk(x))
                for scale in self.scales:
                    h = h * scale
                return {name: head(h) for name, head in self.heads.items()}

        model = MultiTask()
        copy_weights(model)
        names = [n for n, _ in model.named_parameters()]
        assert "scales.1" in names and "task_weights.regress" in names
        assert len(model.heads) == 2 and "classify" in model.heads
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        losses = []
        for i in range(3):
            out = model(torch.from_numpy(inputs[i]), "tanh" if i % 2 else "relu")
            task_losses = {"classify": F.cross_entropy(out["classify"],
                                                       torch.from_numpy(class_targets[i])),
                           "regress": F.mse_loss(out["regress"],
                                                 torch.from_numpy(value_targets[i]))}
            # uncertainty weighting: exp(-s) * loss + s per task
            loss = sum(torch.exp(-model.task_weights[k]) * v + model.task_weights[k]
                       for k, v in task_losses.items())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        model.heads["extra"] = nn.Linear(6, 2)
        nn.init.constant_(model.heads["extra"].weight, 0.5)
        nn.init.zeros_(model.heads["extra"].bias)
        model.scales.append(nn.Parameter(torch.full((6,), 2.0)))
        return losses, sorted(model.state_dict().keys()), model.task_weights["classify"], model
    side_by_side(script)


# --- AdamW without decay on biases and norms, CosineAnnealingWarmRestarts ----------

def test_adamw_no_decay_groups_with_warm_restarts_stepped_by_fractions():
    inputs = DATA.normal(size=(3, 4, 5, 6))
    targets = DATA.integers(0, 3, size=(3, 4, 5))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.GELU(approximate="tanh"),
                              nn.Linear(8, 3))
        copy_weights(model)
        decay, no_decay = [], []
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            if param.ndim <= 1 or name.endswith(".bias"):
                no_decay.append(param)
            else:
                decay.append(param)
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                       {"params": no_decay, "weight_decay": 0.0}],
                                      lr=0.01, betas=(0.9, 0.95))
        assert len(decay) == 2 and len(no_decay) == 4
        scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=1, T_mult=2, eta_min=1e-4)
        iters, losses, lrs = 4, [], []
        for epoch in range(3):
            for i in range(iters):
                loss = nn.functional.cross_entropy(model(torch.from_numpy(inputs[epoch, i])),
                                                   torch.from_numpy(targets[epoch, i]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step(epoch + i / iters)
                losses.append(loss.item())
                lrs.append([group["lr"] for group in optimizer.param_groups])
        return losses, lrs, scheduler.T_cur, scheduler.T_i, model
    side_by_side(script)


# --- OneCycleLR cycling Adam's betas -----------------------------------------------

def test_one_cycle_three_phase_linear_schedule_cycling_adam_betas():
    inputs = DATA.normal(size=(10, 4, 3))
    targets = DATA.normal(size=(10, 4, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 5), nn.SiLU(), nn.Linear(5, 2))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=0.05, epochs=2, steps_per_epoch=5, pct_start=0.3,
            anneal_strategy="linear", three_phase=True, div_factor=10.0,
            final_div_factor=100.0, base_momentum=0.8, max_momentum=0.9)
        losses, lrs, betas = [], [], []
        for i in range(10):
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                          torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
            betas.append(optimizer.param_groups[0]["betas"][0])
        return losses, lrs, betas, optimizer.param_groups[0]["initial_lr"], model
    side_by_side(script)


# --- Clipping by value, and by a norm that must be finite --------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.filterwarnings("ignore:clip_grad_norm_. the total norm")
def test_clip_grad_value_and_clip_grad_norm_error_if_nonfinite():
    inputs = DATA.normal(size=(4, 6, 3)) * 5
    targets = DATA.normal(size=(4, 6, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5, dampening=0.1)
        losses, norms = [], []
        for i in range(4):
            loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                          torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            if i % 2:
                nn.utils.clip_grad_value_(model.parameters(), clip_value=0.3)
                norms.append(float(nn.utils.get_total_norm(
                    [p.grad for p in model.parameters()], norm_type=1.0)))
            else:
                norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0,
                                                      norm_type=2.0, error_if_nonfinite=True))
            optimizer.step()
            losses.append(loss.item())
        optimizer.zero_grad()
        (model(torch.from_numpy(inputs[0])).sum() * float("inf")).backward()
        before = [p.detach().clone() for p in model.parameters()]
        with pytest.raises(RuntimeError, match="error_if_nonfinite=False"):
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, error_if_nonfinite=True)
        unchecked = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        assert not torch.isfinite(unchecked)
        assert all(bool((p.detach() == b).all()) for p, b in zip(model.parameters(), before))
        return losses, norms, model
    side_by_side(script)


# --- A DataLoader shuffled by a seeded generator -----------------------------------

def test_tensor_dataset_loader_with_a_seeded_generator_and_an_epoch_step():
    inputs = DATA.normal(size=(10, 4))
    targets = DATA.integers(0, 2, size=10)

    def script(torch, copy_weights):
        nn = torch.nn
        TensorDataset, DataLoader = torch.utils.data.TensorDataset, torch.utils.data.DataLoader
        dataset = TensorDataset(torch.from_numpy(inputs), torch.from_numpy(targets))
        assert len(dataset) == 10 and dataset[3][1].item() == targets[3]

        def loader(seed):
            return DataLoader(dataset, batch_size=4, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))

        first = [y.tolist() for _, y in loader(7)]
        again = [y.tolist() for _, y in loader(7)]
        assert first == again and sorted(sum(first, [])) == sorted(targets.tolist())
        assert [len(y) for y in first] == [4, 4, 2]
        model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
        epoch_losses = []
        train_loader = loader(11)
        for epoch in range(3):
            # a whole-epoch step: summed losses, so the order of the batches does not matter
            optimizer.zero_grad()
            total = 0.0
            for xb, yb in train_loader:
                loss = nn.functional.cross_entropy(model(xb), yb, reduction="sum") / len(dataset)
                loss.backward()
                total += loss.item()
            optimizer.step()
            epoch_losses.append(total)
        return epoch_losses, model
    side_by_side(script)


# --- A checkpoint round trip through a BytesIO mid-training -------------------------

def test_checkpoint_round_trip_through_bytes_io_with_scheduler_state():
    inputs = DATA.normal(size=(6, 5, 3))
    targets = DATA.normal(size=(6, 5, 2))

    def script(torch, copy_weights):
        nn = torch.nn

        def make():
            model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.BatchNorm1d(4), nn.ReLU(),
                                  nn.Linear(4, 2))
            optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
            return model, optimizer, scheduler

        def train(model, optimizer, scheduler, steps):
            losses = []
            for i in steps:
                model.train()
                loss = nn.functional.mse_loss(model(torch.from_numpy(inputs[i])),
                                              torch.from_numpy(targets[i]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                scheduler.step()
                losses.append(loss.item())
            return losses

        model, optimizer, scheduler = make()
        copy_weights(model)
        first = train(model, optimizer, scheduler, range(3))
        buffer = io.BytesIO()
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "step": 3}, buffer)
        buffer.seek(0)
        checkpoint = torch.load(buffer, weights_only=True)
        straight_on = train(model, optimizer, scheduler, range(3, 6))
        restored, restored_optimizer, restored_scheduler = make()
        missing = restored.load_state_dict(checkpoint["model"], strict=True)
        assert list(missing.missing_keys) == [] and list(missing.unexpected_keys) == []
        restored_optimizer.load_state_dict(checkpoint["optimizer"])
        restored_scheduler.load_state_dict(checkpoint["scheduler"])
        assert restored_scheduler.get_last_lr() == [0.01]
        resumed = train(restored, restored_optimizer, restored_scheduler, range(3, 6))
        assert resumed == straight_on
        weights_buffer = io.BytesIO()
        torch.save(restored.state_dict(), weights_buffer)
        return first, straight_on, checkpoint["step"], weights_buffer.tell() > 0, restored
    side_by_side(script)


# --- L-BFGS with a strong Wolfe line search ----------------------------------------

def test_lbfgs_logistic_regression_with_strong_wolfe_line_search():
    inputs = DATA.normal(size=(20, 3))
    labels = (inputs @ np.array([1.0, -2.0, 0.5]) + 0.3 * DATA.normal(size=20) > 0)

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Linear(3, 1)
        copy_weights(model)
        x = torch.from_numpy(inputs)
        y = torch.from_numpy(labels.astype(np.float64)).unsqueeze(1)
        criterion = nn.BCEWithLogitsLoss()
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=10, history_size=5,
                                      line_search_fn="strong_wolfe")
        closure_losses, step_losses = [], []

        def closure():
            optimizer.zero_grad()
            loss = criterion(model(x), y) + 1e-2 * model.weight.pow(2).sum()
            loss.backward()
            closure_losses.append(loss.item())
            return loss

        for _ in range(3):
            step_losses.append(optimizer.step(closure).item())
        state = optimizer.state[optimizer.param_groups[0]["params"][0]]
        return step_losses, closure_losses, state["n_iter"], state["func_evals"], model
    side_by_side(script)


# --- Weight normalisation as a parametrization -------------------------------------

def test_weight_norm_parametrization_trains_and_is_removed():
    inputs = DATA.normal(size=(3, 5, 4))
    targets = DATA.normal(size=(3, 5, 2))

    def script(torch, copy_weights):
        nn = torch.nn
        parametrizations, parametrize = nn.utils.parametrizations, nn.utils.parametrize
        conv = nn.Conv1d(2, 3, kernel_size=3, padding=1)
        head = nn.Linear(4, 2)
        copy_weights(conv, head)
        conv = parametrizations.weight_norm(conv, name="weight", dim=0)
        assert parametrize.is_parametrized(conv, "weight")
        original = conv.parametrizations.weight
        assert original.original0.shape == (3, 1, 1) and original.original1.shape == (3, 2, 3)
        optimizer = torch.optim.SGD(list(conv.parameters()) + list(head.parameters()), lr=0.1)
        losses, norms = [], []
        for i in range(3):
            x = torch.from_numpy(inputs[i]).view(5, 2, 2).repeat(1, 1, 2)
            loss = nn.functional.mse_loss(head(conv(x).sum(1)), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            norms.append(conv.weight.detach().flatten(1).norm(dim=1))
        assert torch.allclose(norms[-1], original.original0.detach().flatten())
        parametrize.remove_parametrizations(conv, "weight", leave_parametrized=True)
        assert not parametrize.is_parametrized(conv)
        return losses, norms, conv.weight, conv, head
    side_by_side(script)


# --- Per-sample gradients with torch.func ------------------------------------------

def test_per_sample_gradients_with_functional_call_vmap_and_grad():
    inputs = DATA.normal(size=(5, 3))
    targets = DATA.integers(0, 2, size=5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        func = torch.func
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        copy_weights(model)
        params = {k: v.detach() for k, v in model.named_parameters()}
        buffers = {k: v.detach() for k, v in model.named_buffers()}

        def compute_loss(params, buffers, sample, target):
            predictions = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
            return F.cross_entropy(predictions, target.unsqueeze(0))

        per_sample = func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(
            params, buffers, torch.from_numpy(inputs), torch.from_numpy(targets))
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        F.cross_entropy(model(x), y, reduction="sum").backward()
        for name, p in model.named_parameters():
            assert per_sample[name].shape == (5, *p.shape)
            assert np.allclose(np.asarray(per_sample[name].sum(0)), np.asarray(p.grad))
        # the layout of a Linear's weight differs (see test_torch_scripts_third.py), so
        # per-sample norms and the biases are compared
        norms = sum(torch.as_tensor(g).flatten(1).pow(2).sum(1)
                    for g in per_sample.values()).sqrt()
        return norms, per_sample["0.bias"], per_sample["2.bias"], model
    side_by_side(script)
