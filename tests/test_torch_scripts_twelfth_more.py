"""The twelfth round of PyTorch scripts, more models (see test_torch_scripts_twelfth.py
for the method): a bidirectional two-layer GRU encoder whose final states are folded by
``view(num_layers, 2, batch, hidden)`` into a decoder's start, a mixture of experts
routed by ``topk`` gates with a load-balancing loss and ``index_add_``, a neural ODE
integrated by hand with RK4, multi-task losses weighted by learned log-variances, a
Deep Sets model pooling over padded sets with ``masked_fill`` and ``amax``, and nanoGPT
(``configure_optimizers`` by ``p.dim()`` with a ``fused`` check by ``inspect.signature``,
``LayerNorm(bias=False)``, causal ``scaled_dot_product_attention``, top-k generation
under ``@torch.no_grad()``; its output layer tied to ``wte`` by ``F.linear``, as assigning
``wte.weight = lm_head.weight`` is refused here)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1216)


def test_bidirectional_two_layer_gru_states_folded_into_a_decoder_start():
    source_values = DATA.normal(size=(3, 7, 4))
    target_values = DATA.normal(size=(3, 5, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        num_layers, hidden = 2, 5
        encoder = nn.GRU(4, hidden, num_layers=num_layers, bidirectional=True,
                         batch_first=True)
        bridge = nn.Linear(2 * hidden, hidden)
        decoder = nn.GRU(2, hidden, num_layers=num_layers, batch_first=True)
        head = nn.Linear(hidden, 2)
        copy_weights(encoder, bridge, decoder, head)
        modules = nn.ModuleList([encoder, bridge, decoder, head])
        optimizer = torch.optim.RMSprop(modules.parameters(), lr=0.01)
        source, target = torch.from_numpy(source_values), torch.from_numpy(target_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            outputs, h_n = encoder(source)
            batch = source.size(0)
            h_n = h_n.view(num_layers, 2, batch, hidden)
            start = torch.tanh(bridge(torch.cat([h_n[:, 0], h_n[:, 1]], dim=-1)))
            decoder_input = F.pad(target[:, :-1], (0, 0, 1, 0))    # shifted right
            decoded, _ = decoder(decoder_input, start.contiguous())
            loss = F.mse_loss(head(decoded), target)
            loss = loss + 1e-3 * outputs.pow(2).mean()
            loss.backward()
            nn.utils.clip_grad_norm_(modules.parameters(), max_norm=1.0)
            optimizer.step()
            losses.append(loss.item())
        return losses, encoder, bridge, decoder, head
    side_by_side(script)


def test_mixture_of_experts_routed_by_topk_gates_with_a_load_balancing_loss():
    token_values = DATA.normal(size=(10, 6))
    target_values = DATA.normal(size=(10, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MoE(nn.Module):
            def __init__(self, dim=6, num_experts=4, k=2):
                super().__init__()
                self.k, self.num_experts = k, num_experts
                self.gate = nn.Linear(dim, num_experts, bias=False)
                self.experts = nn.ModuleList(
                    nn.Sequential(nn.Linear(dim, 8), nn.GELU(), nn.Linear(8, dim))
                    for _ in range(num_experts))

            def forward(self, x):
                logits = self.gate(x)
                probs = logits.softmax(dim=-1)
                weights, chosen = torch.topk(probs, self.k, dim=-1)
                weights = weights / weights.sum(dim=-1, keepdim=True)
                out = torch.zeros_like(x)
                for e, expert in enumerate(self.experts):
                    token_idx, slot = torch.where(chosen == e)
                    if token_idx.numel() == 0:
                        continue
                    y = expert(x[token_idx]) * weights[token_idx, slot].unsqueeze(-1)
                    out.index_add_(0, token_idx, y)
                # Switch-Transformer balance: fraction routed times mean gate prob
                routed = F.one_hot(chosen[:, 0], self.num_experts).double().mean(dim=0)
                balance = self.num_experts * (routed * probs.mean(dim=0)).sum()
                return out, balance

        model = MoE()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        tokens, targets = torch.from_numpy(token_values), torch.from_numpy(target_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            out, balance = model(tokens)
            loss = F.mse_loss(out, targets) + 0.01 * balance
            loss.backward()
            optimizer.step()
            losses.append([loss.item(), balance.item()])
        return losses, model
    side_by_side(script)


def test_neural_ode_integrated_by_hand_with_rk4():
    start_values = DATA.normal(size=(5, 2))
    angle = 0.3
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target_values = start_values @ rotation.T

    def script(torch, copy_weights):
        nn = torch.nn

        class ODEFunc(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Linear(16, 2))

            def forward(self, t, y):
                return self.net(torch.cat([y, t.expand(y.shape[0], 1)], dim=1))

        def odeint_rk4(func, y0, t):
            ys = [y0]
            y = y0
            for t0, t1 in zip(t[:-1], t[1:]):
                h = t1 - t0
                k1 = func(t0, y)
                k2 = func(t0 + h / 2, y + h / 2 * k1)
                k3 = func(t0 + h / 2, y + h / 2 * k2)
                k4 = func(t1, y + h * k3)
                y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
                ys.append(y)
            return torch.stack(ys)

        func = ODEFunc()
        copy_weights(func)
        optimizer = torch.optim.Adam(func.parameters(), lr=0.01)
        y0, target = torch.from_numpy(start_values), torch.from_numpy(target_values)
        t = torch.linspace(0.0, 1.0, 5)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            trajectory = odeint_rk4(func, y0, t)
            loss = (trajectory[-1] - target).abs().mean()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, func, trajectory.shape[0]
    side_by_side(script)


def test_multi_task_losses_weighted_by_learned_log_variances():
    feature_values = DATA.normal(size=(8, 4))
    regression_values = DATA.normal(size=(8, 1))
    class_values = DATA.integers(0, 3, size=8)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class MultiTask(nn.Module):
            def __init__(self):
                super().__init__()
                self.trunk = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
                self.regress = nn.Linear(6, 1)
                self.classify = nn.Linear(6, 3)
                self.log_vars = nn.Parameter(torch.zeros(2))

            def forward(self, x):
                h = self.trunk(x)
                return self.regress(h), self.classify(h)

        model = MultiTask()
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        x = torch.from_numpy(feature_values)
        y_reg, y_cls = torch.from_numpy(regression_values), torch.from_numpy(class_values)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            prediction, logits = model(x)
            task_losses = torch.stack([F.mse_loss(prediction, y_reg),
                                       F.cross_entropy(logits, y_cls)])
            precision = torch.exp(-model.log_vars)
            loss = (precision * task_losses + model.log_vars).sum()
            loss.backward()
            optimizer.step()
            losses.append(task_losses.tolist() + [loss.item()])
        return losses, model, model.log_vars.grad
    side_by_side(script)


def test_deep_sets_over_padded_sets_with_masked_fill_and_amax():
    element_values = DATA.normal(size=(4, 6, 3))
    lengths = np.array([6, 3, 1, 4])
    target_values = DATA.normal(size=(4, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class DeepSets(nn.Module):
            def __init__(self):
                super().__init__()
                self.phi = nn.Sequential(nn.Linear(3, 8), nn.ELU(), nn.Linear(8, 8))
                self.rho = nn.Sequential(nn.Linear(16, 8), nn.ELU(), nn.Linear(8, 1))

            def forward(self, x, mask):
                h = self.phi(x)
                summed = h.masked_fill(~mask.unsqueeze(-1), 0.0).sum(dim=1)
                mean = summed / mask.sum(dim=1, keepdim=True)
                peak = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
                return self.rho(torch.cat([mean, peak], dim=-1))

        model = DeepSets()
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9,
                                    nesterov=True)
        x = torch.from_numpy(element_values)
        mask = torch.arange(6).unsqueeze(0) < torch.from_numpy(lengths).unsqueeze(1)
        target = torch.from_numpy(target_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            loss = F.smooth_l1_loss(model(x, mask), target, beta=0.5)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        # permuting the elements of a set leaves its output unchanged
        permuted = x.clone()
        permuted[0] = x[0].flip(0)
        with torch.no_grad():
            invariant = (model(permuted, mask) - model(x, mask)).abs().max()
        return losses, model, invariant.item() < 1e-12
    side_by_side(script)


def test_nano_gpt_with_configure_optimizers_and_top_k_generation():
    token_values = DATA.integers(0, 11, size=(3, 9))

    def script(torch, copy_weights):
        import inspect
        import math
        nn, F = torch.nn, torch.nn.functional
        n_embd, n_head, vocab, block = 8, 2, 11, 8

        class CausalSelfAttention(nn.Module):
            def __init__(self):
                super().__init__()
                self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=False)
                self.c_proj = nn.Linear(n_embd, n_embd, bias=False)

            def forward(self, x):
                B, T, C = x.size()
                q, k, v = self.c_attn(x).split(n_embd, dim=2)
                k = k.view(B, T, n_head, C // n_head).transpose(1, 2)
                q = q.view(B, T, n_head, C // n_head).transpose(1, 2)
                v = v.view(B, T, n_head, C // n_head).transpose(1, 2)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=None,
                                                   dropout_p=0.0, is_causal=True)
                y = y.transpose(1, 2).contiguous().view(B, T, C)
                return self.c_proj(y)

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.ln_1 = nn.LayerNorm(n_embd, bias=False)
                self.attn = CausalSelfAttention()
                self.ln_2 = nn.LayerNorm(n_embd, bias=False)
                self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                         nn.Linear(4 * n_embd, n_embd))

            def forward(self, x):
                x = x + self.attn(self.ln_1(x))
                return x + self.mlp(self.ln_2(x))

        class GPT(nn.Module):
            def __init__(self):
                super().__init__()
                self.transformer = nn.ModuleDict(dict(
                    wte=nn.Embedding(vocab, n_embd), wpe=nn.Embedding(block, n_embd),
                    h=nn.ModuleList([Block() for _ in range(2)]),
                    ln_f=nn.LayerNorm(n_embd, bias=False)))
                # (tied to wte by F.linear below: assigning lm_head.weight to wte.weight
                # ties a Linear's (in, out) weight here, which is refused)
                self.apply(self._init_weights)
                for pn, p in self.named_parameters():
                    if pn.endswith("c_proj.weight"):
                        torch.nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * 2))

            def _init_weights(self, module):
                if isinstance(module, nn.Linear):
                    torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)
                    if module.bias is not None:
                        torch.nn.init.zeros_(module.bias)
                elif isinstance(module, nn.Embedding):
                    torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)

            def forward(self, idx, targets=None):
                b, t = idx.size()
                pos = torch.arange(0, t, dtype=torch.long)
                x = self.transformer.wte(idx) + self.transformer.wpe(pos)
                for blk in self.transformer.h:
                    x = blk(x)
                x = self.transformer.ln_f(x)
                logits = F.linear(x, self.transformer.wte.weight)
                if targets is None:
                    return logits[:, [-1], :], None
                loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                       ignore_index=-1)
                return logits, loss

            def configure_optimizers(self, weight_decay, learning_rate, betas):
                param_dict = {pn: p for pn, p in self.named_parameters() if p.requires_grad}
                decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
                nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
                optim_groups = [{"params": decay_params, "weight_decay": weight_decay},
                                {"params": nodecay_params, "weight_decay": 0.0}]
                fused_available = "fused" in inspect.signature(torch.optim.AdamW).parameters
                extra_args = dict(fused=False) if fused_available else dict()
                counts = [sum(p.numel() for p in decay_params),
                          sum(p.numel() for p in nodecay_params)]
                return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas,
                                         **extra_args), counts

            @torch.no_grad()
            def generate(self, idx, max_new_tokens, top_k=None):
                for _ in range(max_new_tokens):
                    idx_cond = idx if idx.size(1) <= block else idx[:, -block:]
                    logits, _ = self(idx_cond)
                    logits = logits[:, -1, :] / 0.8
                    if top_k is not None:
                        v, _ = torch.topk(logits, min(top_k, logits.size(-1)))
                        logits[logits < v[:, [-1]]] = -float("Inf")
                    probs = F.softmax(logits, dim=-1)
                    idx_next = probs.argmax(dim=-1, keepdim=True)    # greedy, not sampled
                    idx = torch.cat((idx, idx_next), dim=1)
                return idx, probs

        model = GPT()
        copy_weights(model)
        optimizer, counts = model.configure_optimizers(0.1, 3e-3, (0.9, 0.95))
        tokens = torch.from_numpy(token_values)
        x, y = tokens[:, :-1], tokens[:, 1:].clone()
        y[0, :2] = -1                                     # ignored targets
        losses = []
        for _ in range(3):
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            losses.append(loss.item())
        model.eval()
        generated, probs = model.generate(tokens[:, :3], 4, top_k=3)
        return losses, model, counts, generated, probs
    side_by_side(script)
