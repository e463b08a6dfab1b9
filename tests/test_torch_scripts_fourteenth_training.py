"""The fourteenth round of PyTorch scripts (see test_torch_scripts_fourteenth.py), run
with PyTorch and with ``autodiff`` in its place and compared (float64 to 1e-10); here,
training utilities, losses and hooks: a custom ``autograd.Function`` checked by
``gradcheck`` / ``gradgradcheck``, ``pad_sequence`` (``padding_side='left'``) into a
packed GRU, a ranker trained by ``nn.Bilinear`` with ``CosineEmbeddingLoss`` and
``MarginRankingLoss``, ``TripletMarginWithDistanceLoss`` with a cosine distance and
``swap``, ``MultiLabelMarginLoss``, skip-gram by ``SparseAdam`` (PyTorch's run with
``nn.Embedding(sparse=True)``), ``LBFGS(line_search_fn='strong_wolfe')``, SWA (``AveragedModel``,
``SWALR``, ``update_bn``), an EMA of weights by ``lerp_`` under ``no_grad``,
``fuse_linear_bn_eval``, ``.float()`` / ``.double()`` round trips with
``named_buffers``, ``register_forward_pre_hook(with_kwargs=True)`` beside
``register_full_backward_hook``, and ``index_reduce_`` / ``scatter_reduce(include_self=False)``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(14014)


def test_custom_function_checked_by_gradcheck_and_gradgradcheck():
    values = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        class SmoothAbs(torch.autograd.Function):
            """sqrt(x^2 + eps^2), its backward written in differentiable ops."""

            @staticmethod
            def forward(ctx, x, eps):
                out = torch.sqrt(x * x + eps * eps)
                ctx.save_for_backward(x, out)
                return out

            @staticmethod
            def backward(ctx, grad_out):
                x, out = ctx.saved_tensors
                grad_x = grad_out * x / out if ctx.needs_input_grad[0] else None
                return grad_x, None

        x = torch.from_numpy(values).requires_grad_()
        checks = [torch.autograd.gradcheck(lambda t: SmoothAbs.apply(t, 0.1), (x,)),
                  torch.autograd.gradgradcheck(lambda t: SmoothAbs.apply(t, 0.1), (x,))]
        y = SmoothAbs.apply(x, 0.1)
        (grad,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        (second,) = torch.autograd.grad(grad.sum(), x)
        return checks, y, grad, second
    side_by_side(script)


def test_pad_sequence_left_and_right_into_a_packed_gru():
    lengths = [5, 2, 4]
    sequences = [DATA.normal(size=(n, 3)) for n in lengths]

    def script(torch, copy_weights):
        nn = torch.nn
        rnn_utils = nn.utils.rnn
        seqs = [torch.from_numpy(s) for s in sequences]
        right = rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=-1.0)
        left = rnn_utils.pad_sequence(seqs, batch_first=True, padding_side="left")
        gru = nn.GRU(3, 4, batch_first=True, bidirectional=True)
        copy_weights(gru)
        packed = rnn_utils.pack_padded_sequence(right, torch.tensor(lengths), batch_first=True,
                                                enforce_sorted=False)
        out, h = gru(packed)
        padded, out_lengths = rnn_utils.pad_packed_sequence(out, batch_first=True,
                                                            padding_value=0.0)
        pieces = rnn_utils.unpad_sequence(padded, out_lengths, batch_first=True)
        loss = sum(p.pow(2).mean() for p in pieces)
        loss.backward()
        return right, left, padded, out_lengths, h, loss, gru
    side_by_side(script)


def test_bilinear_ranker_with_cosine_embedding_and_margin_ranking_losses():
    queries, docs_a, docs_b = DATA.normal(size=(3, 8, 4))
    prefer_a = np.where(DATA.random(8) > 0.5, 1.0, -1.0)

    def script(torch, copy_weights):
        nn = torch.nn

        class Ranker(nn.Module):
            def __init__(self):
                super().__init__()
                self.query = nn.Linear(4, 5)
                self.score = nn.Bilinear(5, 4, 1)

            def forward(self, q, d):
                return self.score(torch.tanh(self.query(q)), d).squeeze(-1)

        model = Ranker()
        copy_weights(model)
        ranking = nn.MarginRankingLoss(margin=0.5)
        cosine = nn.CosineEmbeddingLoss(margin=0.2, reduction="sum")
        optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
        q, a, b = (torch.from_numpy(v) for v in (queries, docs_a, docs_b))
        target = torch.from_numpy(prefer_a)
        losses = []
        for _ in range(4):
            rank_loss = ranking(model(q, a), model(q, b), target)
            embed_loss = cosine(torch.tanh(model.query(q)), torch.tanh(model.query(a)), target)
            loss = rank_loss + 0.1 * embed_loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append((rank_loss.item(), embed_loss.item()))
        with torch.no_grad():
            accuracy = ((model(q, a) > model(q, b)).double() * 2 - 1 == target).double().mean()
        return losses, accuracy, model
    side_by_side(script)


def test_triplet_loss_with_a_cosine_distance_and_swap_and_multilabel_margin():
    anchors, positives, negatives = DATA.normal(size=(3, 6, 5))
    labels = np.array([[3, 0, -1, 1, 2], [1, 2, 4, -1, 0], [0, -1, 2, 2, 1],
                       [4, 3, 2, 1, 0], [2, -1, -1, -1, 3], [0, 1, 4, 3, -1]])

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        net = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 5))
        copy_weights(net)
        triplet = nn.TripletMarginWithDistanceLoss(
            distance_function=lambda x, y: 1.0 - F.cosine_similarity(x, y), margin=0.3, swap=True)
        plain = nn.TripletMarginLoss(margin=1.0, p=1.5, swap=True, reduction="none")
        multilabel = nn.MultiLabelMarginLoss()
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1, nesterov=True, momentum=0.5)
        a, p, n = (torch.from_numpy(v) for v in (anchors, positives, negatives))
        y = torch.from_numpy(labels)
        losses = []
        for _ in range(3):
            ea, ep, en = net(a), net(p), net(n)
            loss = triplet(ea, ep, en) + plain(ea, ep, en).mean() + multilabel(ea, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        per_sample = F.multilabel_margin_loss(net(a), y, reduction="none")
        return losses, per_sample, net
    side_by_side(script)


def test_skip_gram_with_a_sparse_embedding_and_sparse_adam():
    centers = DATA.integers(0, 12, size=(4, 6))
    contexts = DATA.integers(0, 12, size=(4, 6))
    negatives = DATA.integers(0, 12, size=(4, 6, 3))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional

        # (sparse gradients are PyTorch's only: autodiff refuses sparse=True, and its
        # SparseAdam updates the rows a dense gradient touches; test_..._gaps.py)
        sparse = torch.__name__ == "torch"

        class SkipGram(nn.Module):
            def __init__(self, vocab=12, dim=5):
                super().__init__()
                self.center = nn.Embedding(vocab, dim, sparse=sparse)
                self.context = nn.Embedding(vocab, dim, sparse=sparse)

            def forward(self, c, o, neg):
                v = self.center(c)
                positive = F.logsigmoid((v * self.context(o)).sum(-1))
                negative = F.logsigmoid(-torch.bmm(self.context(neg), v.unsqueeze(-1))).squeeze(-1)
                return -(positive + negative.sum(-1)).mean()

        model = SkipGram()
        copy_weights(model)
        optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.05)
        losses = []
        for c, o, neg in zip(centers, contexts, negatives):
            loss = model(torch.from_numpy(c), torch.from_numpy(o), torch.from_numpy(neg))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, model
    side_by_side(script)


def test_lbfgs_with_a_strong_wolfe_line_search_on_logistic_regression():
    features = DATA.normal(size=(40, 3))
    labels = (features @ np.array([1.5, -1.0, 0.5]) + 0.5 * DATA.normal(size=40) > 0) * 1.0

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        model = nn.Linear(3, 1)
        copy_weights(model)
        optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=20, history_size=5,
                                      line_search_fn="strong_wolfe")
        x, y = torch.from_numpy(features), torch.from_numpy(labels).unsqueeze(1)
        calls = []

        def closure():
            optimizer.zero_grad()
            loss = F.binary_cross_entropy_with_logits(model(x), y) + 1e-2 * sum(
                p.pow(2).sum() for p in model.parameters())
            loss.backward()
            calls.append(loss.item())
            return loss

        returned = [optimizer.step(closure).item() for _ in range(2)]
        state = optimizer.state[optimizer._params[0]]
        return returned, calls, state["func_evals"], state["n_iter"], model
    side_by_side(script)


def test_swa_with_swalr_and_update_bn_over_a_loader():
    xs = DATA.normal(size=(4, 8, 3))
    ys = DATA.normal(size=(4, 8, 1))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        swa_utils = torch.optim.swa_utils
        model = nn.Sequential(nn.Linear(3, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 1))
        copy_weights(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        swa_model = swa_utils.AveragedModel(model)
        swa_scheduler = swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=2,
                                        anneal_strategy="cos")
        loader = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in zip(xs, ys)]
        lrs, losses = [], []
        for epoch in range(4):
            for x, y in loader:
                loss = F.mse_loss(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            if epoch >= 1:
                swa_model.update_parameters(model)
                swa_scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
        swa_utils.update_bn([x for x, _ in loader], swa_model)
        swa_model.eval()
        with torch.no_grad():
            prediction = swa_model(loader[0][0])
        return lrs, losses, swa_model.n_averaged, prediction, swa_model.module
    side_by_side(script)


def test_ema_of_weights_by_lerp_under_no_grad():
    xs = DATA.normal(size=(5, 6, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        import copy
        model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4), nn.GELU(), nn.Linear(4, 2))
        copy_weights(model)
        ema = copy.deepcopy(model)
        for p in ema.parameters():
            p.requires_grad_(False)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
        decay = 0.9
        for x in xs:
            loss = model(torch.from_numpy(x)).pow(2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                for ema_p, p in zip(ema.parameters(), model.parameters()):
                    ema_p.lerp_(p, 1 - decay)
        flags = [p.requires_grad for p in ema.parameters()]
        return flags, ema, model
    side_by_side(script)


def test_fuse_linear_bn_eval_after_training():
    xs = DATA.normal(size=(3, 10, 4))

    def script(torch, copy_weights):
        nn = torch.nn
        linear, bn = nn.Linear(4, 3), nn.BatchNorm1d(3, momentum=0.3)
        copy_weights(linear, bn)
        optimizer = torch.optim.SGD([*linear.parameters(), *bn.parameters()], lr=0.1)
        for x in xs:
            loss = bn(linear(torch.from_numpy(x))).tanh().sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        linear.eval()
        bn.eval()
        fused = nn.utils.fusion.fuse_linear_bn_eval(linear, bn)
        x = torch.from_numpy(xs[0])
        with torch.no_grad():
            gap = (fused(x) - bn(linear(x))).abs().max()
        return gap < 1e-12, fused(x).detach(), dict(bn.named_buffers())
    side_by_side(script)


def test_float_double_round_trip_and_named_buffers():
    x_values = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
        copy_weights(model)
        model(torch.from_numpy(x_values))                  # moves the running stats
        model.float()
        dtypes = [p.dtype == torch.float32 for p in model.parameters()]
        buffer_dtypes = [(name, b.dtype == torch.float32 or b.dtype == torch.int64)
                         for name, b in model.named_buffers()]
        model.double()
        model.to(torch.float64)
        model.eval()
        out = model(torch.from_numpy(x_values))
        tracked = model[1].num_batches_tracked.item()
        return dtypes, buffer_dtypes, out, tracked, model
    side_by_side(script)


def test_forward_pre_hook_with_kwargs_and_full_backward_hook():
    x_values = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        nn = torch.nn

        class Scaled(nn.Module):
            def __init__(self):
                super().__init__()
                self.linear = nn.Linear(4, 2)

            def forward(self, x, scale=1.0):
                return self.linear(x) * scale

        model = Scaled()
        copy_weights(model)
        seen = []

        def pre_hook(module, args, kwargs):
            seen.append(("pre", sorted(kwargs), float(kwargs.get("scale", 1.0))))
            return args, {**kwargs, "scale": kwargs.get("scale", 1.0) * 2}

        def backward_hook(module, grad_input, grad_output):
            seen.append(("backward", grad_output[0].clone()))
            return (grad_input[0] * 0.5,)

        h1 = model.register_forward_pre_hook(pre_hook, with_kwargs=True)
        h2 = model.register_full_backward_hook(backward_hook)
        x = torch.from_numpy(x_values).requires_grad_()
        out = model(x, scale=3.0)
        out.sum().backward()
        h1.remove()
        h2.remove()
        unhooked = model(x, scale=3.0)
        return out, x.grad, seen, unhooked, model.linear.bias.grad
    side_by_side(script)


@pytest.mark.filterwarnings(r"ignore:index_reduce\(\) is in beta")
def test_index_reduce_and_scatter_reduce_without_self():
    source_values = DATA.normal(size=(6, 3))
    index_values = np.array([0, 2, 0, 3, 2, 0])

    def script(torch, copy_weights):
        src = torch.from_numpy(source_values).requires_grad_()
        index = torch.from_numpy(index_values)
        results = []
        for reduce in ("prod", "mean", "amax", "amin"):
            for include_self in (True, False):
                base = torch.full((4, 3), 0.5)
                out = base.index_reduce(0, index, src, reduce, include_self=include_self)
                results.append(out)
        in_place = torch.ones(4, 3).index_reduce_(0, index, src.detach(), "amax",
                                                   include_self=False)
        scatter_index = index[:, None].expand(6, 3)
        scattered = torch.zeros(4, 3).scatter_reduce(0, scatter_index, src, reduce="amax",
                                                     include_self=False)
        mean = torch.zeros(4, 3).scatter_reduce(0, scatter_index, src, reduce="mean",
                                                include_self=False)
        (scattered * torch.arange(12.0).reshape(4, 3)).sum().add(mean.pow(2).sum()).backward()
        return results, in_place, scattered, mean, src.grad
    side_by_side(script)
