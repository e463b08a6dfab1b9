"""The thirteenth round of PyTorch scripts, reinforcement learning, attention and
densities (see test_torch_scripts_thirteenth.py for the method): Double DQN (the online
network picks the next action by ``argmax``, the target network values it by
``gather``; ``smooth_l1_loss``, a hard target update by ``load_state_dict``), REINFORCE
with a baseline and returns normalised by ``std(unbiased=True)``, PPO over epochs of
minibatches with GAE, the clipped surrogate by ``torch.minimum`` / ``torch.clamp``, a
clipped value loss and an entropy bonus, attention pooling by ``MultiheadAttention`` with
``key_padding_mask`` and per-head weights (``average_attn_weights=False``) in an
attention-entropy penalty, a Gaussian fitted by maximum likelihood through a
``scale_tril`` made by ``transform_to(constraints.lower_cholesky)`` with ``log_prob``,
``entropy`` and ``kl_divergence`` against a ``covariance_matrix`` one, a robust regression
(``StudentT``) by MAP with ``HalfCauchy`` and ``Pareto`` priors, and a peaks-over-threshold
tail fit by a ``Pareto`` likelihood under L-BFGS with its quantiles and KL divergences.

Written by the library's documented conventions: ``returns.std()`` is NumPy's ddof=0
here, so the scripts write PyTorch's n - 1 as ``std(unbiased=True)``; and PPO's
``torch.max(pg_loss1, pg_loss2)`` / ``torch.min(a, b)`` of two tensors (``max`` is NumPy's
reduction here, whose second argument is the axis: refused, naming the elementwise
form) are written ``torch.maximum`` / ``torch.minimum``, which PyTorch has too."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(1331)


def test_double_dqn_with_a_hard_target_update():
    states = DATA.normal(size=(6, 8, 4))
    actions = DATA.integers(0, 3, size=(6, 8))
    rewards = DATA.normal(size=(6, 8))
    next_states = DATA.normal(size=(6, 8, 4))
    dones = (DATA.uniform(size=(6, 8)) < 0.25).astype(float)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        online = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
        target = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
        copy_weights(online)
        target.load_state_dict(online.state_dict())
        target.eval()
        optimizer = torch.optim.Adam(online.parameters(), lr=1e-3)
        gamma, losses, q_means = 0.99, [], []
        for step in range(6):
            s, s_next = torch.from_numpy(states[step]), torch.from_numpy(next_states[step])
            a = torch.from_numpy(actions[step]).unsqueeze(1)
            r, done = torch.from_numpy(rewards[step]), torch.from_numpy(dones[step])
            q = online(s).gather(1, a).squeeze(1)
            with torch.no_grad():
                best_next = online(s_next).argmax(dim=1, keepdim=True)
                next_q = target(s_next).gather(1, best_next).squeeze(1)
                td_target = r + gamma * next_q * (1 - done)
            loss = F.smooth_l1_loss(q, td_target, beta=0.5)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(online.parameters(), 10.0)
            optimizer.step()
            losses.append(loss.item())
            q_means.append(q.mean().item())
            if step % 2 == 1:
                target.load_state_dict(online.state_dict())
        return losses, q_means, online, target
    side_by_side(script)


def test_reinforce_with_a_baseline_and_normalised_returns():
    episodes = [(DATA.normal(size=(n, 4)), DATA.integers(0, 2, size=n), DATA.normal(size=n))
                for n in (7, 5, 9)]

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        Categorical = torch.distributions.Categorical

        class Policy(nn.Module):
            def __init__(self):
                super().__init__()
                self.affine1 = nn.Linear(4, 16)
                self.action_head = nn.Linear(16, 2)
                self.value_head = nn.Linear(16, 1)

            def forward(self, x):
                x = F.relu(self.affine1(x))
                return F.softmax(self.action_head(x), dim=-1), self.value_head(x)

        policy = Policy()
        copy_weights(policy)
        optimizer = torch.optim.Adam(policy.parameters(), lr=3e-2)
        eps, gamma, losses = np.finfo(np.float64).eps.item(), 0.99, []
        for observations, taken, episode_rewards in episodes:
            saved_actions = []
            for obs, action in zip(observations, taken):
                probs, state_value = policy(torch.from_numpy(obs).unsqueeze(0))
                m = Categorical(probs)
                action = torch.tensor([int(action)])      # the action the episode took
                saved_actions.append((m.log_prob(action), state_value))
            R, returns = 0, []
            for r in episode_rewards[::-1]:
                R = r + gamma * R
                returns.insert(0, R)
            returns = torch.tensor(returns)
            returns = (returns - returns.mean()) / (returns.std(unbiased=True) + eps)
            policy_losses, value_losses = [], []
            for (log_prob, value), R in zip(saved_actions, returns):
                advantage = R - value.item()
                policy_losses.append(-log_prob * advantage)
                value_losses.append(F.smooth_l1_loss(value, torch.tensor([[R.item()]])))
            optimizer.zero_grad()
            loss = torch.stack(policy_losses).sum() + torch.stack(value_losses).sum()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, policy
    side_by_side(script)


def test_ppo_epochs_of_minibatches_with_gae_and_a_clipped_value_loss():
    T_steps = 12
    observations = DATA.normal(size=(T_steps, 5))
    actions = DATA.integers(0, 3, size=T_steps)
    rewards = DATA.normal(size=T_steps)
    dones = (DATA.uniform(size=T_steps) < 0.2).astype(float)
    minibatch_orders = [DATA.permutation(T_steps) for _ in range(3)]

    def script(torch, copy_weights):
        nn = torch.nn

        class ActorCritic(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(5, 16), nn.Tanh())
                self.actor = nn.Linear(16, 3)
                self.critic = nn.Linear(16, 1)

            def get_action_and_value(self, x, action):
                hidden = self.body(x)
                dist = torch.distributions.Categorical(logits=self.actor(hidden))
                return dist.log_prob(action), dist.entropy(), self.critic(hidden).squeeze(-1)

        agent = ActorCritic()
        copy_weights(agent)
        optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-3, eps=1e-5)
        obs, act = torch.from_numpy(observations), torch.from_numpy(actions)
        rew, done = torch.from_numpy(rewards), torch.from_numpy(dones)
        with torch.no_grad():
            old_logprobs, _, values = agent.get_action_and_value(obs, act)
            advantages = torch.zeros_like(rew)
            lastgaelam, gamma, lam = 0.0, 0.99, 0.95
            for t in reversed(range(T_steps)):
                next_value = values[t + 1] if t + 1 < T_steps else torch.tensor(0.0)
                nonterminal = 1.0 - done[t]
                delta = rew[t] + gamma * next_value * nonterminal - values[t]
                lastgaelam = delta + gamma * lam * nonterminal * lastgaelam
                advantages[t] = lastgaelam
            returns = advantages + values
        clip_coef, losses, clipfracs = 0.2, [], []
        for order in minibatch_orders:
            for start in range(0, T_steps, 4):
                mb = torch.from_numpy(order[start:start + 4])
                newlogprob, entropy, newvalue = agent.get_action_and_value(obs[mb], act[mb])
                ratio = (newlogprob - old_logprobs[mb]).exp()
                mb_adv = advantages[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std(unbiased=True) + 1e-8)
                pg_loss1 = -mb_adv * ratio
                pg_loss2 = -mb_adv * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)
                pg_loss = torch.maximum(pg_loss1, pg_loss2).mean()
                v_unclipped = (newvalue - returns[mb]) ** 2
                v_clipped = values[mb] + torch.clamp(newvalue - values[mb], -clip_coef, clip_coef)
                v_loss = 0.5 * torch.maximum(v_unclipped, (v_clipped - returns[mb]) ** 2).mean()
                surrogate = torch.minimum(ratio * mb_adv,
                                          torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef) * mb_adv)
                loss = pg_loss - 0.01 * entropy.mean() + 0.5 * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                optimizer.step()
                losses.append([loss.item(), surrogate.mean().item()])
                clipfracs.append(((ratio - 1.0).abs() > clip_coef).float().mean().item())
        return losses, clipfracs, advantages, agent
    side_by_side(script)


def test_attention_pooling_with_per_head_weights_and_an_entropy_penalty():
    tokens = DATA.normal(size=(3, 4, 6, 8))
    lengths = [[6, 3, 5, 2], [4, 6, 1, 6], [2, 2, 6, 5]]
    labels = DATA.integers(0, 2, size=(3, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        class AttentionPool(nn.Module):
            def __init__(self, dim=8, heads=2):
                super().__init__()
                self.query = nn.Parameter(torch.zeros(1, 1, dim))
                self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
                self.out = nn.Linear(dim, 2)

            def forward(self, x, padding_mask):
                q = self.query.expand(x.size(0), -1, -1)
                pooled, weights = self.attn(q, x, x, key_padding_mask=padding_mask,
                                            need_weights=True, average_attn_weights=False)
                return self.out(pooled.squeeze(1)), weights

        model = AttentionPool()
        copy_weights(model)
        with torch.no_grad():
            model.query.copy_(torch.linspace(-1, 1, 8).view(1, 1, 8))
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        losses, head_entropies = [], []
        for x_values, length, y_values in zip(tokens, lengths, labels):
            padding_mask = torch.arange(6)[None, :] >= torch.tensor(length)[:, None]
            logits, weights = model(torch.from_numpy(x_values), padding_mask)
            # (batch, heads, 1, keys): each head's attention entropy, over real tokens
            entropy = -(weights * torch.log(weights + 1e-12)).sum(-1).mean((0, 2))
            loss = F.cross_entropy(logits, torch.from_numpy(y_values)) + 0.01 * entropy.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            head_entropies.append(entropy.detach())
        return losses, head_entropies, weights, model
    side_by_side(script)


def test_gaussian_fit_through_a_lower_cholesky_transform():
    dim = 3
    true_tril = np.array([[1.0, 0, 0], [0.5, 0.8, 0], [-0.3, 0.2, 0.6]])
    samples = DATA.normal(size=(40, dim)) @ true_tril.T + np.array([1.0, -1.0, 0.5])

    def script(torch, copy_weights):
        D = torch.distributions
        to_tril = D.transform_to(D.constraints.lower_cholesky)
        loc = torch.zeros(dim, requires_grad=True)
        unconstrained = torch.zeros(dim, dim, requires_grad=True)
        prior = D.MultivariateNormal(torch.zeros(dim), covariance_matrix=4 * torch.eye(dim))
        optimizer = torch.optim.Adam([loc, unconstrained], lr=0.1)
        x = torch.from_numpy(samples)
        history = []
        for _ in range(15):
            q = D.MultivariateNormal(loc, scale_tril=to_tril(unconstrained))
            nll = -q.log_prob(x).mean()
            loss = nll + 0.01 * D.kl_divergence(q, prior)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append([nll.item(), q.entropy().item()])
        fitted = D.MultivariateNormal(loc, scale_tril=to_tril(unconstrained))
        return (history, fitted.covariance_matrix, fitted.precision_matrix,
                fitted.variance, loc, unconstrained.grad)
    side_by_side(script)


def test_bayesian_regression_map_with_a_half_cauchy_prior_on_the_noise_scale():
    features = DATA.normal(size=(30, 3))
    targets = features @ np.array([1.0, -2.0, 0.5]) + 0.3 * DATA.standard_t(3, size=30)

    def script(torch, copy_weights):
        D, F = torch.distributions, torch.nn.functional
        x, y = torch.from_numpy(features), torch.from_numpy(targets)
        weights = torch.zeros(3, requires_grad=True)
        raw_scale = torch.tensor(0.0, requires_grad=True)
        raw_df = torch.tensor(1.0, requires_grad=True)
        optimizer = torch.optim.Adam([weights, raw_scale, raw_df], lr=0.05)
        history = []
        for _ in range(25):
            scale, df = F.softplus(raw_scale), 1 + F.softplus(raw_df)
            likelihood = D.StudentT(df, x @ weights, scale).log_prob(y).sum()
            prior = (D.HalfCauchy(1.0).log_prob(scale)
                     + D.Normal(0.0, 5.0).log_prob(weights).sum()
                     + D.Pareto(1.0, 2.0).log_prob(df))           # df ≥ 1, heavy-tailed
            loss = -(likelihood + prior)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            history.append([loss.item(), scale.item(), df.item()])
        posterior_scale = D.HalfCauchy(F.softplus(raw_scale))
        return (history, weights, posterior_scale.cdf(torch.tensor([0.1, 0.5, 2.0])),
                posterior_scale.icdf(torch.tensor([0.25, 0.5, 0.75])))
    side_by_side(script)


def test_peaks_over_threshold_tail_fit_by_a_pareto_likelihood():
    losses_seen = DATA.pareto(2.5, size=60) + 1.0          # Pareto(1, 2.5) draws
    threshold = 1.5

    def script(torch, copy_weights):
        D, F = torch.distributions, torch.nn.functional
        data = torch.from_numpy(losses_seen)
        exceedances = data[data > threshold]
        raw_alpha = torch.tensor(0.0, requires_grad=True)
        optimizer = torch.optim.LBFGS([raw_alpha], lr=0.5, max_iter=20,
                                      line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            tail = D.Pareto(torch.tensor(threshold), F.softplus(raw_alpha) + 0.1)
            loss = -tail.log_prob(exceedances).mean()
            loss.backward()
            return loss
        final_loss = optimizer.step(closure)
        tail = D.Pareto(torch.tensor(threshold), F.softplus(raw_alpha) + 0.1)
        var_99 = tail.icdf(torch.tensor(0.99))                  # the 99% quantile of a loss
        survival = 1 - tail.cdf(torch.tensor([2.0, 5.0, 10.0]))
        reference = D.Pareto(torch.tensor(1.0), torch.tensor(2.5))
        return (final_loss, tail.alpha, tail.mean, var_99, survival, tail.entropy(),
                D.kl_divergence(tail, reference), D.kl_divergence(tail, D.Exponential(1.0)))
    side_by_side(script)
