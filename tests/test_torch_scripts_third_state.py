"""More PyTorch scripts (continued from ``test_torch_scripts_third.py``, same rules:
each written once against a module named ``torch``, run with PyTorch and with
``autodiff`` in its place from the same initial weights, in float64, agreeing to
~1e-10): containers and buffers saved and loaded, a custom Function checked with
gradcheck, forward and backward hooks, tensor reshaping and indexing, optimizer groups
and schedules, and seeding with datasets and loaders."""

from __future__ import annotations


import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(7)


# --- Containers, buffers, state_dict through save and load --------------------------

def test_containers_buffers_and_state_dict_save_load(tmp_path):
    inputs = DATA.normal(size=(3, 5, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class MultiHead(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(2)])
                self.heads = nn.ModuleDict({"mean": nn.Linear(4, 2), "scale": nn.Linear(4, 2)})
                self.gains = nn.ParameterList([nn.Parameter(torch.ones(4)) for _ in range(2)])
                self.offsets = nn.ParameterDict({"a": nn.Parameter(torch.zeros(2))})
                self.register_buffer("calls", torch.zeros(()))
                self.register_buffer("cache", torch.zeros(4), persistent=False)

            def forward(self, x):
                self.calls += 1
                for layer, gain in zip(self.layers, self.gains):
                    x = torch.relu(layer(x)) * gain
                self.cache = x.detach().mean(0)
                return {name: head(x) + self.offsets["a"] for name, head in self.heads.items()}

        model = MultiHead()
        copy_weights(model)
        assert [n for n, _ in model.named_buffers()] == ["calls", "cache"]
        assert "cache" not in model.state_dict()
        assert len(model.layers) == 2 and isinstance(model.layers[-1], nn.Linear)
        assert list(model.heads.keys()) == ["mean", "scale"]
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses = []
        for x in inputs:
            out = model(torch.from_numpy(x))
            loss = out["mean"].pow(2).mean() + torch.nn.functional.softplus(out["scale"]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        path = tmp_path / f"{torch.__name__}.pt"
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "epoch": 3}, path)
        checkpoint = torch.load(path)
        restored = MultiHead()
        restored.load_state_dict(checkpoint["model"])
        assert checkpoint["epoch"] == 3
        partial = MultiHead()
        state = {k: v for k, v in checkpoint["model"].items() if not k.startswith("heads.")}
        state["extra"] = torch.zeros(1)
        result = partial.load_state_dict(state, strict=False)
        missing, unexpected = sorted(result.missing_keys), list(result.unexpected_keys)
        assert unexpected == ["extra"]
        with torch.no_grad():
            again = restored(torch.from_numpy(inputs[0]))
        return losses, missing, restored, again, restored.calls.item()
    side_by_side(script)


# --- A custom autograd.Function with save_for_backward and gradcheck ----------------

def test_custom_function_with_needs_input_grad_and_gradcheck():
    points = DATA.normal(size=(4, 3))
    weights = DATA.normal(size=(2, 3))

    def script(torch, copy_weights):
        calls = []

        class LinearFunction(torch.autograd.Function):
            """The tutorial's, with torch.mm for the .mm method: forward and backward
            receive NumPy arrays in autodiff (see the module's list)."""

            @staticmethod
            def forward(ctx, input, weight, bias=None):
                ctx.save_for_backward(input, weight, bias)
                output = torch.mm(input, weight.T)
                if bias is not None:
                    output = output + bias[None, :]
                return output

            @staticmethod
            def backward(ctx, grad_output):
                input, weight, bias = ctx.saved_tensors
                grad_input = grad_weight = grad_bias = None
                if ctx.needs_input_grad[0]:
                    grad_input = torch.mm(grad_output, weight)
                if ctx.needs_input_grad[1]:
                    grad_weight = torch.mm(grad_output.T, input)
                if bias is not None and ctx.needs_input_grad[2]:
                    grad_bias = grad_output.sum(0)
                calls.append(ctx.needs_input_grad)
                return grad_input, grad_weight, grad_bias

        class MulConstant(torch.autograd.Function):
            @staticmethod
            def forward(ctx, tensor, constant):
                ctx.constant = constant
                return tensor * constant

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output * ctx.constant, None

        linear = LinearFunction.apply
        x = torch.tensor(points, requires_grad=True)
        w = torch.tensor(weights, requires_grad=True)
        b = torch.zeros(2, requires_grad=True)
        assert torch.autograd.gradcheck(linear, (x, w, b), eps=1e-6, atol=1e-4)
        assert torch.autograd.gradcheck(MulConstant.apply, (x, 2.5))
        out = MulConstant.apply(linear(x, w, b), 3.0)
        loss = (out.tanh() ** 2).sum()
        loss.backward()
        frozen = torch.tensor(points)
        y = linear(frozen, w)                # needs_input_grad[0] is False here
        y.sum().backward()
        assert calls[-1] == (False, True)
        return loss, x.grad, w.grad, b.grad
    side_by_side(script)


