"""More training loops of the twelfth to fifteenth PyTorch script rounds as compiled
steps against eager (as test_compile_scripts_later.py): an EmbeddingBag text classifier
in max and mean modes with clip_grad_norm_ and StepLR, a keyword spotter with tracked
InstanceNorm and GroupNorm under centered RMSprop, multi-task losses weighted by learned
log-variances, deep sets over padded sets (masked_fill and amax), a DCGAN step with
two optimizers, PPO's clipped objective and, refused at the trace naming the line,
mixture-of-experts routing by torch.where (shapes read from the values)."""

from __future__ import annotations

import numpy as np
import pytest

from autodiff.compile import TraceError
import autodiff as ad
from compile_scripts8 import F, compiled_like_eager, draws, nn, torch


class BagClassifier(nn.Module):
    def __init__(self, vocab=15, dim=6, classes=3):
        super().__init__()
        self.bag_max = nn.EmbeddingBag(vocab, dim, mode="max", padding_idx=0)
        self.bag_mean = nn.EmbeddingBag(vocab, dim, mode="mean", padding_idx=0)
        self.fc = nn.Linear(2 * dim, classes)

    def forward(self, text, offsets):
        return self.fc(torch.cat([self.bag_max(text, offsets), self.bag_mean(text, offsets)],
                                 dim=1))


