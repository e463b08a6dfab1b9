"""The seventh round of PyTorch scripts, training machinery (see
test_torch_scripts_seventh.py for the method): an EMA of weights by
``torch._foreach_mul_`` / ``_foreach_add_`` beside ``AveragedModel`` with
``get_ema_multi_avg_fn``, ``CyclicLR`` cycling SGD's momentum, MAML's inner loop through
``torch.autograd.grad(create_graph=True)`` and ``torch.func.functional_call``, running
observation statistics in buffers merged under ``no_grad`` (Chan et al.'s parallel
update), an RNN whose recurrent weight is kept orthogonal by a parametrization, and a
zoo of the less common activations.

Written by the library's documented convention: a buffer is an ndarray here, so the
in-place writes into buffers are ``buf[...] = value`` (which PyTorch also runs), not
``buf.copy_(value)`` / ``buf.fill_(value)``."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(74)


# --- An EMA of weights by _foreach ops, beside AveragedModel --------------------------

def test_ema_by_foreach_ops_beside_averaged_model_with_ema_multi_avg_fn():
    inputs = DATA.normal(size=(4, 6, 3))
    targets = DATA.normal(size=(4, 6, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        swa_utils = torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
        copy_weights(model)
        ema_model = copy.deepcopy(model)
        for p in ema_model.parameters():
            p.requires_grad_(False)
        averaged = swa_utils.AveragedModel(model, multi_avg_fn=swa_utils.get_ema_multi_avg_fn(0.9),
                                           use_buffers=True)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        decay, losses = 0.9, []

        @torch.no_grad()
        def update_ema():
            ema_params = list(ema_model.parameters())
            model_params = list(model.parameters())
            torch._foreach_mul_(ema_params, decay)
            torch._foreach_add_(ema_params, model_params, alpha=1 - decay)
            for b_ema, b in zip(ema_model.buffers(), model.buffers()):
                b_ema[...] = b                  # buffers are ndarrays here: no copy_

        @torch.no_grad()
        def update_ema_by_lerp():
            lerped = [p.clone() for p in ema_model.parameters()]
            torch._foreach_lerp_(lerped, list(model.parameters()), 1 - decay)
            return lerped

        for i in range(4):
            model.train()
            loss = F.mse_loss(model(torch.from_numpy(inputs[i])), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            lerped = update_ema_by_lerp()
            update_ema()
            averaged.update_parameters(model)
            losses.append(loss.item())
            with torch.no_grad():
                norms = torch._foreach_norm(list(model.parameters()))
            losses.append(sum(n.item() for n in norms))
        ema_model.eval()
        averaged.eval()
        with torch.no_grad():
            x = torch.from_numpy(inputs[0])
            outputs = (ema_model(x), averaged(x))
        lerped_sums = [t.sum().item() for t in lerped]     # (Linear's layout differs)
        return losses, lerped_sums, outputs, ema_model, averaged.module, averaged.n_averaged
    side_by_side(script)


# --- CyclicLR cycling SGD's momentum --------------------------------------------------

def test_cyclic_lr_triangular2_and_exp_range_cycling_momentum():
    inputs = DATA.normal(size=(10, 5, 4))
    targets = DATA.integers(0, 3, size=(10, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 6), nn.CELU(alpha=0.5), nn.Linear(6, 3))
        head = nn.Linear(4, 3)
        copy_weights(model, head)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1,
                                                      step_size_up=2, step_size_down=3,
                                                      mode="triangular2", base_momentum=0.8,
                                                      max_momentum=0.95)
        other = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9)
        exp_range = torch.optim.lr_scheduler.CyclicLR(other, base_lr=0.005, max_lr=0.05,
                                                      step_size_up=2, mode="exp_range",
                                                      gamma=0.9, cycle_momentum=False)
        losses, schedule = [], []
        for i in range(10):
            x, y = torch.from_numpy(inputs[i]), torch.from_numpy(targets[i])
            loss = F.cross_entropy(model(x), y) + F.cross_entropy(head(x), y)
            optimizer.zero_grad()
            other.zero_grad()
            loss.backward()
            optimizer.step()
            other.step()
            scheduler.step()
            exp_range.step()
            losses.append(loss.item())
            schedule.append((optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"],
                             exp_range.get_last_lr()[0]))
        return losses, schedule, model, head
    side_by_side(script)


# --- MAML's inner loop with create_graph=True -----------------------------------------

def test_maml_inner_loop_with_create_graph_and_functional_call():
    phases = DATA.uniform(0, np.pi, size=(3, 2))
    support_x = DATA.uniform(-3, 3, size=(3, 2, 5, 1))
    query_x = DATA.uniform(-3, 3, size=(3, 2, 5, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        functional_call = torch.func.functional_call
        model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 1))
        copy_weights(model)
        meta_optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        inner_lr, losses = 0.05, []
        for step in range(3):
            meta_optimizer.zero_grad()
            meta_loss = 0.0
            for task in range(2):
                phase = float(phases[step, task])
                xs = torch.from_numpy(support_x[step, task])
                xq = torch.from_numpy(query_x[step, task])
                ys, yq = torch.sin(xs + phase), torch.sin(xq + phase)
                params = dict(model.named_parameters())
                for _ in range(2):
                    inner_loss = F.mse_loss(functional_call(model, params, (xs,)), ys)
                    grads = torch.autograd.grad(inner_loss, params.values(), create_graph=True)
                    params = {name: p - inner_lr * g
                              for (name, p), g in zip(params.items(), grads)}
                meta_loss = meta_loss + F.mse_loss(functional_call(model, params, (xq,)), yq)
            meta_loss = meta_loss / 2
            meta_loss.backward()
            meta_optimizer.step()
            losses.append(meta_loss.item())
        return losses, model
    side_by_side(script)


# --- Running observation statistics in buffers ---------------------------------------

def test_running_mean_std_buffers_merged_under_no_grad():
    observations = DATA.normal(loc=[3.0, -1.0, 0.5], scale=[2.0, 0.5, 1.0], size=(5, 7, 3))
    returns = DATA.normal(size=(5, 7, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class RunningMeanStd(nn.Module):
            def __init__(self, shape, epsilon=1e-4):
                super().__init__()
                self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
                self.register_buffer("var", torch.ones(shape, dtype=torch.float64))
                self.register_buffer("count", torch.tensor(epsilon, dtype=torch.float64))

            @torch.no_grad()
            def update(self, x):
                batch_mean = x.mean(dim=0)
                batch_var = x.var(dim=0, unbiased=False)
                batch_count = x.shape[0]
                delta = batch_mean - self.mean
                total = self.count + batch_count
                new_mean = self.mean + delta * batch_count / total
                m_a = self.var * self.count
                m_b = batch_var * batch_count
                m2 = m_a + m_b + delta.pow(2) * self.count * batch_count / total
                self.mean[...] = new_mean           # buffers are ndarrays here: no copy_
                self.var[...] = m2 / total
                self.count[...] = total

            def forward(self, x):
                return ((x - self.mean) / torch.sqrt(self.var + 1e-8)).clamp(-5.0, 5.0)

        class Critic(nn.Module):
            def __init__(self):
                super().__init__()
                self.obs_rms = RunningMeanStd((3,))
                self.net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))

            def forward(self, obs):
                if self.training:
                    self.obs_rms.update(obs)
                return self.net(self.obs_rms(obs))

        critic = Critic()
        copy_weights(critic)
        assert sorted(critic.state_dict()) == ["net.0.bias", "net.0.weight", "net.2.bias",
                                               "net.2.weight", "obs_rms.count", "obs_rms.mean",
                                               "obs_rms.var"]
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2, amsgrad=True)
        losses = []
        for i in range(5):
            loss = F.smooth_l1_loss(critic(torch.from_numpy(observations[i])),
                                    torch.from_numpy(returns[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        everything = torch.from_numpy(observations.reshape(-1, 3))
        assert torch.allclose(critic.obs_rms.mean, everything.mean(0), atol=1e-4)
        return losses, critic
    side_by_side(script)


# --- An RNN with an orthogonal recurrent weight --------------------------------------

def test_rnn_with_orthogonal_parametrization_of_the_recurrent_weight():
    sequences = DATA.normal(size=(3, 4, 6, 2))
    targets = DATA.normal(size=(3, 4, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        orthogonal = nn.utils.parametrizations.orthogonal

        class OrthogonalRNN(nn.Module):
            def __init__(self, input_size, hidden):
                super().__init__()
                self.input = nn.Linear(input_size, hidden)
                self.recurrent = orthogonal(nn.Linear(hidden, hidden, bias=False))
                self.out = nn.Linear(hidden, 1)

            def forward(self, x):
                h = torch.zeros(x.shape[0], self.recurrent.weight.shape[0])
                for t in range(x.shape[1]):
                    h = torch.tanh(self.input(x[:, t]) + self.recurrent(h))
                return self.out(h)

        model = OrthogonalRNN(2, 4)
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        losses, deviations = [], []
        for i in range(3):
            loss = F.mse_loss(model(torch.from_numpy(sequences[i])), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            with torch.no_grad():
                w = model.recurrent.weight
                deviations.append((w @ w.T - torch.eye(4)).abs().max().item() < 1e-12)
        return losses, deviations, model
    side_by_side(script)


# --- A zoo of the less common activations ---------------------------------------------

def test_activation_zoo_glu_softmin_logsigmoid_softmax2d_and_threshold():
    images = DATA.normal(size=(3, 2, 4, 3, 3))
    labels = DATA.integers(0, 3, size=(3, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Zoo(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(4, 8, 1)
                self.glu = nn.GLU(dim=1)
                self.spatial = nn.Softmax2d()
                self.fc = nn.Linear(36, 6)
                self.acts = nn.ModuleList([nn.LogSigmoid(), nn.Softmin(dim=1),
                                           nn.Threshold(0.1, -1.0), nn.RReLU(0.1, 0.3),
                                           nn.Tanhshrink(), nn.Softshrink(0.2)])
                self.head = nn.Linear(6, 3)

            def forward(self, x):
                h = self.spatial(self.glu(self.conv(x)))
                h = self.fc(h.flatten(1))
                for act in self.acts:
                    h = h + 0.1 * act(h)
                return self.head(h)

        model = Zoo()
        copy_weights(model)
        optimizer = torch.optim.Adamax(model.parameters(), lr=1e-2)
        losses = []
        model.eval()                                  # RReLU's fixed mean slope
        for i in range(3):
            loss = F.cross_entropy(model(torch.from_numpy(images[i])), torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)
