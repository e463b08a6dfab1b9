"""The JVP rules of the built-in ops, installed on the registry when imported.

``jvp_rule(op)`` is what forward mode (``autodiff.forward``) asks of each recorded op:
the op's own rule, or one derived for an elementwise op.  The linear ops
(reshape, sum, getitem, ...) apply themselves to the tangent, the multilinear ones
(``matmul``, ``einsum``, ``vecdot``, ``matvec``, ``vecmat``) sum themselves over each
input's tangent, and ``inv`` has ``-A⁻¹ dA A⁻¹``.  Other ops get ``J t`` from their VJP
rules (see ``autodiff.forward``).
"""

from __future__ import annotations

from .ops.namespace import tensor_xp
from .ops.registry import REGISTRY


def jvp_rule(op):
    """The op's forward-mode rule: its own, else one derived once for an elementwise or
    a later-registered multilinear op (kept on the op), else None (``J t`` from the
    VJP rules, see the module)."""
    if op.jvp is None and op.elementwise:
        op.jvp = elementwise_jvp(op)
    elif op.jvp is None and op.name in _MULTILINEAR_LATER:
        op.jvp = multilinear_jvp(op)
    return op.jvp


def elementwise_jvp(op):
    """An elementwise op's Jacobian is diagonal: its VJP rule applied to the tangent
    (broadcast to the output) is the JVP."""
    rules = op.rules

    def rule(xp, tangents, ans, *args, **kwargs):
        total = None
        for i, t in enumerate(tangents):
            if t is None or rules[i] is None:       # an index or condition input
                continue
            if t.shape != ans.shape:
                t = xp.broadcast_to(t, ans.shape)
            part = rules[i](xp, t, ans, *args, **kwargs)
            total = part if total is None else total + part
        return total
    return rule


def _apply(op, xp, args, kwargs):
    if xp is tensor_xp:
        return op(*args, **kwargs)
    return op.kernel(*args, **kwargs)


def linear_jvp(op):
    """A linear op applied to the tangents (zeros where an input has none)."""
    def rule(xp, tangents, ans, *args, **kwargs):
        replaced = [a if t is None and not _differentiable(op, i) else
                    (xp.zeros_like(a) if t is None else t)
                    for i, (a, t) in enumerate(zip(args, tangents))]
        return _apply(op, xp, replaced, kwargs)
    return rule


def multilinear_jvp(op):
    """An op linear in each input separately: the sum over inputs of the op with that
    input replaced by its tangent."""
    def rule(xp, tangents, ans, *args, **kwargs):
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            replaced = list(args)
            replaced[i] = t
            part = _apply(op, xp, replaced, kwargs)
            total = part if total is None else total + part
        return total
    return rule


def _differentiable(op, i):
    return op.rules is None or op.rules[i] is not None


def _inv_jvp(xp, tangents, ans, a):
    return -xp.matmul(xp.matmul(ans, tangents[0]), ans)


_LINEAR = ("reshape transpose swapaxes expand_dims squeeze flatten broadcast_to sum_to sum "
           "mean getitem take index_add concatenate stack").split()
_MULTILINEAR = ("matmul einsum").split()
#: Multilinear too, registered after this module runs: their rule is made at first use.
#: (vecdot, matvec and vecmat of a tangent of another dtype than the primal compute in
#: the wider one, as PyTorch's vecdot; J t from their VJP rules would round to the primal's.)
_MULTILINEAR_LATER = frozenset({"vecdot", "matvec", "vecmat"})


def _install_builtin_rules():
    for name in _LINEAR:
        REGISTRY[name].jvp = linear_jvp(REGISTRY[name])
    for name in _MULTILINEAR:
        REGISTRY[name].jvp = multilinear_jvp(REGISTRY[name])
    REGISTRY["inv"].jvp = _inv_jvp


_install_builtin_rules()
