"""The eleventh round of PyTorch scripts, continued (see test_torch_scripts_eleventh.py
for the method): ``einsum`` in its less common forms (a diagonal, ellipses, a batched
bilinear form) beside ``cdist`` in its norms and compute modes and the in-place index
writes (``index_fill_``, ``index_copy_``, ``masked_fill_``, ``scatter_(reduce=)``);
``nn.MultiheadAttention`` with ``kdim``/``vdim``, ``add_bias_kv``, ``add_zero_attn``,
per-head weights and a 3-D mask, beside ``scaled_dot_product_attention`` with
``enable_gqa`` and ``scale``; a custom ``Function`` with ``mark_non_differentiable`` and
``set_materialize_grads(False)`` (``mark_dirty`` is refused: written out of place);
``backward(inputs=...)`` and ``torch.autograd.backward`` with ``grad_tensors``; a
least-squares / whitening layer by ``torch.linalg`` (``lstsq``, ``solve``, ``slogdet``,
``eigh``, ``svd``, ``pinv``, ``qr``, ``vector_norm`` / ``matrix_norm``);
``Embedding.from_pretrained`` with ``padding_idx`` and ``max_norm``; and the orthogonal
parametrization in its three maps.  ``Adadelta`` and ``Adagrad`` with ``lr_decay`` train
a layer beside ``SGD(maximize=True)``."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(115)


def test_einsum_forms_cdist_norms_and_in_place_index_writes():
    a_values = DATA.normal(size=(2, 4, 4))
    b_values = DATA.normal(size=(2, 3, 4, 5))
    x_values = DATA.normal(size=(5, 3))
    y_values = DATA.normal(size=(4, 3))
    w_values = DATA.normal(size=(3, 3))

    def script(torch, copy_weights):
        a = torch.from_numpy(a_values).requires_grad_()
        b = torch.from_numpy(b_values).requires_grad_()
        x = torch.from_numpy(x_values).requires_grad_()
        y = torch.from_numpy(y_values).requires_grad_()
        w = torch.from_numpy(w_values).requires_grad_()
        outs = {
            "diagonal": torch.einsum("bii->bi", a),
            "trace": torch.einsum("bii", a),
            "ellipsis": torch.einsum("b...ij,bjk->b...ik", b.transpose(-1, -2),
                                     b[:, 0]),
            "bilinear": torch.einsum("ni,ij,mj->nm", x, w, y),
            "outer": torch.einsum("i,j->ij", x[0], y[1]),
            "sublist": torch.einsum(x, [0, 1], w, [1, 2], [0, 2]),
            "cdist2": torch.cdist(x, y),
            "cdist1": torch.cdist(x, y, p=1.0),
            "cdist_inf": torch.cdist(x, y, p=float("inf")),
            "cdist_mm": torch.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
            "cdist_batched": torch.cdist(x.unsqueeze(0).expand(2, 5, 3), y.unsqueeze(0)),
        }
        loss = sum((v * v.sin()).sum() for v in outs.values())
        h = x * 1.0
        h.index_fill_(0, torch.tensor([1, 3]), 0.5)
        h.index_copy_(1, torch.tensor([2]), y[:1, :1].expand(5, 1) * 2)
        h.masked_fill_(h > 1.0, -1.0)
        index = torch.tensor([[0, 1, 2], [2, 0, 1]])
        s = torch.zeros(3, 3).scatter_add(0, index, h[:2])
        m = torch.ones(2, 3).scatter_reduce(1, torch.tensor([[0, 0, 1], [2, 2, 2]]),
                                            h[2:4], reduce="prod")
        loss = loss + (h ** 2).sum() + (s * w).sum() + m.sum()
        with torch.no_grad():       # (scatter_'s reduce= has no derivative in PyTorch)
            s_add = torch.zeros(3, 3).scatter_(0, index, h[:2], reduce="add")
            s_mul = torch.full((3, 3), 2.0).scatter_(0, index, h[:2], reduce="multiply")
        loss.backward()
        return outs, h, s, m, s_add, s_mul, loss, a.grad, b.grad, x.grad, y.grad, w.grad
    side_by_side(script)


def test_multihead_attention_options_beside_grouped_query_sdpa():
    q_values = DATA.normal(size=(2, 4, 6))
    k_values = DATA.normal(size=(2, 5, 3))
    v_values = DATA.normal(size=(2, 5, 2))
    pad = np.array([[False, False, False, True, True], [False, False, False, False, True]])
    mask_values = DATA.uniform(-1, 0, size=(2 * 2, 4, 5))
    gq_values = DATA.normal(size=(2, 4, 3, 4))
    gk_values = DATA.normal(size=(2, 2, 5, 4))
    gv_values = DATA.normal(size=(2, 2, 5, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        attention = nn.MultiheadAttention(6, 2, kdim=3, vdim=2, batch_first=True)
        with_extras = nn.MultiheadAttention(6, 3, add_bias_kv=True, add_zero_attn=True,
                                            batch_first=True)
        copy_weights(attention, with_extras)
        q, k, v = (torch.from_numpy(t).requires_grad_() for t in (q_values, k_values,
                                                                  v_values))
        out, weights = attention(q, k, v, key_padding_mask=torch.from_numpy(pad),
                                 need_weights=True, average_attn_weights=False)
        masked, _ = attention(q, k, v, attn_mask=torch.from_numpy(mask_values),
                              need_weights=False)
        self_out, self_weights = with_extras(q, q, q)
        gq, gk, gv = (torch.from_numpy(t).requires_grad_() for t in (gq_values, gk_values,
                                                                     gv_values))
        grouped = F.scaled_dot_product_attention(gq, gk, gv, enable_gqa=True, scale=0.3)
        causal = F.scaled_dot_product_attention(gq[:, :2], gk, gv, is_causal=True)
        loss = (out.tanh().sum() + masked.pow(2).sum() + self_out.sin().sum()
                + grouped.pow(2).sum() + causal.sum())
        loss.backward()
        return (out, weights, masked, self_out, self_weights, grouped, causal, loss,
                q.grad, k.grad, v.grad, gq.grad, gk.grad, gv.grad, attention, with_extras)
    side_by_side(script)


def test_custom_function_non_differentiable_outputs_unmaterialized_grads_and_dirty():
    x_values = DATA.normal(size=(3, 4))

    def script(torch, copy_weights):
        class SortWithIndices(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                values, indices = torch.sort(x, dim=1)
                ctx.mark_non_differentiable(indices)
                ctx.save_for_backward(indices)
                ctx.set_materialize_grads(False)
                return values, indices

            @staticmethod
            def backward(ctx, grad_values, grad_indices):
                indices, = ctx.saved_tensors
                if grad_values is None:
                    return None
                return torch.zeros_like(grad_values).scatter(1, indices, grad_values)

        # (out of place: ctx.mark_dirty is refused here, naming this form)
        class Scale(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 3.0

            @staticmethod
            def backward(ctx, grad):
                return grad * 3.0

        x = torch.from_numpy(x_values).requires_grad_()
        values, indices = SortWithIndices.apply(x)
        (values * torch.arange(4.0)).sum().backward()
        sort_grad = x.grad.clone() if hasattr(x.grad, "clone") else x.grad.copy()
        x.grad = None
        y = x * 1.0
        z = Scale.apply(y)
        (z ** 2).sum().backward()
        return values, indices, indices.requires_grad, sort_grad, z, x.grad
    side_by_side(script)


def test_backward_restricted_to_inputs_and_autograd_backward_with_grad_tensors():
    x_values = DATA.normal(size=(4, 3))

    def script(torch, copy_weights):
        nn = torch.nn
        encoder, head = nn.Linear(3, 3), nn.Linear(3, 2)
        copy_weights(encoder, head)
        x = torch.from_numpy(x_values)
        out = head(encoder(x).tanh())
        out.pow(2).sum().backward(inputs=list(head.parameters()))
        encoder_untouched = encoder.bias.grad is None
        head_grad = head.bias.grad.copy() if hasattr(head.bias.grad, "copy") \
            else head.bias.grad.clone()
        first, second = encoder(x).sum(1), head(encoder(x)).sum(1)
        torch.autograd.backward([first, second], grad_tensors=[torch.ones(4),
                                                               torch.full((4,), 0.5)],
                                retain_graph=True)
        grads = torch.autograd.grad([first.sum() * 2, second.mean()],
                                    [encoder.bias], grad_outputs=[torch.tensor(1.0),
                                                                  torch.tensor(3.0)],
                                    allow_unused=True)
        return encoder_untouched, head_grad, encoder.bias.grad, head.bias.grad, grads
    side_by_side(script)


def test_least_squares_and_whitening_layer_by_torch_linalg():
    x_values = DATA.normal(size=(12, 3)) @ DATA.normal(size=(3, 3))
    y_values = DATA.normal(size=(12, 2))

    def script(torch, copy_weights):
        nn, LA = torch.nn, torch.linalg
        proj = nn.Linear(3, 3)
        copy_weights(proj)
        optimizer = torch.optim.Adam(proj.parameters(), lr=0.02)
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        losses = []
        for _ in range(4):
            optimizer.zero_grad()
            features = proj(x).tanh()
            design = torch.cat([features, torch.ones(12, 1)], dim=1)
            coef = LA.lstsq(design, y).solution
            residual = y - design @ coef
            gram = design.T @ design + 0.1 * torch.eye(4)
            ridge = LA.solve(gram, design.T @ y)
            sign, logdet = LA.slogdet(gram)
            centred = features - features.mean(0)
            cov = centred.T @ centred / 11 + 1e-3 * torch.eye(3)
            evals, evecs = LA.eigh(cov)
            whitened = centred @ evecs / evals.sqrt()
            singular = LA.svd(features, full_matrices=False).S
            q, r = LA.qr(features)
            pinv = LA.pinv(features)
            loss = (LA.vector_norm(residual, ord=2) + 0.1 * LA.matrix_norm(ridge)
                    + 0.01 * logdet * sign + (whitened.T @ whitened / 11 - torch.eye(3))
                    .pow(2).sum() + 0.01 * singular.sum()
                    + 0.01 * LA.matrix_norm(pinv, ord="nuc")
                    + 0.01 * r.diagonal().abs().sum() + 0.01 * LA.vector_norm(
                        q, ord=float("inf")))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, proj
    side_by_side(script)


def test_pretrained_embedding_with_padding_and_max_norm_under_adadelta_and_adagrad():
    vectors = DATA.normal(size=(8, 4)) * 2
    token_values = np.array([[1, 2, 0, 0], [3, 4, 5, 0], [6, 7, 2, 1]])
    label_values = DATA.normal(size=3)

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        embed = nn.Embedding.from_pretrained(torch.from_numpy(vectors.copy()), freeze=False,
                                             padding_idx=0, max_norm=2.5)
        head = nn.Linear(4, 1)
        copy_weights(head)
        optimizer = torch.optim.Adadelta(embed.parameters(), lr=1.0, rho=0.8)
        head_optimizer = torch.optim.Adagrad(head.parameters(), lr=0.1, lr_decay=0.05,
                                             initial_accumulator_value=0.1)
        tokens, labels = torch.from_numpy(token_values), torch.from_numpy(label_values)
        losses = []
        for _ in range(3):
            optimizer.zero_grad()
            head_optimizer.zero_grad()
            vectors_in = embed(tokens)
            mask = (tokens != 0).unsqueeze(-1)
            pooled = (vectors_in * mask).sum(1) / mask.sum(1)
            loss = F.mse_loss(head(pooled).squeeze(1), labels)
            loss.backward()
            optimizer.step()
            head_optimizer.step()
            losses.append(loss.item())
        w = nn.Parameter(torch.tensor([0.5, -0.5]))
        ascent = torch.optim.SGD([w], lr=0.1, momentum=0.5, maximize=True)
        for _ in range(3):
            ascent.zero_grad()
            (-(w - 1.0) ** 2).sum().backward()
            ascent.step()
        frozen = nn.Embedding.from_pretrained(torch.from_numpy(vectors.copy()))
        return (losses, embed.weight, head, w, frozen.weight.requires_grad,
                embed.weight.norm(dim=1))
    side_by_side(script)


def test_orthogonal_parametrization_in_its_three_maps():
    x_values = DATA.normal(size=(5, 4))
    y_values = DATA.normal(size=(5, 4))

    def script(torch, copy_weights):
        nn, F = torch.nn, torch.nn.functional
        orthogonal = nn.utils.parametrizations.orthogonal
        results = {}
        x, y = torch.from_numpy(x_values), torch.from_numpy(y_values)
        for kind in ("matrix_exp", "cayley", "householder"):
            layer = nn.Linear(4, 4, bias=False)
            copy_weights(layer)
            orthogonal(layer, orthogonal_map=kind)
            optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
            losses = []
            for _ in range(3):
                optimizer.zero_grad()
                loss = F.mse_loss(layer(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            W = layer.weight
            results[kind] = (losses, W @ W.T, layer(x))
        return results
    side_by_side(script)
