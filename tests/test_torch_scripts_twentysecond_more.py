"""Round 22 of the PyTorch scripts (see test_torch_scripts_twentysecond.py): more.
Speculative decoding's accept/resample rule (``torch.minimum`` of probability ratios,
the residual ``clamp(min=0)`` renormalised, explicit uniforms), a DDIM sampler with
classifier-free guidance (a doubled batch by ``torch.cat``, split by ``chunk(2)``, the
schedule's ``alphas_cumprod`` read at each timestep), layer-wise learning-rate decay
(parameter groups built from ``named_parameters()`` names, no weight decay on biases
and norms, ``CosineAnnealingLR``), a rolling median and robust z-scores by
``Tensor.unfold`` with ``median(dim=-1)``, ``torch.nan_to_num`` and ``torch.nanmean``,
packed sequences attended with a block-diagonal causal document mask and a prefix-LM
mask (boolean ``attn_mask`` of ``F.scaled_dot_product_attention``), a reward model
trained on preference pairs (the last non-padding token's score by ``gather`` of
``attention_mask.sum(1) - 1``, ``F.logsigmoid`` of the margin), an ensemble's
predictions by ``torch.func.vmap(in_dims=(0, None), out_dims=1)`` over stacked weights,
a graph-level readout whose batch vector comes from ``torch.repeat_interleave(sizes)``
(mean pooling by ``index_add_``, max pooling by ``scatter_reduce(reduce='amax',
include_self=False)``), and a Kalman filter whose gain is ``torch.linalg.solve(S, P @
H.T, left=False)``, its noise levels learned from the ``MultivariateNormal`` likelihood.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2422)


def test_speculative_decoding_accepts_or_resamples_draft_tokens():
    draft_logits = DATA.normal(size=(4, 7))
    target_logits = DATA.normal(size=(5, 7))
    draft_tokens = DATA.integers(0, 7, size=4)
    uniforms = DATA.uniform(size=5)

    def script(torch, copy_weights):
        F = torch.nn.functional
        q = F.softmax(torch.from_numpy(draft_logits), dim=-1)          # draft model
        p = F.softmax(torch.from_numpy(target_logits), dim=-1)         # target model
        tokens = torch.from_numpy(draft_tokens)
        u = torch.from_numpy(uniforms)
        accepted = []
        for i in range(len(tokens)):
            t = tokens[i]
            ratio = torch.minimum(torch.ones(()), p[i, t] / q[i, t])
            if u[i] < ratio:
                accepted.append(t.item())
                continue
            residual = torch.clamp(p[i] - q[i], min=0)
            residual = residual / residual.sum()
            cdf = torch.cumsum(residual, dim=0)
            accepted.append(torch.searchsorted(cdf, u[i:i + 1]).item())
            break
        else:
            cdf = torch.cumsum(p[len(tokens)], dim=0)
            accepted.append(torch.searchsorted(cdf, u[-1:]).item())
        acceptance = torch.minimum(torch.ones(len(tokens)),
                                   p[torch.arange(4), tokens] / q[torch.arange(4), tokens])
        return torch.tensor(accepted), acceptance
    side_by_side(script)


def test_ddim_sampler_with_classifier_free_guidance():
    labels_np = np.array([1, 3])
    start = DATA.normal(size=(2, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class Denoiser(nn.Module):
            def __init__(self, classes=4, dim=4):
                super().__init__()
                self.label = nn.Embedding(classes + 1, 6)             # the last: no label
                self.time = nn.Linear(1, 6)
                self.net = nn.Sequential(nn.Linear(dim + 6, 16), nn.SiLU(), nn.Linear(16, dim))

            def forward(self, x, t, y):
                h = self.label(y) + self.time(t.unsqueeze(-1))
                return self.net(torch.cat([x, h], dim=-1))

        model = Denoiser()
        copy_weights(model)
        model.eval()
        steps = 50
        betas = torch.linspace(1e-4, 0.02, steps)
        alphas_cumprod = torch.cumprod(1 - betas, dim=0)
        timesteps = torch.arange(steps - 1, -1, -10)
        x = torch.from_numpy(start)
        y = torch.from_numpy(labels_np)
        null = torch.full_like(y, 4)
        guidance = 3.0
        trajectory = []
        with torch.no_grad():
            for i, t in enumerate(timesteps):
                x_in = torch.cat([x, x])
                t_in = torch.full((4,), t.item() / steps)
                eps_cond, eps_uncond = model(x_in, t_in, torch.cat([y, null])).chunk(2)
                eps = eps_uncond + guidance * (eps_cond - eps_uncond)
                a_t = alphas_cumprod[t]
                a_prev = alphas_cumprod[timesteps[i + 1]] if i + 1 < len(timesteps) \
                    else torch.tensor(1.0)
                x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
                x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
                trajectory.append(x.clone())
        return trajectory, alphas_cumprod[timesteps]
    side_by_side(script)


def test_layer_wise_learning_rate_decay_from_parameter_names():
    inputs = DATA.normal(size=(6, 5))
    targets = np.array([0, 1, 2, 0, 1, 2])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class Encoder(nn.Module):
            def __init__(self, depth=3, dim=5):
                super().__init__()
                self.embed = nn.Linear(dim, dim)
                self.layers = nn.ModuleList(
                    nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.GELU())
                    for _ in range(depth))
                self.head = nn.Linear(dim, 3)

            def forward(self, x):
                x = self.embed(x)
                for layer in self.layers:
                    x = x + layer(x)
                return self.head(x)

        model = Encoder()
        copy_weights(model)
        base_lr, decay, depth = 0.01, 0.5, len(model.layers)
        groups = {}
        for name, p in model.named_parameters():
            if name.startswith("embed"):
                layer_id = 0
            elif name.startswith("layers."):
                layer_id = int(name.split(".")[1]) + 1
            else:
                layer_id = depth + 1
            no_decay = p.ndim == 1
            key = (layer_id, no_decay)
            if key not in groups:
                groups[key] = {"params": [], "lr": base_lr * decay ** (depth + 1 - layer_id),
                               "weight_decay": 0.0 if no_decay else 0.05, "names": []}
            groups[key]["params"].append(p)
            groups[key]["names"].append(name)
        param_groups = [groups[k] for k in sorted(groups)]
        optimizer = torch.optim.AdamW(param_groups, lr=base_lr)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4)
        x, y = torch.from_numpy(inputs), torch.from_numpy(targets)
        history = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            history.append((loss.item(), scheduler.get_last_lr()))
        names = [g["names"] for g in optimizer.param_groups]
        return history, names, model
    side_by_side(script)


def test_rolling_median_and_robust_z_scores_by_unfold():
    series = np.sin(np.linspace(0, 4 * np.pi, 30)) + 0.1 * DATA.normal(size=30)
    series[[5, 17]] = [4.0, -3.0]                                   # spikes
    series[[9, 22]] = np.nan                                        # gaps

    def script(torch, copy_weights):
        x = torch.from_numpy(series)
        filled = torch.nan_to_num(x, nan=torch.nanmean(x).item())
        level = torch.tensor(0.0, requires_grad=True)
        shifted = filled + level
        windows = shifted.unfold(0, 5, 1)                           # (26, 5)
        rolling_median, where = windows.median(dim=-1)
        deviations = (windows - rolling_median.unsqueeze(-1)).abs()
        mad = deviations.median(dim=-1).values
        z = (shifted[2:-2] - rolling_median) / (1.4826 * mad + 1e-9)
        outliers = torch.nonzero(z.abs() > 3.5, as_tuple=False).squeeze(-1) + 2
        cleaned = torch.where(z.abs() > 3.5, rolling_median, shifted[2:-2])
        cleaned.sum().backward()
        return filled, rolling_median, where, mad, z, outliers, level.grad
    side_by_side(script)


def test_packed_sequences_with_block_diagonal_causal_and_prefix_lm_masks():
    document_ids = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    features = DATA.normal(size=(1, 2, 8, 4))

    def script(torch, copy_weights):
        F = torch.nn.functional
        doc = torch.from_numpy(document_ids)
        T = len(doc)
        same_document = doc[:, None] == doc[None, :]
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        packed_mask = same_document & causal
        prefix = torch.zeros(T, dtype=torch.bool)
        prefix[:3] = True
        prefix_lm = causal | (prefix[None, :] & prefix[:, None])
        q = torch.from_numpy(features).requires_grad_()
        packed = F.scaled_dot_product_attention(q, q, q, attn_mask=packed_mask)
        prefixed = F.scaled_dot_product_attention(q, q, q, attn_mask=prefix_lm)
        float_mask = torch.zeros(T, T).masked_fill(~packed_mask, float("-inf"))
        with_float = F.scaled_dot_product_attention(q, q, q, attn_mask=float_mask)
        (packed.pow(2).sum() + prefixed.sum()).backward()
        return packed, prefixed, with_float, q.grad
    side_by_side(script)


def test_reward_model_on_preference_pairs_scores_the_last_real_token():
    chosen_np = np.array([[3, 5, 2, 0, 0], [4, 4, 1, 6, 0]])
    rejected_np = np.array([[3, 1, 0, 0, 0], [4, 2, 2, 2, 6]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class RewardModel(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(7, 6, padding_idx=0)
                self.rnn = nn.GRU(6, 6, batch_first=True)
                self.score = nn.Linear(6, 1)

            def forward(self, input_ids, attention_mask):
                hidden, _ = self.rnn(self.embed(input_ids))
                rewards = self.score(hidden).squeeze(-1)                # (B, T)
                last = attention_mask.sum(dim=1) - 1
                return rewards.gather(1, last.unsqueeze(1)).squeeze(1)

        model = RewardModel()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        chosen, rejected = torch.from_numpy(chosen_np), torch.from_numpy(rejected_np)
        history = []
        for _ in range(3):
            r_chosen = model(chosen, (chosen != 0).long())
            r_rejected = model(rejected, (rejected != 0).long())
            loss = -F.logsigmoid(r_chosen - r_rejected).mean()
            accuracy = (r_chosen > r_rejected).float().mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), accuracy))
        return history, model
    side_by_side(script)


def test_ensemble_predictions_by_vmap_over_stacked_weights_with_out_dims():
    inputs = DATA.normal(size=(6, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        models = [nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)) for _ in range(4)]
        copy_weights(*models)
        params, buffers = torch.func.stack_module_state(models)
        base = models[0]

        def predict(p, b, x):
            return torch.func.functional_call(base, (p, b), (x,))

        x = torch.from_numpy(inputs)
        stacked = torch.func.vmap(predict, in_dims=(0, 0, None), out_dims=1)(params, buffers, x)
        mean = stacked.mean(dim=1)
        spread = stacked.var(dim=1, unbiased=False)
        mean.sum().backward()
        # (the biases' gradients: a Linear's weight is (in, out) here, PyTorch's (out, in))
        return stacked, mean, spread, {k: v.grad for k, v in params.items()
                                       if k.endswith("bias")}
    side_by_side(script)


def test_graph_level_readout_from_a_batch_vector_by_repeat_interleave():
    sizes = np.array([3, 2, 4])
    node_features = DATA.normal(size=(9, 3))
    edges = np.array([[0, 1, 1, 2, 3, 5, 6, 7, 8], [1, 0, 2, 1, 4, 6, 7, 8, 5]])
    graph_labels = np.array([0.5, -1.0, 2.0])

    def script(torch, copy_weights):
        nn = torch.nn
        conv, readout = nn.Linear(3, 4), nn.Linear(8, 1)
        copy_weights(conv, readout)
        num_nodes = torch.from_numpy(sizes)
        batch = torch.repeat_interleave(num_nodes)               # graph of each node
        src, dst = torch.from_numpy(edges)
        x = torch.from_numpy(node_features)
        params = list(conv.parameters()) + list(readout.parameters())
        optimizer = torch.optim.Adam(params, lr=0.01)
        history = []
        for _ in range(3):
            messages = conv(x)[src]
            h = torch.relu(torch.zeros(9, 4).index_add_(0, dst, messages) + conv(x))
            mean_pool = torch.zeros(3, 4).index_add_(0, batch, h) / num_nodes.unsqueeze(1)
            max_pool = torch.zeros(3, 4).scatter_reduce(
                0, batch.unsqueeze(1).expand(-1, 4), h, reduce="amax", include_self=False)
            out = readout(torch.cat([mean_pool, max_pool], dim=1)).squeeze(1)
            loss = ((out - torch.from_numpy(graph_labels)) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append(loss.item())
        return batch, history, conv, readout
    side_by_side(script)


def test_kalman_filter_with_a_gain_by_solve_left_false_and_learned_noise():
    observations = np.cumsum(DATA.normal(size=(6, 2)), axis=0)

    def script(torch, copy_weights):
        MultivariateNormal = torch.distributions.MultivariateNormal
        F_ = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0],
                           [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
        H = torch.eye(2, 4)
        log_q = torch.tensor(-1.0, requires_grad=True)
        log_r = torch.tensor(0.0, requires_grad=True)
        optimizer = torch.optim.Adam([log_q, log_r], lr=0.1)
        ys = torch.from_numpy(observations)
        history = []
        for _ in range(3):
            Q, R = log_q.exp() * torch.eye(4), log_r.exp() * torch.eye(2)
            x, P = torch.zeros(4), torch.eye(4)
            log_likelihood = 0
            for y in ys:
                x, P = F_ @ x, F_ @ P @ F_.T + Q
                S = H @ P @ H.T + R
                log_likelihood = log_likelihood + MultivariateNormal(H @ x, S).log_prob(y)
                K = torch.linalg.solve(S, P @ H.T, left=False)       # K S = P H^T
                x = x + K @ (y - H @ x)
                P = (torch.eye(4) - K @ H) @ P
            loss = -log_likelihood
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append((loss.item(), x.detach(), P.detach()))
        return history, log_q, log_r
    side_by_side(script)
