"""Reinforcement-learning and metric-learning scripts (as in test_torch_scripts*.py)
compiled as steps and compared with their eager twins over 20 calls
(``compile_scripts8.py``): REINFORCE with Categorical log-probs and normalised
returns, advantage actor-critic with an entropy bonus, a DQN step with gather and a
soft target update, PPO's clipped surrogate with a Normal policy, a tanh-squashed
Gaussian policy with a learned temperature; a siamese net with triplet and cosine
embedding losses, margin ranking, SimCLR's NT-Xent with a masked diagonal, a
prototypical network over cdist, skip-gram with negative sampling, and a contrastive
loss over pairwise distances."""

from __future__ import annotations

import math

import numpy as np

from compile_scripts8 import F, compiled_like_eager, draws, nn, torch

D = torch.distributions


def test_reinforce_with_categorical_log_prob_and_normalised_returns():
    def make():
        policy = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)

        def step(states, actions, rewards):
            returns = torch.flip(torch.cumsum(torch.flip(rewards, [0]), 0), [0])
            returns = (returns - returns.mean()) / (returns.std(correction=1) + 1e-8)
            log_probs = D.Categorical(logits=policy(states)).log_prob(actions)
            loss = -(log_probs * returns).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"policy": policy, "optimizer": optimizer}
    compiled_like_eager(make, draws(61, (7, 4), ("int", 2, (7,)), ("uniform", (7,))))


def test_advantage_actor_critic_with_entropy_bonus_and_shared_body():
    def make():
        class ActorCritic(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(4, 8), nn.Tanh())
                self.actor, self.critic = nn.Linear(8, 3), nn.Linear(8, 1)

            def forward(self, x):
                h = self.body(x)
                return F.softmax(self.actor(h), dim=-1), self.critic(h).squeeze(-1)

        model = ActorCritic()
        optimizer = torch.optim.RMSprop(model.parameters(), lr=7e-3, eps=1e-5, alpha=0.99)

        def step(states, actions, returns):
            probs, values = model(states)
            dist = D.Categorical(probs=probs)
            advantage = returns - values
            loss = (-(dist.log_prob(actions) * advantage.detach()).mean()
                    + 0.5 * advantage.pow(2).mean() - 0.01 * dist.entropy().mean())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            return loss
        return step, {"model": model, "optimizer": optimizer}
    compiled_like_eager(make, draws(62, (6, 4), ("int", 3, (6,)), (6,)))


def test_dqn_step_with_gather_max_huber_and_a_soft_target_update():
    def make():
        online = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        target = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
        target.load_state_dict(online.state_dict())
        optimizer = torch.optim.Adam(online.parameters(), lr=1e-2)

        def step(states, actions, rewards, next_states, done):
            q = online(states).gather(1, actions.unsqueeze(1)).squeeze(1)
            with torch.no_grad():
                best = target(next_states).max(dim=1)[0]
                expected = rewards + 0.99 * best * (1 - done)
            loss = F.smooth_l1_loss(q, expected)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for p_target, p in zip(target.parameters(), online.parameters()):
                    p_target.mul_(0.95).add_(0.05 * p)
            return loss
        return step, {"online": online, "target": target, "optimizer": optimizer}
    compiled_like_eager(make, draws(63, (5, 4), ("int", 3, (5,)), (5,), (5, 4),
                                    ("bits", (5,))))


def test_ppo_clipped_surrogate_with_normal_policy_and_value_loss():
    def make():
        actor = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))
        critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        log_std = nn.Parameter(torch.zeros(2))
        optimizer = torch.optim.Adam([*actor.parameters(), *critic.parameters(), log_std],
                                     lr=3e-3, eps=1e-5)

        def step(states, actions, old_log_probs, advantages, returns):
            dist = D.Normal(actor(states), log_std.exp())
            ratio = torch.exp(dist.log_prob(actions).sum(-1) - old_log_probs)
            surrogate = torch.minimum(ratio * advantages,
                                      torch.clamp(ratio, 0.8, 1.2) * advantages)
            value_loss = F.mse_loss(critic(states).squeeze(-1), returns)
            loss = -surrogate.mean() + 0.5 * value_loss - 0.01 * dist.entropy().sum(-1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"actor": actor, "critic": critic, "log_std": log_std,
                      "optimizer": optimizer}
    compiled_like_eager(make, draws(64, (6, 3), (6, 2), (6,), (6,), (6,)))


