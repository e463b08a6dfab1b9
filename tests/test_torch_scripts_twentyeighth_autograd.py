"""The twenty-eighth round of PyTorch scripts, autograd as scripts use it (see
test_torch_scripts_twentyeighth.py for the method): ``no_grad`` / ``enable_grad`` /
``inference_mode`` nested and as decorators with ``set_grad_enabled(False)``, tensor
hooks that rescale and clamp beside ``retain_grad`` on a non-leaf, ``backward(gradient=)``
of a non-scalar and ``autograd.backward(grad_tensors=)``, ``autograd.grad`` with
``allow_unused`` and ``materialize_grads``, WGAN-GP's gradient penalty by
``create_graph=True``, ``autograd.functional``'s ``jacobian`` / ``hessian`` / ``vjp`` /
``jvp`` / ``hvp``, ``torch.func.grad(has_aux=True)`` and ``grad_and_value``, parameter
hooks that zero and normalise gradients under ``zero_grad(set_to_none=False)`` with an
``add_param_group``, and ``index_put(accumulate=True)`` / ``index_add`` gradients.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch_side_by_side import side_by_side  # noqa: E402  (needs torch)

DATA = np.random.default_rng(2829)


def test_grad_mode_contexts_nested_and_as_decorators():
    def script(torch, cw):
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        res = []
        with torch.no_grad():
            a = x * 2
            with torch.enable_grad():
                b = x * 3
            res += [a.requires_grad, b.requires_grad]
        with torch.inference_mode():
            c = x * 2
            with torch.inference_mode(False):
                d = x * 2
            res += [c.requires_grad, d.requires_grad, torch.is_inference_mode_enabled()]

        @torch.set_grad_enabled(False)
        def f(t):
            return t * 2

        e = f(x)
        res += [e.requires_grad, torch.is_grad_enabled()]

        @torch.enable_grad()
        def g(t):
            return t * 2

        with torch.no_grad():
            h = g(x)
        res.append(h.requires_grad)
        return res, b

    side_by_side(script)


def test_tensor_hooks_and_retain_grad_on_a_non_leaf():
    x_in = DATA.normal(size=(3,))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        y = x.exp()
        y.retain_grad()
        z = y * 2
        z.register_hook(lambda g: g * 3)
        h = x.register_hook(lambda g: g.clamp(max=1.0))
        out = (z**2).sum()
        out.backward()
        r1 = (x.grad.clone(), y.grad)
        h.remove()
        x.grad = None
        w = (x * x).sum()
        w.backward()
        return r1, x.grad, y.is_leaf, z.grad_fn is not None

    side_by_side(script)


def test_backward_of_a_non_scalar_with_a_gradient():
    x_in = DATA.normal(size=(2, 3))
    v = DATA.normal(size=(2, 3))

    def script(torch, cw):
        x = torch.tensor(x_in, requires_grad=True)
        y = x.sin() * x
        y.backward(gradient=torch.tensor(v))
        g1 = x.grad.clone()
        y2 = x.cos()
        torch.autograd.backward([y2], grad_tensors=[torch.ones_like(y2)])
        return g1, x.grad

    side_by_side(script)


def test_autograd_grad_allow_unused_and_materialize_grads():
    def script(torch, cw):
        a = torch.tensor([1.0, 2.0], requires_grad=True)
        b = torch.tensor([3.0], requires_grad=True)
        y = (a**2).sum()
        g = torch.autograd.grad(y, [a, b], allow_unused=True, retain_graph=True)
        g2 = torch.autograd.grad(y, [a, b], allow_unused=True, materialize_grads=True)
        return g[0], g[1], g2[0], g2[1]

    side_by_side(script)


def test_wgan_gp_gradient_penalty_trains_a_critic():
    real = DATA.normal(size=(4, 3))
    fake = DATA.normal(size=(4, 3))
    eps = DATA.random((4, 1))

    def script(torch, cw):
        nn = torch.nn
        critic = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
        cw(critic)
        opt = torch.optim.Adam(critic.parameters(), lr=1e-2, betas=(0.5, 0.9))
        losses = []
        for _ in range(3):
            opt.zero_grad()
            r, f = torch.tensor(real), torch.tensor(fake)
            interp = (torch.tensor(eps) * r + (1 - torch.tensor(eps)) * f).requires_grad_(True)
            out = critic(interp)
            grads = torch.autograd.grad(
                outputs=out,
                inputs=interp,
                grad_outputs=torch.ones_like(out),
                create_graph=True,
                retain_graph=True,
            )[0]
            gp = ((grads.view(grads.size(0), -1).norm(2, dim=1) - 1) ** 2).mean()
            loss = critic(f).mean() - critic(r).mean() + 10 * gp
            loss.backward()
            opt.step()
            losses.append(loss)
        return losses, critic

    side_by_side(script)


def test_autograd_functional_jacobian_hessian_vjp_jvp_hvp():
    x_in = DATA.normal(size=(3,))
    v_in = DATA.normal(size=(3,))

    def script(torch, cw):
        AF = torch.autograd.functional

        def f(x):
            return (x.sin() * x.sum()).exp()

        def s(x):
            return (x.tanh() ** 3).sum() + x.prod()

        x = torch.tensor(x_in)
        v = torch.tensor(v_in)
        J = AF.jacobian(f, x)
        H = AF.hessian(s, x)
        o1, vj = AF.vjp(f, x, v)
        o2, jv = AF.jvp(f, x, v)
        o3, hv = AF.hvp(s, x, v)
        J2 = AF.jacobian(lambda a, b: a * b.sum(), (x, v))
        return J, H, o1, vj, o2, jv, o3, hv, list(J2)

    side_by_side(script)


def test_func_grad_with_aux_grad_and_value_hessian_and_jacfwd():
    x_in = DATA.normal(size=(4,))

    def script(torch, cw):
        def f(x):
            y = x.sin()
            return (y**2).sum(), y.detach()

        g, aux = torch.func.grad(f, has_aux=True)(torch.tensor(x_in))
        g2, (v, aux2) = torch.func.grad_and_value(f, has_aux=True)(torch.tensor(x_in))
        h = torch.func.hessian(lambda x: (x.exp() * x).sum())(torch.tensor(x_in))
        jf = torch.func.jacfwd(torch.sin)(torch.tensor(x_in))
        return g, aux, h, jf, g2, v, aux2

    side_by_side(script)


def test_parameter_hooks_shape_gradients_in_training():
    x_in = DATA.normal(size=(6, 4))
    y_in = DATA.normal(size=(6, 1))

    def script(torch, cw):
        nn = torch.nn
        m = nn.Linear(4, 1)
        cw(m)
        m.bias.register_hook(lambda g: g * 0)
        m.weight.register_hook(lambda g: g / (g.norm() + 1e-12))
        opt = torch.optim.SGD(m.parameters(), lr=0.2)
        opt.add_param_group({"params": [nn.Parameter(torch.ones(1))], "lr": 0.0})
        ls = []
        for _ in range(3):
            opt.zero_grad(set_to_none=False)
            loss = ((m(torch.tensor(x_in)) - torch.tensor(y_in)) ** 2).mean()
            loss.backward()
            opt.step()
            ls.append(loss)
        return (
            ls,
            m,
            len(opt.param_groups),
            opt.param_groups[1]["lr"],
            opt.param_groups[1]["params"][0].grad,
        )

    side_by_side(script)


def test_index_put_accumulate_and_index_add_gradients():
    def script(torch, cw):
        x = torch.zeros(5, dtype=torch.float64)
        v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x.index_put((torch.tensor([0, 2, 0]),), v, accumulate=True)
        z = torch.zeros(5).index_add(0, torch.tensor([1, 1, 4]), v * 2)
        (y * torch.arange(5.0)).sum().backward(retain_graph=True)
        g = v.grad.clone()
        z.pow(2).sum().backward()
        w = torch.where(y > 1, y, 0.0)
        return y, z, g, v.grad, w

    side_by_side(script)
