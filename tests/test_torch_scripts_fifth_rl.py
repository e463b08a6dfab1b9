"""The fifth round of PyTorch scripts, reinforcement learning and sequences (see
test_torch_scripts_fifth.py for the method): the DQN tutorial's optimisation step
with a target network soft-updated through state_dict, REINFORCE with
``distributions.Categorical`` on fixed actions, the character RNN that classifies
names with ``nn.RNN`` and ``topk``, a bidirectional LSTM tagger over packed unsorted
sequences, and a pre-norm Transformer decoder with causal and memory masks.

Two tutorial lines are written otherwise, each refused or warned about here:
``t.max(1).values`` (a positional dim is NumPy's axis too: refused, naming
``dim=1``) and ``returns.std()`` (NumPy's ddof=0 here, PyTorch's n - 1: written
``std(unbiased=True)``)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(8)


# --- The DQN tutorial's optimize_model, with a soft target update -------------------

def test_dqn_step_with_gather_max_and_soft_target_update():
    states = DATA.normal(size=(4, 6, 4))
    actions = DATA.integers(0, 2, size=(4, 6, 1))
    rewards = DATA.normal(size=(4, 6))
    next_states = DATA.normal(size=(4, 6, 4))
    done = DATA.uniform(size=(4, 6)) < 0.3

    def script(torch, copy_weights):
        nn = torch.nn

        class DQN(nn.Module):
            def __init__(self, n_observations, n_actions):
                super().__init__()
                self.layer1 = nn.Linear(n_observations, 16)
                self.layer2 = nn.Linear(16, 16)
                self.layer3 = nn.Linear(16, n_actions)

            def forward(self, x):
                x = nn.functional.relu(self.layer1(x))
                x = nn.functional.relu(self.layer2(x))
                return self.layer3(x)

        policy_net, target_net = DQN(4, 2), DQN(4, 2)
        copy_weights(policy_net)
        target_net.load_state_dict(policy_net.state_dict())
        optimizer = torch.optim.AdamW(policy_net.parameters(), lr=1e-3, amsgrad=True)
        GAMMA, TAU, losses = 0.99, 0.005, []
        for i in range(4):
            non_final_mask = torch.tensor(tuple(not d for d in done[i]), dtype=torch.bool)
            non_final_next_states = torch.cat(
                [torch.from_numpy(s)[None] for s, d in zip(next_states[i], done[i]) if not d])
            state_batch = torch.from_numpy(states[i])
            action_batch = torch.from_numpy(actions[i])
            reward_batch = torch.from_numpy(rewards[i])
            state_action_values = policy_net(state_batch).gather(1, action_batch)
            next_state_values = torch.zeros(6)
            with torch.no_grad():
                # (the tutorial's .max(1).values: a positional dim is refused here, being
                # NumPy's axis= as well; dim=1 says which is meant)
                next_state_values[non_final_mask] = \
                    target_net(non_final_next_states).max(dim=1).values
            expected_state_action_values = (next_state_values * GAMMA) + reward_batch
            criterion = nn.SmoothL1Loss()
            loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
            optimizer.step()
            losses.append(loss.item())
            target_net_state_dict = target_net.state_dict()
            policy_net_state_dict = policy_net.state_dict()
            for key in policy_net_state_dict:
                target_net_state_dict[key] = (policy_net_state_dict[key] * TAU
                                              + target_net_state_dict[key] * (1 - TAU))
            target_net.load_state_dict(target_net_state_dict)
        return losses, policy_net, target_net
    side_by_side(script)


# --- REINFORCE with Categorical on fixed actions ------------------------------------

def test_reinforce_with_categorical_log_prob_and_normalised_returns():
    observations = DATA.normal(size=(3, 5, 4))
    actions = DATA.integers(0, 2, size=(3, 5))
    rewards = DATA.uniform(size=(3, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        Categorical = torch.distributions.Categorical

        class Policy(nn.Module):
            def __init__(self):
                super().__init__()
                self.affine1 = nn.Linear(4, 16)
                self.dropout = nn.Dropout(p=0.0)
                self.affine2 = nn.Linear(16, 2)
                self.saved_log_probs, self.rewards = [], []

            def forward(self, x):
                x = F.relu(self.dropout(self.affine1(x)))
                return F.softmax(self.affine2(x), dim=1)

        policy = Policy()
        copy_weights(policy)
        optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
        eps = np.finfo(np.float32).eps.item()
        gamma, losses, entropies = 0.99, [], []
        for episode in range(3):
            for t in range(5):
                state = torch.from_numpy(observations[episode, t]).float().unsqueeze(0).double()
                probs = policy(state)
                m = Categorical(probs)
                action = torch.tensor([actions[episode, t]])
                policy.saved_log_probs.append(m.log_prob(action))
                entropies.append(m.entropy())
                policy.rewards.append(float(rewards[episode, t]))
            R, policy_loss, returns = 0, [], []
            for r in policy.rewards[::-1]:
                R = r + gamma * R
                returns.insert(0, R)
            returns = torch.tensor(returns)
            # (the tutorial's returns.std(): NumPy's ddof=0 here, n - 1 in PyTorch)
            returns = (returns - returns.mean()) / (returns.std(unbiased=True) + eps)
            for log_prob, R in zip(policy.saved_log_probs, returns):
                policy_loss.append(-log_prob * R)
            optimizer.zero_grad()
            policy_loss = torch.cat(policy_loss).sum()
            policy_loss.backward()
            optimizer.step()
            losses.append(policy_loss.item())
            del policy.rewards[:]
            del policy.saved_log_probs[:]
        return losses, [e.detach() for e in entropies], policy
    side_by_side(script)


# --- The name-classification character RNN ------------------------------------------

def test_char_rnn_name_classifier_with_topk():
    letters = "abcdefgh"
    names = ["bead", "cafe", "head", "faced", "badge", "egg"]
    categories = DATA.integers(0, 3, size=len(names))

    def script(torch, copy_weights):
        nn = torch.nn

        def line_to_tensor(line):
            tensor = torch.zeros(len(line), 1, len(letters))
            for li, letter in enumerate(line):
                tensor[li][0][letters.find(letter)] = 1
            return tensor

        class CharRNN(nn.Module):
            def __init__(self, input_size, hidden_size, output_size):
                super().__init__()
                self.rnn = nn.RNN(input_size, hidden_size)
                self.h2o = nn.Linear(hidden_size, output_size)
                self.softmax = nn.LogSoftmax(dim=1)

            def forward(self, line_tensor):
                rnn_out, hidden = self.rnn(line_tensor)
                return self.softmax(self.h2o(hidden[0]))

        rnn = CharRNN(len(letters), 8, 3)
        copy_weights(rnn)
        criterion = nn.NLLLoss()
        optimizer = torch.optim.SGD(rnn.parameters(), lr=0.15)
        losses, guesses = [], []
        for epoch in range(2):
            rnn.train()
            batch_loss = 0
            for name, category in zip(names, categories):
                output = rnn(line_to_tensor(name))
                loss = criterion(output, torch.tensor([int(category)], dtype=torch.long))
                batch_loss += loss
            batch_loss.backward()
            nn.utils.clip_grad_norm_(rnn.parameters(), 3)
            optimizer.step()
            optimizer.zero_grad()
            losses.append(batch_loss.item() / len(names))
        rnn.eval()
        with torch.no_grad():
            for name in names:
                output = rnn(line_to_tensor(name))
                top_n, top_i = output.topk(1)
                guesses.append((top_i[0].item(), top_n[0].item()))
        return losses, guesses, rnn
    side_by_side(script)


# --- A bidirectional LSTM tagger over packed sequences ------------------------------

def test_bidirectional_lstm_tagger_over_packed_unsorted_sequences():
    tokens = DATA.integers(1, 10, size=(3, 4, 6))
    lengths = np.array([[6, 3, 5, 2], [4, 6, 1, 3], [2, 2, 6, 5]])
    tags = DATA.integers(0, 3, size=(3, 4, 6))

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn

        class Tagger(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(10, 5, padding_idx=0)
                self.lstm = nn.LSTM(5, 4, num_layers=2, batch_first=True, bidirectional=True)
                self.fc = nn.Linear(8, 3)

            def forward(self, x, lengths):
                packed = rnn_utils.pack_padded_sequence(self.embedding(x), lengths,
                                                        batch_first=True, enforce_sorted=False)
                out, (h, c) = self.lstm(packed)
                out, out_lengths = rnn_utils.pad_packed_sequence(out, batch_first=True,
                                                                 total_length=x.size(1))
                return self.fc(out), h, out_lengths

        model = Tagger()
        copy_weights(model)
        optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9)
        criterion = nn.CrossEntropyLoss(ignore_index=-1)
        losses, finals = [], []
        for i in range(3):
            lens = torch.from_numpy(lengths[i])
            mask = torch.arange(6)[None, :] < lens[:, None]
            x = torch.from_numpy(tokens[i]).masked_fill(~mask, 0)
            y = torch.from_numpy(tags[i]).masked_fill(~mask, -1)
            logits, h, out_lengths = model(x, lens)
            loss = criterion(logits.reshape(-1, 3), y.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type="inf")
            optimizer.step()
            losses.append(loss.item())
            finals.append(torch.cat([h[-2], h[-1]], dim=1))
            assert out_lengths.tolist() == lengths[i].tolist()
        return losses, finals, model
    side_by_side(script)


# --- A pre-norm Transformer decoder with a causal mask and memory padding -----------

def test_pre_norm_transformer_decoder_with_causal_and_memory_masks():
    memory = DATA.normal(size=(3, 2, 5, 8))
    targets = DATA.normal(size=(3, 2, 4, 8))
    memory_lengths = np.array([[5, 3], [2, 5], [4, 4]])

    def script(torch, copy_weights):
        nn = torch.nn
        layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16,
                                           dropout=0.0, batch_first=True, norm_first=True,
                                           activation="gelu")
        decoder = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(8))
        copy_weights(decoder)
        causal = nn.Transformer.generate_square_subsequent_mask(4)
        optimizer = torch.optim.AdamW(decoder.parameters(), lr=5e-3)
        losses = []
        for i in range(3):
            pad = torch.arange(5)[None, :] >= torch.from_numpy(memory_lengths[i])[:, None]
            tgt = torch.from_numpy(targets[i])
            out = decoder(tgt, torch.from_numpy(memory[i]), tgt_mask=causal,
                          memory_key_padding_mask=pad, tgt_is_causal=True)
            loss = nn.functional.mse_loss(out[:, :-1], tgt[:, 1:])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, causal, decoder
    side_by_side(script)