def test_tanh_squashed_gaussian_policy_with_a_learned_entropy_temperature():
    def make():
        policy = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 4))
        log_alpha = torch.zeros(1, requires_grad=True)
        opt_policy = torch.optim.Adam(policy.parameters(), lr=3e-3)
        opt_alpha = torch.optim.Adam([log_alpha], lr=3e-3)

        def step(states, noise, q_weights):
            mean, log_std = policy(states).chunk(2, dim=-1)
            std = log_std.clamp(-5, 2).exp()
            pre_tanh = mean + std * noise
            action = torch.tanh(pre_tanh)
            # (log(1 - tanh(x)^2) in the stable form: written as log(1 - action^2), the
            # fused tanh's last-ulp difference grows to 1000 ulp where tanh saturates)
            log_prob = (D.Normal(mean, std).log_prob(pre_tanh)
                        - 2 * (math.log(2) - pre_tanh - F.softplus(-2 * pre_tanh))).sum(-1)
            q = (action * q_weights).sum(-1)
            policy_loss = (log_alpha.exp().detach() * log_prob - q).mean()
            opt_policy.zero_grad()
            policy_loss.backward()
            opt_policy.step()
            alpha_loss = -(log_alpha * (log_prob.detach() - 2.0)).mean()
            opt_alpha.zero_grad()
            alpha_loss.backward()
            opt_alpha.step()
            return policy_loss, alpha_loss
        return step, {"policy": policy, "log_alpha": log_alpha, "opt_policy": opt_policy,
                      "opt_alpha": opt_alpha}
    compiled_like_eager(make, draws(65, (5, 3), (5, 2), (5, 2)))


def _embedder():
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))


def test_siamese_net_with_triplet_margin_and_cosine_embedding_losses():
    def make():
        net = _embedder()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        triplet = nn.TripletMarginLoss(margin=1.0, p=2)

        def step(anchor, positive, negative, pair_labels):
            a, p, n = net(anchor), net(positive), net(negative)
            loss = triplet(a, p, n) + F.cosine_embedding_loss(a, n, pair_labels, margin=0.2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"net": net, "optimizer": optimizer}
    batches = [(a, p, n, 2.0 * s - 1) for a, p, n, s in
               draws(66, (5, 6), (5, 6), (5, 6), ("bits", (5,)))]
    compiled_like_eager(make, batches)


def test_pairwise_ranking_with_margin_ranking_and_soft_margin_losses():
    def make():
        scorer = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 1))
        optimizer = torch.optim.Adagrad(scorer.parameters(), lr=0.05, lr_decay=0.01)

        def step(first, second, preference):
            s1, s2 = scorer(first).squeeze(1), scorer(second).squeeze(1)
            loss = (F.margin_ranking_loss(s1, s2, preference, margin=0.5)
                    + F.soft_margin_loss(s1 - s2, preference))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"scorer": scorer, "optimizer": optimizer}
    batches = [(a, b, 2.0 * s - 1) for a, b, s in draws(67, (6, 6), (6, 6), ("bits", (6,)))]
    compiled_like_eager(make, batches)


def test_simclr_nt_xent_with_normalize_mm_and_a_masked_diagonal():
    def make():
        net = _embedder()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        temperature = 0.5

        def step(view1, view2):
            z = F.normalize(torch.cat([net(view1), net(view2)], dim=0), dim=1)
            n = view1.shape[0]
            similarity = torch.mm(z, z.t()) / temperature
            similarity = similarity.masked_fill(torch.eye(2 * n, dtype=torch.bool), -9e15)
            labels = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
            loss = F.cross_entropy(similarity, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"net": net, "optimizer": optimizer}
    compiled_like_eager(make, draws(68, (4, 6), (4, 6)))


