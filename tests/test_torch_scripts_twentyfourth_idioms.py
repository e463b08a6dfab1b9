"""Round 24 of the PyTorch scripts (see test_torch_scripts_twentyfourth.py): tensor
idioms, losses and module utilities.  A feature pipeline through ``gather``,
``scatter_add``, ``index_select``, ``masked_fill``, ``Tensor.unfold``, ``topk(largest=
False)``, a stable descending ``sort``, ``cumsum``, ``where``, ``clamp`` with tensor
bounds, ``nonzero``, ``unique`` with inverse and counts and ``einsum``; statistics and
linear algebra in the forms PyTorch scripts spell them (``index_reduce``,
``scatter_reduce(include_self=False)``, ``torch.gradient`` on coordinates, weighted
``torch.cov``, ``quantile(interpolation='midpoint')``, ``solve_triangular(left=False,
unitriangular=True)``, ``cholesky_inverse(upper=True)``, ``cdist`` in the 1- and
infinity norms, ...), each with its gradient; the deterministic ``nn.init`` functions;
a mean ``EmbeddingBag`` with ``include_last_offset`` and ``padding_idx``; a circular,
dilated, grouped ``padding='same'`` convolution into ``BatchNorm2d(momentum=None)``, a
``MaxPool2d(ceil_mode=True)`` undone by ``MaxUnpool2d`` and a ``ConvTranspose2d`` with
``output_padding``; ``BatchNorm1d(track_running_stats=False)`` in evaluation;
forward hooks, a full backward hook that halves the input gradient, and pre- and post-
hooks ``with_kwargs=True``; a custom ``autograd.Function`` in the ``setup_context`` form
and one marking its indices non-differentiable; ``torch.func`` per-sample gradients by
``vmap(grad(..., has_aux=True))`` over ``functional_call``; ``torch.autograd.grad``
with ``allow_unused``/``materialize_grads``, ``backward(inputs=...)`` and forward-mode
``jacobian``; activation checkpointing; ``fold``/``unfold``, pixel and channel
shuffles, ``grid_sample`` with border and reflection padding; sixteen losses with their
options; ``nn.Module`` bookkeeping (``named_modules``, non-persistent buffers,
``load_state_dict(strict=False)``, ``get_submodule``); ``DataLoader`` over a ``Subset``
with ``drop_last`` and a ``BatchSampler`` with a ``collate_fn``; and
``fuse_conv_bn_eval``.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2426)
MATRIX = DATA.normal(size=(5, 4))


def test_feature_pipeline_of_indexing_sorting_and_reduction_idioms():
    picks = np.array([[0, 2], [1, 1], [5, 0], [3, 3]])
    labels = np.array([2, 0, 2, 1, 0, 2])
    features = DATA.normal(size=(4, 6))

    def script(torch, copy_weights):
        t = torch.tensor(features, requires_grad=True)
        gathered = torch.gather(t, 1, torch.from_numpy(picks))
        per_label = torch.zeros(4, 3, dtype=torch.float64).scatter_add(
            1, torch.from_numpy(labels).expand(4, 6), t)
        selected = t.index_select(1, torch.tensor([5, 0, 5]))
        positive = t.masked_fill(t < 0, 0.0)
        windows = t.unfold(1, 3, 2)
        low_values, low_positions = t.topk(2, dim=1, largest=False)
        ranked, order = torch.sort(t, dim=0, descending=True, stable=True)
        running = t.cumsum(dim=1)
        kept = torch.where(t > 0.5, t, torch.zeros_like(t))
        bounded = t.clamp(min=torch.full((6,), -0.5), max=torch.full((6,), 0.7))
        large = torch.nonzero(t > 1.0, as_tuple=False)
        values, inverse, counts = torch.from_numpy(labels).unique(
            sorted=True, return_inverse=True, return_counts=True)
        gram = torch.einsum("ij,kj->ik", t, t)
        total = (gathered.sum() + per_label.pow(2).sum() + selected.sum() + positive.sum()
                 + windows.pow(2).sum() + low_values.sum() + ranked[0].sum()
                 + running.pow(2).mean() + kept.sum() + bounded.sum() + gram.trace())
        total.backward()
        return (gathered, per_label, selected, positive, windows, low_values, low_positions,
                ranked, order, running, kept, bounded, large, values, inverse, counts, gram,
                t.grad)
    side_by_side(script)


STATISTICS = {
    "cummax": lambda torch, t: torch.cummax(t, dim=0),
    "logcumsumexp": lambda torch, t: torch.logcumsumexp(t, dim=1),
    "index_reduce_amax": lambda torch, t: torch.zeros(3, 4, dtype=torch.float64).index_reduce(
        0, torch.tensor([0, 2, 0, 1, 2]), t, "amax", include_self=False),
    "index_reduce_mean": lambda torch, t: torch.ones(3, 4, dtype=torch.float64).index_reduce(
        0, torch.tensor([0, 2, 0, 1, 2]), t, "mean"),
    "scatter_reduce_mean": lambda torch, t: torch.zeros(5, 3, dtype=torch.float64)
    .scatter_reduce(1, torch.tensor([[0, 1, 0, 2]] * 5), t, "mean", include_self=False),
    "scatter_reduce_prod": lambda torch, t: torch.ones(5, 3, dtype=torch.float64)
    .scatter_reduce(1, torch.tensor([[0, 1, 0, 2]] * 5), t, "prod"),
    "index_put_accumulate": lambda torch, t: t.clone().index_put_(
        (torch.tensor([0, 0, 2]), torch.tensor([1, 1, 3])),
        torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), accumulate=True),
    "diff_prepend_append": lambda torch, t: torch.diff(t, n=2, dim=0, prepend=t[:1],
                                                       append=t[-1:]),
    "gradient_on_coordinates": lambda torch, t: torch.gradient(
        t, spacing=(torch.tensor([0.0, 1.0, 3.0, 4.0, 7.0], dtype=torch.float64),), dim=0),
    "weighted_cov": lambda torch, t: torch.cov(
        t, correction=0, fweights=torch.tensor([1, 2, 1, 3]),
        aweights=torch.tensor([0.5, 1.0, 2.0, 1.0], dtype=torch.float64)),
    "quantile_midpoint": lambda torch, t: torch.quantile(
        t, torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64), dim=0, keepdim=True,
        interpolation="midpoint"),
    "kthvalue": lambda torch, t: torch.kthvalue(t, 2, dim=0, keepdim=True),
    "var_mean_correction": lambda torch, t: torch.var_mean(t, dim=0, correction=2,
                                                           keepdim=True),
    "logit_eps": lambda torch, t: torch.logit(torch.sigmoid(t) * 1.2 - 0.1, eps=1e-3),
    "tensordot": lambda torch, t: torch.tensordot(t.reshape(5, 2, 2), t.reshape(2, 2, 5),
                                                  dims=2),
    "matrix_power_negative": lambda torch, t: torch.linalg.matrix_power(
        t[:4] + 3 * torch.eye(4), -2),
    "vector_norm_half": lambda torch, t: torch.linalg.vector_norm(t, ord=0.5, dim=1,
                                                                  keepdim=True),
    "matrix_norm_nuclear": lambda torch, t: torch.linalg.matrix_norm(t, ord="nuc"),
    "solve_triangular_right_unit": lambda torch, t: torch.linalg.solve_triangular(
        torch.triu(t[:4]) + 2 * torch.eye(4), t, upper=True, left=False,
        unitriangular=True),
    "cholesky_inverse_upper": lambda torch, t: torch.cholesky_inverse(
        torch.linalg.cholesky(t.T @ t + torch.eye(4), upper=True), upper=True),
    "lu_unpack": lambda torch, t: torch.lu_unpack(*torch.linalg.lu_factor(t[:4])),
    "cdist_l1": lambda torch, t: torch.cdist(t, t[:3] + 0.1, p=1.0),
    "cdist_linf": lambda torch, t: torch.cdist(t, t[:3] + 0.1, p=float("inf")),
    "combinations_with_replacement": lambda torch, t: torch.combinations(
        t[0], r=2, with_replacement=True),
    "block_diag_with_a_scalar": lambda torch, t: torch.block_diag(
        t[:2, :3], t[2:3], torch.tensor(5.0, dtype=torch.float64)),
    "renorm": lambda torch, t: torch.renorm(t, p=2, dim=0, maxnorm=1.0),
    "cumulative_trapezoid": lambda torch, t: torch.cumulative_trapezoid(t, dx=0.5, dim=0),
    "diagonal_and_slice_scatter": lambda torch, t: (
        torch.diagonal_scatter(t, t[0, :4].flip(0)),
        torch.slice_scatter(t, t[:, :2] * 3, dim=1, start=1, end=4, step=2)),
    "masked_scatter": lambda torch, t: t.masked_scatter(t < 0, t.flip(1) * 2),
    "softplus_beta_threshold": lambda torch, t: torch.nn.functional.softplus(
        t * 10, beta=2, threshold=5),
    "max_with_ties": lambda torch, t: torch.cat([t, t]).max(dim=0).values,
    "cumprod_through_zeros": lambda torch, t: torch.cumprod(t * (t > -0.3), dim=1),
}


@pytest.mark.parametrize("name", sorted(STATISTICS))
def test_statistics_and_linear_algebra_as_pytorch_scripts_spell_them(name):
    def script(torch, copy_weights):
        t = torch.tensor(MATRIX, requires_grad=True)
        found = STATISTICS[name](torch, t)
        found = found if isinstance(found, tuple) else (found,)
        loss = sum(o.pow(2).sum() for o in found if o.is_floating_point())
        loss.backward()
        return found, t.grad
    side_by_side(script)


def test_deterministic_init_functions_and_gains():
    def script(torch, copy_weights):
        init = torch.nn.init
        gains = [init.calculate_gain(name, param) for name, param in
                 [("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("selu", None),
                  ("conv2d", None), ("sigmoid", None)]]
        identity_kernel = init.dirac_(torch.empty(4, 2, 3, 3), groups=2)
        rectangular = init.eye_(torch.empty(3, 5))
        constant = init.constant_(torch.empty(2, 2), 0.3)
        return torch.tensor(gains), identity_kernel, rectangular, constant
    side_by_side(script)


def test_mean_embedding_bag_with_include_last_offset_and_padding():
    ids = np.array([1, 2, 0, 4, 3, 0, 2])
    offsets = np.array([0, 3, 3, 5, 7])

    def script(torch, copy_weights):
        bag = torch.nn.EmbeddingBag(6, 4, mode="mean", include_last_offset=True,
                                    padding_idx=0)
        copy_weights(bag)
        out = bag(torch.from_numpy(ids), torch.from_numpy(offsets))
        out.pow(2).sum().backward()
        return out, bag.weight.grad
    side_by_side(script)


def test_convolution_pooling_and_normalisation_shapes_and_options():
    images = DATA.normal(size=(2, 3, 9, 9))

    def script(torch, copy_weights):
        nn = torch.nn
        body = nn.Sequential(
            nn.Conv2d(3, 6, 3, padding="same", dilation=2, groups=3, padding_mode="circular"),
            nn.BatchNorm2d(6, momentum=None), nn.ReLU())
        pool = nn.MaxPool2d(2, stride=2, return_indices=True, ceil_mode=True)
        unpool = nn.MaxUnpool2d(2, stride=2)
        up = nn.ConvTranspose2d(6, 2, 3, stride=2, padding=1, output_padding=1)
        resize = nn.AdaptiveAvgPool2d((3, 4))
        copy_weights(body, up)
        outputs = []
        for scale in (1.0, 2.0, 0.5):
            h = body(torch.from_numpy(images) * scale)
            pooled, where = pool(h)
            restored = unpool(pooled, where, output_size=h.shape[-2:])
            outputs.append(resize(up(restored)))
        sum(o.pow(2).sum() for o in outputs).backward()
        return (outputs, tuple(pooled.shape), where, body, body[1].num_batches_tracked,
                [p.grad.norm() for p in body.parameters()],
                [p.grad.norm() for p in up.parameters()])
    side_by_side(script)


def test_batch_norm_without_running_statistics_normalises_by_the_batch_in_eval():
    batch = DATA.normal(size=(5, 3))

    def script(torch, copy_weights):
        norm = torch.nn.BatchNorm1d(3, track_running_stats=False)
        copy_weights(norm)
        norm.eval()
        x = torch.tensor(batch, requires_grad=True)
        out = norm(x)
        out[:, 0].pow(3).sum().backward()
        return out, x.grad, norm.running_mean, norm
    side_by_side(script)


def test_forward_hooks_and_a_full_backward_hook_that_halves_the_input_gradient():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        net = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2))
        copy_weights(net)
        seen = []

        def remember_output(module, args, output):
            seen.append(output.detach().clone())

        def halve(module, grad_input, grad_output):
            seen.append(grad_output[0].clone())
            return (grad_input[0] * 0.5,)
        handles = [net[1].register_forward_hook(remember_output),
                   net[1].register_full_backward_hook(halve)]
        x = torch.tensor(inputs, requires_grad=True)
        net(x).pow(2).sum().backward()
        for handle in handles:
            handle.remove()
        net(x).sum()
        return seen, x.grad, [p.grad.norm() for p in net.parameters()]
    side_by_side(script)


def test_pre_and_post_hooks_with_keyword_arguments():
    inputs = DATA.normal(size=(2, 3))

    def script(torch, copy_weights):
        linear = torch.nn.Linear(3, 2)
        copy_weights(linear)

        def double_input(module, args, kwargs):
            return (args[0] * 2,), kwargs

        def shift_output(module, args, kwargs, output):
            return output + 1
        linear.register_forward_pre_hook(double_input, with_kwargs=True)
        linear.register_forward_hook(shift_output, with_kwargs=True)
        out = linear(torch.from_numpy(inputs))
        out.sum().backward()
        return out, [p.grad.norm() for p in linear.parameters()]
    side_by_side(script)


def test_custom_functions_with_setup_context_and_non_differentiable_indices():
    values = DATA.normal(size=(5,))

    def script(torch, copy_weights):
        class LeakyFloor(torch.autograd.Function):
            @staticmethod
            def forward(x, floor):
                return torch.clamp(x, min=floor)

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, floor = inputs
                ctx.save_for_backward(x)
                ctx.floor = floor

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * (x > ctx.floor) + 0.1 * grad, None

        class ScaledSort(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x, scale):
                ranked, order = torch.sort(x, dim=0)
                ctx.mark_non_differentiable(order)
                ctx.save_for_backward(order, scale)
                return ranked * scale, order

            @staticmethod
            def backward(ctx, grad_ranked, grad_order):
                order, scale = ctx.saved_tensors
                return torch.zeros_like(grad_ranked).scatter(0, order, grad_ranked * scale), None

        x = torch.tensor(values, requires_grad=True)
        floored = LeakyFloor.apply(x, 0.0)
        ranked, order = ScaledSort.apply(x, torch.tensor(2.0, dtype=torch.float64))
        ((floored * floored).sum() + ranked.cumsum(0).sum()).backward()
        return floored, ranked, order, order.requires_grad, x.grad
    side_by_side(script)


def test_per_sample_gradients_by_vmap_of_grad_with_aux_over_functional_call():
    xs = DATA.normal(size=(4, 3))
    ys = DATA.normal(size=(4,))

    def script(torch, copy_weights):
        func = torch.func
        model = torch.nn.Linear(3, 1)
        copy_weights(model)
        params = {name: p.detach() for name, p in model.named_parameters()}

        def loss(p, x, y):
            prediction = func.functional_call(model, p, (x.unsqueeze(0),)).squeeze()
            return (prediction - y) ** 2, prediction
        per_sample, predictions = func.vmap(func.grad(loss, has_aux=True),
                                            in_dims=(None, 0, 0))(
            params, torch.from_numpy(xs), torch.from_numpy(ys))
        pair = func.grad(lambda a, b: (a * b).sum() ** 2, argnums=(0, 1))(
            torch.from_numpy(xs[0]), torch.from_numpy(xs[1]))
        return [g.reshape(4, -1).norm(dim=1) for g in per_sample.values()], predictions, pair
    side_by_side(script)


def test_autograd_grad_options_backward_inputs_and_forward_mode_jacobian():
    values = DATA.normal(size=(3,))

    def script(torch, copy_weights):
        x = torch.tensor(values, requires_grad=True)
        unused = torch.tensor(1.0, requires_grad=True)
        y = (x ** 3).sum()
        g, g_unused = torch.autograd.grad(y, [x, unused], create_graph=True,
                                          allow_unused=True, materialize_grads=True)
        second = torch.autograd.grad(g, x, grad_outputs=torch.ones(3, dtype=torch.float64),
                                     retain_graph=True)[0]
        (x * 2).backward(gradient=torch.tensor([1.0, 0.0, 2.0], dtype=torch.float64),
                         inputs=[x])
        jacobian = torch.autograd.functional.jacobian(lambda a: a.sin() * a.sum(), x,
                                                      vectorize=True,
                                                      strategy="forward-mode")
        _, hvp = torch.autograd.functional.hvp(lambda a: (a ** 4).sum(), x,
                                               torch.ones(3, dtype=torch.float64))
        return g, g_unused, second, x.grad, jacobian, hvp
    side_by_side(script)


def test_activation_checkpointing_of_a_sequential_and_a_module():
    inputs = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        net = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh())
        copy_weights(net)
        x = torch.tensor(inputs, requires_grad=True)
        checkpoint = torch.utils.checkpoint
        by_segments = checkpoint.checkpoint_sequential(net, 2, x, use_reentrant=False)
        whole = checkpoint.checkpoint(net, x, use_reentrant=False)
        (by_segments.sum() + whole.pow(2).sum()).backward()
        return by_segments, x.grad, [p.grad.norm() for p in net.parameters()]
    side_by_side(script)


def test_fold_unfold_shuffles_grid_sampling_and_resizing():
    images = DATA.normal(size=(1, 4, 6, 6))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        x = torch.tensor(images, requires_grad=True)
        options = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
        columns = F.unfold(x, **options)
        folded = F.fold(columns, output_size=(6, 6), **options)
        shuffled = nn.PixelShuffle(2)(x)
        unshuffled = nn.PixelUnshuffle(3)(x)
        channels = nn.ChannelShuffle(2)(x)
        border = F.grid_sample(x, torch.tanh(x[:, :2].permute(0, 2, 3, 1)) * 1.2,
                               mode="bilinear", padding_mode="border", align_corners=True)
        reflected = F.grid_sample(x, torch.tanh(x[:, 2:].permute(0, 2, 3, 1)) * 1.2,
                                  mode="nearest", padding_mode="reflection",
                                  align_corners=False)
        resized = F.interpolate(x, scale_factor=1.7, mode="bilinear",
                                recompute_scale_factor=True, align_corners=False)
        (columns.pow(2).sum() + folded.sum() + shuffled[0, 0].sum() + unshuffled[0, 3].sum()
         + channels[0, 1].sum() + border.pow(2).sum() + reflected.sum()
         + resized.pow(2).sum()).backward()
        return (columns, folded, shuffled, unshuffled, channels, border, reflected, resized,
                x.grad)
    side_by_side(script)


def test_sixteen_losses_with_their_options():
    scores = DATA.normal(size=(5, 4))
    classes = DATA.integers(0, 4, size=5)
    binary = DATA.integers(0, 2, size=(5, 4)).astype(float)
    class_weights = np.array([0.5, 1.0, 2.0, 1.5])

    def script(torch, copy_weights):
        F = torch.nn.functional
        x = torch.tensor(scores, requires_grad=True)
        t, y, w = (torch.from_numpy(classes), torch.from_numpy(binary),
                   torch.from_numpy(class_weights))
        pm = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0], dtype=torch.float64)
        losses = [
            F.multilabel_soft_margin_loss(x, y, weight=w),
            F.multi_margin_loss(x, t, p=2, margin=0.7, weight=w),
            F.triplet_margin_loss(x, x.roll(1, 0), x.flip(0), margin=0.5, p=1.5, swap=True),
            F.cosine_embedding_loss(x, x.roll(1, 0), torch.tensor([1, -1, 1, -1, -1]),
                                    margin=0.2),
            F.poisson_nll_loss(x.exp(), y * 3, log_input=False, full=True),
            F.gaussian_nll_loss(x, y, x.pow(2) + 0.1, full=True, eps=1e-3),
            F.huber_loss(x, y, delta=0.3, reduction="sum"),
            F.hinge_embedding_loss(x, 2 * y - 1, margin=0.8),
            F.margin_ranking_loss(x[:, 0], x[:, 1], pm, margin=0.1),
            F.nll_loss(F.log_softmax(x, 1), t, weight=w, ignore_index=2),
            F.binary_cross_entropy(torch.sigmoid(x), y, weight=w),
            F.binary_cross_entropy_with_logits(x, y, pos_weight=w, reduction="none").sum(),
            F.soft_margin_loss(x, 2 * y - 1),
            F.multilabel_margin_loss(x, torch.tensor([[3, 0, -1, 1]] * 5)),
            F.l1_loss(x, y, reduction="sum"),
            F.triplet_margin_with_distance_loss(
                x, x.roll(1, 0), x.flip(0), distance_function=torch.nn.PairwiseDistance(p=1.0),
                margin=0.3, swap=True),
        ]
        sum(losses).backward()
        return torch.stack(losses), x.grad
    side_by_side(script)


def test_module_bookkeeping_names_buffers_and_partial_loading():
    def script(torch, copy_weights):
        nn = torch.nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
                self.head = nn.Linear(4, 2)
                self.register_buffer("scale", torch.ones(2, dtype=torch.float64))
                self.register_buffer("scratch", torch.zeros(1, dtype=torch.float64),
                                     persistent=False)

            def forward(self, x):
                return self.head(self.body(x)) * self.scale

        net = Net()
        copy_weights(net)
        partial = {k: v for k, v in net.state_dict().items() if k != "scale"}
        partial["extra"] = torch.zeros(1)
        report = Net().load_state_dict(partial, strict=False)
        names = (list(net.state_dict()), [n for n, _ in net.named_modules()],
                 [n for n, _ in net.named_children()], [n for n, _ in net.named_buffers()],
                 [n for n, _ in net.named_parameters(prefix="net")],
                 sorted(net.state_dict(prefix="m.")))
        net.requires_grad_(False)
        net.body.train(False)
        return (names, sorted(report.missing_keys), sorted(report.unexpected_keys),
                [p.requires_grad for p in net.parameters()],
                [m.training for m in net.modules()],
                net.get_submodule("body.1").num_features,
                tuple(net.get_parameter("head.bias").shape))
    side_by_side(script)


def test_data_loading_over_a_subset_and_by_a_batch_sampler_with_a_collate_fn():
    rows = np.arange(20.0).reshape(10, 2)

    def script(torch, copy_weights):
        data = torch.utils.data
        dataset = data.TensorDataset(torch.from_numpy(rows), torch.arange(10))
        subset = data.Subset(dataset, [9, 1, 3, 5, 7, 0, 2])
        loader = data.DataLoader(subset, batch_size=3, drop_last=True,
                                 sampler=data.SequentialSampler(subset))
        summed = data.DataLoader(
            dataset, batch_sampler=data.BatchSampler(data.SequentialSampler(range(10)), 4,
                                                     False),
            collate_fn=lambda items: torch.stack([item[0] for item in items]).sum(0))
        return list(loader), list(summed), len(loader), len(summed)
    side_by_side(script)


def test_convolution_and_batch_norm_fused_for_inference():
    images = DATA.normal(size=(1, 2, 5, 5))

    def script(torch, copy_weights):
        conv, norm = torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3)
        copy_weights(conv, norm)
        x = torch.from_numpy(images)
        norm(conv(x))
        norm(conv(2 * x))
        conv.eval()
        norm.eval()
        fused = torch.nn.utils.fuse_conv_bn_eval(conv, norm)
        return fused(x), norm(conv(x)), norm.running_var
    side_by_side(script)


def test_sparse_init_of_a_linear_layer_zeroes_each_inputs_weights_as_pytorch():
    def script(torch, copy_weights):
        layer = torch.nn.Linear(12, 5)
        torch.nn.init.sparse_(layer.weight, sparsity=0.4, std=0.02)
        pytorch_view = layer.weight.detach().numpy()
        if pytorch_view.shape != (5, 12):           # this library's (in, out) layout
            pytorch_view = pytorch_view.T
        return (pytorch_view == 0).sum(axis=0).tolist()     # zeroed outputs per input
    theirs, _ = side_by_side(script)
    assert theirs == [2] * 12                       # ceil(0.4 * 5) of each input's five
