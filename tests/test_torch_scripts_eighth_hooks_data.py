"""The eighth round of PyTorch scripts, continued (see test_torch_scripts_eighth.py):
module hooks (feature extraction by ``register_forward_hook`` for a feature-matching
loss, a ``register_forward_pre_hook`` that standardizes the input, full backward hooks
and pre-hooks that log and rescale), tensor hooks that clip and log, the total norm by
``get_total_norm`` / ``clip_grads_with_norm_``, Lookahead's slow weights on the vector
of ``parameters_to_vector``; and the data tools: a ``Dataset`` of dicts through the default
collate, ``ConcatDataset`` with ``Subset``, a ``BatchSampler`` as ``batch_sampler``, a
``WeightedRandomSampler`` without replacement over an epoch-accumulated gradient, an
``IterableDataset``, and seeded ``Generator`` draws repeated from a saved state."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(82)


# --- Feature extraction by forward hooks for a feature-matching loss -----------------

def test_feature_extraction_by_forward_hooks_for_a_feature_matching_loss():
    images = DATA.normal(size=(3, 2, 1, 6, 6))
    noisy = images + 0.3 * DATA.normal(size=images.shape)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        feature_net = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                                    nn.AdaptiveAvgPool2d(1), nn.Flatten())
        denoiser = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Tanh(),
                                 nn.Conv2d(4, 1, 3, padding=1))
        copy_weights(feature_net, denoiser)
        feature_net.requires_grad_(False)
        features = {}

        def keep_output(name):
            def hook(module, inputs, output):
                features[name] = output
            return hook

        modules = dict(feature_net.named_modules())
        handles = [modules[name].register_forward_hook(keep_output(name))
                   for name in ("1", "3")]
        optimizer = torch.optim.Adam(denoiser.parameters(), lr=1e-2)
        losses = []
        for i in range(3):
            clean, corrupted = torch.from_numpy(images[i]), torch.from_numpy(noisy[i])
            feature_net(clean)
            clean_features = {k: v.detach() for k, v in features.items()}
            restored = denoiser(corrupted)
            feature_net(restored)
            loss = F.mse_loss(restored, clean) + sum(
                F.mse_loss(features[k], clean_features[k]) for k in ("1", "3"))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        for handle in handles:
            handle.remove()
        features.clear()
        feature_net(torch.from_numpy(images[0]))
        assert features == {}
        return losses, denoiser
    side_by_side(script)


# --- A forward pre-hook that standardizes the input, a forward hook that scales ------

def test_forward_pre_hook_standardizing_inputs_and_a_forward_hook_scaling_outputs():
    inputs = 5.0 + 3.0 * DATA.normal(size=(3, 8, 4))
    targets = DATA.normal(size=(3, 8, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 6), nn.SiLU(), nn.Linear(6, 2))
        copy_weights(model)
        seen_shapes = []

        def standardize(module, args):
            (x,) = args
            seen_shapes.append(tuple(x.shape))
            return ((x - x.mean(dim=0, keepdim=True)) / x.std(dim=0, keepdim=True,
                                                              unbiased=True),)

        def halve(module, args, output):
            return output * 0.5

        model.register_forward_pre_hook(standardize)
        handle = model[2].register_forward_hook(halve)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
        losses = []
        for i in range(3):
            loss = F.mse_loss(model(torch.from_numpy(inputs[i])), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        with torch.no_grad():
            halved = model(torch.from_numpy(inputs[0]))
            handle.remove()
            whole = model(torch.from_numpy(inputs[0]))
        assert torch.allclose(halved * 2, whole, atol=1e-14)
        return losses, seen_shapes, whole, model
    side_by_side(script)


# --- Full backward hooks that log, full backward pre-hooks that rescale ---------------

def test_full_backward_hooks_logging_and_backward_pre_hooks_rescaling_grad_output():
    inputs = DATA.normal(size=(3, 5, 4))
    labels = DATA.integers(0, 3, size=(3, 5))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 6), nn.Tanh(),
                              nn.Linear(6, 3))
        copy_weights(model)
        log = []

        def log_norms(module, grad_input, grad_output):
            log.append((type(module).__name__, grad_output[0].norm().item(),
                        None if grad_input[0] is None else grad_input[0].norm().item()))

        def damp(module, grad_output):
            return (grad_output[0] * 0.5,)

        model[2].register_full_backward_hook(log_norms)
        model[1].register_full_backward_hook(log_norms)
        model[2].register_full_backward_pre_hook(damp)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.3)
        losses = []
        for i in range(3):
            x = torch.from_numpy(inputs[i]).requires_grad_(True)
            loss = F.cross_entropy(model(x), torch.from_numpy(labels[i]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        assert [name for name, _, _ in log[:2]] == ["Linear", "Tanh"]
        return losses, log, x.grad, model
    side_by_side(script)


# --- Tensor hooks that clip and log; the total norm, then clipping with it ------------

def test_tensor_hooks_clip_and_log_with_get_total_norm_and_clip_grads_with_norm():
    inputs = DATA.normal(size=(3, 6, 3))
    targets = DATA.normal(size=(3, 6, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        utils = nn.utils
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
        copy_weights(model)
        activation_grad_norms = []
        # (autodiff's gradients are NumPy arrays, .grad's and the hooks' alike:
        # torch.as_tensor gives them the Tensor methods in both runs)
        model[0].bias.register_hook(lambda g: torch.as_tensor(g).clamp(-0.05, 0.05))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
        losses, totals = [], []
        for i in range(3):
            hidden = model[1](model[0](torch.from_numpy(inputs[i])))
            hidden.register_hook(
                lambda g: activation_grad_norms.append(torch.as_tensor(g).norm().item()))
            hidden.retain_grad()
            loss = F.mse_loss(model[2](hidden), torch.from_numpy(targets[i]))
            optimizer.zero_grad()
            loss.backward()
            grads = [p.grad for p in model.parameters()]
            total = utils.get_total_norm(grads, norm_type=2.0)
            utils.clip_grads_with_norm_(model.parameters(), max_norm=0.5, total_norm=total)
            utils.clip_grad_value_(model[2].parameters(), clip_value=0.02)
            optimizer.step()
            losses.append(loss.item())
            totals.append(total.item())
        assert float(abs(model[0].bias.grad).max()) <= 0.05
        return losses, totals, activation_grad_norms, hidden.grad, model
    side_by_side(script)


# --- Lookahead on flat parameter vectors, cosine of successive gradients --------------

def test_lookahead_slow_weights_and_gradient_cosines_on_flat_vectors():
    inputs = DATA.normal(size=(6, 10, 2))
    labels = (inputs[..., 0] * inputs[..., 1] > 0).astype(np.int64)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        to_vector = nn.utils.parameters_to_vector
        to_parameters = nn.utils.vector_to_parameters
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))
        copy_weights(model)
        fast = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
        slow = to_vector(model.parameters()).detach().clone()
        assert slow.numel() == sum(p.numel() for p in model.parameters()) == 22
        losses, cosines, previous = [], [], None
        for step in range(6):
            x, y = torch.from_numpy(inputs[step]), torch.from_numpy(labels[step])
            loss = F.cross_entropy(model(x), y)
            fast.zero_grad()
            loss.backward()
            gradient = torch.cat([torch.as_tensor(p.grad).reshape(-1)
                                  for p in model.parameters()])
            if previous is not None:
                cosines.append(F.cosine_similarity(gradient, previous, dim=0).item())
            previous = gradient
            fast.step()
            losses.append(loss.item())
            if step % 3 == 2:                    # every k = 3 steps: slow += 0.5 (fast - slow)
                with torch.no_grad():
                    slow += 0.5 * (to_vector(model.parameters()) - slow)
                    # a clone: PyTorch's parameters become views of the vector given,
                    # so fast steps would move `slow` too (autodiff copies the values)
                    to_parameters(slow.clone(), model.parameters())
        return losses, cosines, slow.norm(), model
    side_by_side(script)


# --- A Dataset of dicts, the default collate, ConcatDataset, Subset, BatchSampler -----

def test_dict_samples_default_collate_concat_dataset_subset_and_a_batch_sampler():
    first_x, first_y = DATA.normal(size=(7, 3)), DATA.normal(size=7)
    second_x, second_y = DATA.normal(size=(5, 3)), DATA.normal(size=5)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        data = torch.utils.data

        class Readings(data.Dataset):
            def __init__(self, xs, ys, site):
                self.xs, self.ys, self.site = xs, ys, site

            def __len__(self):
                return len(self.ys)

            def __getitem__(self, i):
                return {"x": torch.from_numpy(self.xs[i]), "y": float(self.ys[i]),
                        "meta": (self.site, i)}

        both = data.ConcatDataset([Readings(first_x, first_y, "north"),
                                   Readings(second_x, second_y, "south")])
        assert len(both) == 12 and both.cumulative_sizes == [7, 12]
        assert both[8]["meta"] == ("south", 1)
        train = data.Subset(both, [0, 2, 4, 6, 7, 8, 9, 11])
        sampler = data.BatchSampler(data.SequentialSampler(train), batch_size=3, drop_last=True)
        assert list(sampler) == [[0, 1, 2], [3, 4, 5]] and len(sampler) == 2
        loader = data.DataLoader(train, batch_sampler=sampler)
        model = nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        losses, sites = [], []
        for epoch in range(2):
            for batch in loader:
                assert set(batch) == {"x", "y", "meta"}
                sites.append(list(batch["meta"][0]))
                prediction = model(batch["x"]).squeeze(1)
                loss = F.mse_loss(prediction, batch["y"].to(prediction.dtype))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return losses, sites, batch["meta"][1], batch["y"], model
    side_by_side(script)


# --- A WeightedRandomSampler without replacement over an epoch-summed gradient --------

def test_weighted_random_sampler_without_replacement_and_an_epoch_accumulated_step():
    features = DATA.normal(size=(10, 3))
    labels = np.array([0] * 8 + [1] * 2)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        data = torch.utils.data
        dataset = data.TensorDataset(torch.from_numpy(features), torch.from_numpy(labels))
        class_counts = torch.bincount(torch.from_numpy(labels))
        sample_weights = (1.0 / class_counts.double())[torch.from_numpy(labels)]
        sampler = data.WeightedRandomSampler(sample_weights, num_samples=10,
                                             replacement=False,
                                             generator=torch.Generator().manual_seed(5))
        loader = data.DataLoader(dataset, batch_size=4, sampler=sampler)
        model = nn.Linear(3, 2)
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
        losses, drawn = [], []
        for epoch in range(3):                 # one step per epoch: the order does not matter
            optimizer.zero_grad()
            epoch_loss = 0.0
            for x, y in loader:
                loss = F.cross_entropy(model(x), y, reduction="sum") / len(dataset)
                loss.backward()
                epoch_loss += loss.item()
            optimizer.step()
            drawn.append(sorted(list(sampler)))
            losses.append(epoch_loss)
        assert drawn == [list(range(10))] * 3 and len(loader) == 3
        return losses, model
    side_by_side(script)


# --- An IterableDataset, seeded Generator draws repeated from a saved state -----------

def test_iterable_dataset_loader_and_a_generator_state_replayed():
    stream = DATA.normal(size=(11, 2))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        data = torch.utils.data

        class Stream(data.IterableDataset):
            def __iter__(self):
                for row in stream:
                    x = torch.from_numpy(row)
                    yield x, x.sum().tanh()

        loader = data.DataLoader(Stream(), batch_size=4, drop_last=False)
        sizes = [len(y) for _, y in loader]
        assert sizes == [4, 4, 3]
        model = nn.Sequential(nn.Linear(2, 5), nn.Tanh(), nn.Linear(5, 1))
        copy_weights(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        losses = []
        for epoch in range(2):
            for x, y in loader:
                loss = F.mse_loss(model(x).squeeze(-1), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        g = torch.Generator().manual_seed(11)
        state = g.get_state()
        first = torch.randn(4, generator=g)
        g.set_state(state)
        again = torch.randn(4, generator=g)
        torch.manual_seed(3)
        a = torch.rand(3)
        torch.manual_seed(3)
        b = torch.rand(3)
        # (autodiff's top-level equal keeps NumPy's elementwise meaning; the method is
        # PyTorch's whole-tensor one)
        repeated = first.equal(again) and a.equal(b)
        return losses, sizes, repeated, g.initial_seed(), model
    side_by_side(script)