def _bags(seed, lengths, n):
    """``n`` batches ``(text, offsets, labels)`` of texts of ``lengths`` (tokens 1..14,
    a padding token 0 inside the second text)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        texts = [rng.integers(1, 15, size=k) for k in lengths]
        texts[1][1] = 0
        offsets = np.cumsum([0] + list(lengths[:-1]))
        out.append((np.concatenate(texts), offsets, rng.integers(0, 3, size=len(lengths))))
    return out


def test_embedding_bag_classifier_with_clip_grad_norm_and_step_lr():
    def make():
        model = BagClassifier()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)

        def step(text, offsets, label):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(text, offsets), label)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.1)
            optimizer.step()
            scheduler.step()
            return loss
        return step, {"model": model, "optimizer": optimizer, "scheduler": scheduler}
    compiled_like_eager(make, _bags(1, (3, 5, 2, 4), 4) + _bags(2, (4, 2, 6), 2), traces=2)


def test_keyword_spotter_with_tracked_instance_norm_group_norm_and_centered_rmsprop():
    def make():
        model = nn.Sequential(
            nn.Conv1d(2, 8, 5, padding="same", dilation=2, bias=False),
            nn.InstanceNorm1d(8, affine=True, track_running_stats=True, momentum=0.2),
            nn.SiLU(), nn.Conv1d(8, 8, 3, stride=2, groups=2), nn.GroupNorm(4, 8, eps=1e-3),
            nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(8, 3))
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-2, momentum=0.5,
                                        centered=True)

        def step(x, y):
            model.train()
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    batches = (draws(3, (4, 2, 20), ("int", 3, (4,)), n=4)
               + draws(4, (3, 2, 20), ("int", 3, (3,)), n=2))
    # (RMSprop divides each gradient by its running size: see compiled_like_eager)
    compiled_like_eager(make, batches, traces=2, fused_ulps=256)


class MultiTask(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
        self.regress, self.classify = nn.Linear(6, 1), nn.Linear(6, 3)
        self.log_vars = nn.Parameter(torch.zeros(2))

    def forward(self, x):
        h = self.trunk(x)
        return self.regress(h), self.classify(h)


def test_multi_task_losses_weighted_by_learned_log_variances():
    def make():
        model = MultiTask()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

        def step(x, y_reg, y_cls):
            optimizer.zero_grad()
            prediction, logits = model(x)
            task_losses = torch.stack([F.mse_loss(prediction, y_reg),
                                       F.cross_entropy(logits, y_cls)])
            loss = (torch.exp(-model.log_vars) * task_losses + model.log_vars).sum()
            loss.backward()
            optimizer.step()
            return loss, task_losses
        return step, {"model": model, "optimizer": optimizer}
    batches = (draws(5, (8, 4), (8, 1), ("int", 3, (8,)), n=4)
               + draws(6, (5, 4), (5, 1), ("int", 3, (5,)), n=2))
    compiled_like_eager(make, batches, traces=2)


class DeepSets(nn.Module):
    def __init__(self):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(3, 8), nn.ELU(), nn.Linear(8, 8))
        self.rho = nn.Sequential(nn.Linear(16, 8), nn.ELU(), nn.Linear(8, 1))

    def forward(self, x, mask):
        h = self.phi(x)
        mean = h.masked_fill(~mask.unsqueeze(-1), 0.0).sum(dim=1) / mask.sum(dim=1,
                                                                          keepdim=True)
        peak = h.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
        return self.rho(torch.cat([mean, peak], dim=-1))


def test_deep_sets_over_sets_padded_to_lengths_given_at_each_call():
    def make():
        model = DeepSets()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)

        def step(x, lengths, target):
            mask = torch.arange(x.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
            optimizer.zero_grad()
            loss = F.smooth_l1_loss(model(x, mask), target, beta=0.5)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    rng = np.random.default_rng(7)
    batches = [(rng.normal(size=(b, 6, 3)), rng.integers(1, 7, size=b), rng.normal(size=(b, 1)))
               for b in (4, 4, 4, 4, 3, 3)]
    compiled_like_eager(make, batches, traces=2)


class MoE(nn.Module):
    def __init__(self, d=4, n_experts=3, k=2):
        super().__init__()
        self.gate = nn.Linear(d, n_experts, bias=False)
        self.experts = nn.ModuleList([nn.Linear(d, d) for _ in range(n_experts)])
        self.k = k

    def forward(self, x):
        weights, chosen = self.gate(x).topk(self.k, dim=-1)
        weights = F.softmax(weights, dim=-1)
        out = torch.zeros_like(x)
        for i, expert in enumerate(self.experts):
            token, slot = torch.where(chosen == i)
            y = expert(x[token]) * weights[token, slot, None]
            out = out.scatter_add(0, token[:, None].expand(-1, x.shape[1]), y)
        return out


def test_mixture_of_experts_routed_by_torch_where_is_refused_naming_the_line():
    model = MoE()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        loss = model(x).pow(2).sum()
        loss.backward()
        optimizer.step()
        return loss
    with pytest.raises(TraceError, match=r"test_compile_scripts_later_more\.py:\d+"):
        ad.compile(step)(np.random.default_rng(8).normal(size=(10, 4)))


def test_dcgan_discriminator_and_generator_steps_with_two_adams():
    def make():
        generator = nn.Sequential(
            nn.ConvTranspose2d(3, 4, 4, 2, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
            nn.ConvTranspose2d(4, 1, 4, 2, 1, bias=False), nn.Tanh())
        discriminator = nn.Sequential(
            nn.Conv2d(1, 4, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
            nn.Conv2d(4, 1, 4, 1, 0, bias=False), nn.Flatten(), nn.Sigmoid())
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
        criterion = nn.BCELoss()

        def step(real, z):
            ones, zeros = torch.ones(real.shape[0], 1), torch.zeros(real.shape[0], 1)
            discriminator.zero_grad()
            err_real = criterion(discriminator(real), ones)
            err_real.backward()
            fake = generator(z)
            err_fake = criterion(discriminator(fake.detach()), zeros)
            err_fake.backward()
            opt_d.step()
            generator.zero_grad()
            err_g = criterion(discriminator(fake), ones)
            err_g.backward()
            opt_g.step()
            return err_real, err_fake, err_g
        return step, {"generator": generator, "discriminator": discriminator,
                      "opt_d": opt_d, "opt_g": opt_g}
    batches = (draws(9, (4, 1, 8, 8), (4, 3, 2, 2), n=4)
               + draws(10, (3, 1, 8, 8), (3, 3, 2, 2), n=2))
    compiled_like_eager(make, batches, traces=2)


def test_ppo_clipped_objective_with_normalised_advantages_and_an_entropy_bonus():
    def make():
        agent, value = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)), nn.Linear(4, 1)
        parameters = list(agent.parameters()) + list(value.parameters())
        optimizer = torch.optim.Adam(parameters, lr=2.5e-3, eps=1e-5)

        def step(obs, actions, old_log_prob, advantages, returns):
            dist = torch.distributions.Categorical(logits=agent(obs))
            ratio = (dist.log_prob(actions) - old_log_prob).exp()
            advantages = (advantages - advantages.mean()) / (advantages.std(correction=1) + 1e-8)
            policy_loss = torch.maximum(-advantages * ratio,
                                        -advantages * torch.clamp(ratio, 0.8, 1.2)).mean()
            value_loss = 0.5 * ((value(obs).squeeze(-1) - returns) ** 2).mean()
            loss = policy_loss + 0.5 * value_loss - 0.01 * dist.entropy().mean()
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(parameters, 0.5)
            optimizer.step()
            return loss
        return step, {"agent": agent, "value": value, "optimizer": optimizer}
    batches = (draws(11, (8, 4), ("int", 3, (8,)), (8,), (8,), (8,), n=4)
               + draws(12, (6, 4), ("int", 3, (6,)), (6,), (6,), (6,), n=2))
    compiled_like_eager(make, batches, traces=2)