# --- Forward, pre-forward and backward hooks on modules and tensors -----------------

def test_module_and_tensor_hooks_change_values_and_see_gradients():
    inputs = DATA.normal(size=(3, 4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
        copy_weights(model)
        seen = {"grad_output": [], "grad_input": [], "hidden": []}

        def double_input(module, args):
            return (args[0] * 2,)

        def shift_output(module, args, output):
            return output + 1.0

        def backward_hook(module, grad_input, grad_output):
            seen["grad_output"].append(grad_output[0].detach().clone())
            seen["grad_input"].append(grad_input[0].detach().clone())

        handles = [model[0].register_forward_pre_hook(double_input),
                   model[2].register_forward_hook(shift_output),
                   model[2].register_full_backward_hook(backward_hook)]
        losses, grads = [], []
        for x in inputs:
            x = torch.from_numpy(x).requires_grad_()
            hidden = model[1](model[0](x))
            hidden.register_hook(lambda grad: grad * 0.5)
            hidden.retain_grad()
            out = model[2](hidden)
            loss = out.pow(2).sum()
            loss.backward()
            seen["hidden"].append(hidden.grad)
            losses.append(loss.item())
            grads.append(x.grad)
        for handle in handles:
            handle.remove()
        plain = model(torch.from_numpy(inputs[0]))
        biases = [model[0].bias.grad, model[2].bias.grad]
        return losses, grads, seen, plain, biases
    side_by_side(script)


# --- view / reshape / permute / gather / scatter_ / masked_fill / index_select ------

def test_reshaping_and_indexing_methods_in_a_loss():
    values = DATA.normal(size=(2, 3, 4))
    picks = DATA.integers(0, 4, size=(2, 3, 2))
    mask = DATA.uniform(size=(2, 3, 4)) < 0.3

    def script(torch, copy_weights):
        x = torch.tensor(values, requires_grad=True)
        idx = torch.from_numpy(picks)
        m = torch.from_numpy(mask)
        y = x.permute(2, 0, 1).contiguous().view(4, -1)              # (4, 6)
        z = y.t().reshape(2, 3, 4)
        picked = z.gather(2, idx)                                     # (2, 3, 2)
        filled = z.masked_fill(m, float("-inf")).softmax(dim=-1)
        chosen = x.index_select(1, torch.tensor([2, 0]))              # (2, 2, 4)
        spread = x[:, :1].expand(-1, 3, -1) * x                       # broadcast by expand
        tiled = x.mean(0).unsqueeze(0).repeat(2, 1, 1)
        order = torch.from_numpy(np.argsort(values, axis=2)[..., :2].copy())
        scores = torch.zeros(2, 3, 4).scatter_(2, order, 1.0)
        added = torch.zeros(2, 3, 4).scatter_add(2, idx, picked)
        top, where = x.flatten(1).topk(3, dim=1)
        parts = torch.chunk(x, 2, dim=2)
        flipped = torch.flip(x, dims=[1]).roll(1, dims=2)
        loss = (picked.sum() + (filled * z).sum() + chosen.pow(2).sum() + spread.sum()
                + (tiled * scores).sum() + added.sum() + top.sum()
                + (parts[0] * parts[1]).sum() + (flipped * x).sum()
                + torch.einsum("bij,bkj->bik", x, x).diagonal(dim1=1, dim2=2).sum())
        loss.backward()
        assert not x.permute(2, 0, 1).is_contiguous()
        return loss, x.grad, where, scores, y.stride(), z.shape
    side_by_side(script)


# --- Adam with weight decay, param groups, add_param_group, schedulers --------------

def test_adam_groups_add_param_group_state_dict_and_schedulers():
    inputs = DATA.normal(size=(6, 8, 3))
    targets = DATA.normal(size=(6, 8, 1))

    def script(torch, copy_weights):
        nn = torch.nn
        body, head, extra = nn.Linear(3, 6), nn.Linear(6, 1), nn.Linear(3, 1)
        copy_weights(body, head, extra)
        optimizer = torch.optim.Adam([{"params": body.parameters()},
                                      {"params": head.parameters(), "lr": 3e-2}],
                                     lr=1e-2, weight_decay=1e-3, amsgrad=True)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=[2e-2, 5e-2], total_steps=6, pct_start=0.5,
            anneal_strategy="linear", cycle_momentum=True)
        losses, lrs = [], []
        for i in range(3):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            loss = nn.functional.mse_loss(head(torch.relu(body(x))), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append([(g["lr"], g["betas"][0]) for g in optimizer.param_groups])
        saved = optimizer.state_dict()
        fresh = torch.optim.Adam([{"params": body.parameters()},
                                  {"params": head.parameters(), "lr": 3e-2}],
                                 lr=1e-2, weight_decay=1e-3, amsgrad=True)
        fresh.load_state_dict(saved)
        fresh.add_param_group({"params": extra.parameters(), "lr": 1e-3,
                               "weight_decay": 0.0})
        plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(fresh, mode="min", factor=0.5,
                                                             patience=0)
        for i in range(3, 6):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            loss = nn.functional.mse_loss(head(torch.relu(body(x))) + extra(x), y)
            fresh.zero_grad()
            loss.backward()
            fresh.step()
            plateau.step(loss.item() if i != 4 else 10.0)
            losses.append(loss.item())
            lrs.append([g["lr"] for g in fresh.param_groups])
        return losses, lrs, body, head, extra
    side_by_side(script)


# --- Seeding, TensorDataset, DataLoader and random_split ----------------------------

def test_seeded_runs_datasets_loaders_and_random_split():
    features = DATA.normal(size=(20, 3))
    labels = DATA.integers(0, 2, size=20)

    def script(torch, copy_weights):
        DataLoader, TensorDataset = torch.utils.data.DataLoader, torch.utils.data.TensorDataset
        random_split = torch.utils.data.random_split

        torch.manual_seed(42)
        first = torch.randn(3, 2)
        torch.manual_seed(42)
        assert first.equal(torch.randn(3, 2))
        dataset = TensorDataset(torch.from_numpy(features), torch.from_numpy(labels))
        train_set, val_set = random_split(dataset, [0.75, 0.25],
                                          generator=torch.Generator().manual_seed(0))
        assert (len(train_set), len(val_set)) == (15, 5)
        assert sorted(train_set.indices + val_set.indices) == list(range(20))
        orders = []
        for _ in range(2):
            loader = DataLoader(train_set, batch_size=4, shuffle=True,
                                generator=torch.Generator().manual_seed(3))
            orders.append([y.tolist() for _, y in loader])
        assert orders[0] == orders[1] and len(orders[0]) == 4
        model = torch.nn.Linear(3, 2)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, nesterov=True, momentum=0.5)
        loader = DataLoader(dataset, batch_size=6, shuffle=False, drop_last=True)
        assert len(loader) == 3
        losses, sizes = [], []
        for epoch in range(2):
            for xb, yb in loader:
                loss = torch.nn.functional.cross_entropy(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
                sizes.append(tuple(xb.shape))
        x0, y0 = dataset[0]
        return losses, sizes, model, x0, y0.item()
    side_by_side(script)