def test_prototypical_network_with_cdist_to_class_prototypes():
    def make():
        net = _embedder()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)

        def step(support, query, query_labels):
            prototypes = net(support).view(3, 2, 4).mean(1)
            distances = torch.cdist(net(query), prototypes)
            loss = F.cross_entropy(-distances, query_labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss, (distances.argmin(1) == query_labels).float().mean()
        return step, {"net": net, "optimizer": optimizer}
    compiled_like_eager(make, draws(69, (6, 6), (5, 6), ("int", 3, (5,))))


def test_skip_gram_with_negative_sampling_and_logsigmoid():
    def make():
        center_embed, context_embed = nn.Embedding(20, 5), nn.Embedding(20, 5)
        optimizer = torch.optim.SGD([*center_embed.parameters(),
                                     *context_embed.parameters()], lr=0.2)

        def step(centers, contexts, negatives):
            c = center_embed(centers)
            positive = F.logsigmoid((c * context_embed(contexts)).sum(1))
            negative = F.logsigmoid(-torch.bmm(context_embed(negatives),
                                               c.unsqueeze(2)).squeeze(2)).sum(1)
            loss = -(positive + negative).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"center": center_embed, "context": context_embed,
                      "optimizer": optimizer}
    compiled_like_eager(make, draws(70, ("int", 20, (6,)), ("int", 20, (6,)),
                                    ("int", 20, (6, 3))))


def test_contrastive_loss_over_pairwise_distance_with_hinge_embedding():
    def make():
        net = _embedder()
        optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2, amsgrad=True)

        def step(left, right, same):
            distance = F.pairwise_distance(net(left), net(right))
            contrastive = (same * distance.pow(2)
                           + (1 - same) * torch.clamp(1.0 - distance, min=0.0).pow(2)).mean()
            hinge = F.hinge_embedding_loss(distance, 2 * same - 1, margin=1.0)
            loss = contrastive + 0.1 * hinge
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"net": net, "optimizer": optimizer}
    compiled_like_eager(make, draws(71, (5, 6), (5, 6), ("bits", (5,))))


def test_generalized_advantage_estimation_in_a_reversed_loop():
    def make():
        critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2)

        def step(states, rewards, dones):
            values = critic(states).squeeze(-1)
            with torch.no_grad():
                advantages, last = torch.zeros_like(rewards), 0.0
                for t in reversed(range(rewards.shape[0] - 1)):
                    delta = rewards[t] + 0.99 * values[t + 1] * (1 - dones[t]) - values[t]
                    last = delta + 0.99 * 0.95 * (1 - dones[t]) * last
                    advantages[t] = last
                returns = advantages + values
            loss = F.mse_loss(values, returns) + 0.0 * advantages.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss, advantages
        return step, {"critic": critic, "optimizer": optimizer}
    compiled_like_eager(make, draws(72, (8, 3), (8,), ("bits", (8,))))


def test_batch_of_episodes_with_a_mask_of_valid_steps():
    def make():
        policy = nn.GRU(3, 6, batch_first=True)
        head = nn.Linear(6, 2)
        optimizer = torch.optim.Adam([*policy.parameters(), *head.parameters()], lr=1e-2)

        def step(observations, actions, returns, lengths):
            h, _ = policy(observations)
            log_probs = F.log_softmax(head(h), -1).gather(2, actions.unsqueeze(2)).squeeze(2)
            valid = (torch.arange(observations.shape[1]).unsqueeze(0)
                     < lengths.unsqueeze(1)).float()
            loss = -(log_probs * returns * valid).sum() / valid.sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"policy": policy, "head": head, "optimizer": optimizer}
    batches = [(o, a, r, np.array([5, 3, 4]))
               for o, a, r in draws(73, (3, 5, 3), ("int", 2, (3, 5)), (3, 5))]
    compiled_like_eager(make, batches)
