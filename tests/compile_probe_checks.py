"""The NumPy probe programs (``test_numpy_programs*.py``: ``program(xp, p)``, a scalar
function of a parameter vector) run as compiled SGD steps (``test_compile_probe_programs*``).

Each program becomes a training step on a leaf ``w``: its loss at ``w + x`` for new
data ``x`` of the same shape at each call, backward, and an SGD update.  A compiled
step either replays as eager execution does (bitwise, or within a few ulp where a
fused loop computes exp, tanh and the like) or is refused with a ``TraceError``
naming a line of the program (or of a helper of its module it calls): never silently
wrong.  A test file's ``EXPECTED`` table records how each program fares, so that a
regression fails and a program that starts to replay asks for the table to be updated.
"""

import inspect
import re
import types
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.compile.refusals import TraceError
from ulp_compare import assert_few_ulp

BITWISE, ULP, REFUSED = "bitwise", "within a few ulp", "refused"


def programs_of(*modules):
    """``(program, p)`` for each entry of the modules' ``PROGRAMS`` lists."""
    return [(program, p) for module in modules for program, p, *_ in module.PROGRAMS]


def program_ids(programs, key=None):
    """The programs' names, or ``key(program)`` for each."""
    return [(key or _name)(program) for program, _ in programs]


def _name(program):
    return program.__name__


def round_and_name(program):
    """``"ninth.spring_chain_energy"``: a program's round and name (two rounds may
    both have a program of a name)."""
    return f"{program.__module__.removeprefix('test_numpy_programs_')}.{program.__name__}"


def sgd_step(program, w):
    """One training step: the program's loss at ``w + x`` for data ``x``, backward,
    and an SGD update of the leaf ``w``."""
    opt = ad.optim.SGD([w], lr=1e-3)

    def step(x):
        opt.zero_grad()
        loss = program(np, w + x)
        loss.backward()
        opt.step()
        return loss
    return step


def twins(program, p, fuse):
    """The eager and the compiled training step of ``program``, each with its own copy
    of the weights ``p``: ``(eager, w_eager, compiled, w_compiled)``."""
    w_eager = ad.tensor(p.copy(), requires_grad=True)
    w_compiled = ad.tensor(p.copy(), requires_grad=True)
    return (sgd_step(program, w_eager), w_eager,
            ad.compile(sgd_step(program, w_compiled), fuse=fuse), w_compiled)


def batches(p):
    """The three batches each twin is called on."""
    rng = np.random.default_rng(11)
    return [rng.normal(size=p.shape) * 1e-2 for _ in range(3)]


def replayed_and_eager(program, p, fuse):
    """``(what, compiled value, eager value)`` for the loss, the gradient and the weights
    after each call of the twins on ``batches(p)``."""
    eager, w_eager, compiled, w_compiled = twins(program, p, fuse)
    for x in batches(p):
        expected = eager(ad.tensor(x))
        got = compiled(x)
        yield from (("loss", got.data, expected.data),
                    ("grad", w_compiled.grad, w_eager.grad),
                    ("weights", w_compiled.data, w_eager.data))


def program_lines(program):
    """``(file name, lines)``: the lines of ``program``'s source and of the functions
    of its module it calls by name (helpers such as ``_blur``)."""
    module = inspect.getmodule(program)
    functions = [program] + [value for name in program.__code__.co_names
                             if isinstance(value := getattr(module, name, None),
                                           types.FunctionType)
                             and inspect.getmodule(value) is module]
    lines = set()
    for function in functions:
        source, first_line = inspect.getsourcelines(function)
        lines.update(range(first_line, first_line + len(source)))
    return inspect.getsourcefile(program).rsplit("/", 1)[-1], lines


def check_program(program, p, outcome, cause, source=None):
    """Run ``program`` compiled and eagerly and check ``outcome``: bitwise (replayed
    without fusion, each op NumPy's own), within a few ulp (fused: a fused loop
    computes powers and transcendentals with other functions than NumPy's SIMD loops,
    a few ulp apart on some CPUs) or refused at the trace naming a line of ``source``
    (the program by default) in the first line of its message."""
    fuse = outcome != BITWISE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # (NumPy's warnings at kinks, eager and compiled)
        if outcome == REFUSED:
            _, _, compiled, _ = twins(program, p, fuse)
            with pytest.raises(TraceError) as refusal:
                compiled(batches(p)[0])
            first_line = str(refusal.value).splitlines()[0]
            name, lines = program_lines(source or program)
            named = re.findall(r"(\w+\.py):(\d+)", first_line)
            assert any(file == name and int(line) in lines for file, line in named), (
                f"{program.__name__} ({cause}) refused without naming its line: {first_line}")
            return
        for what, a, b in replayed_and_eager(program, p, fuse):
            if outcome == BITWISE:
                np.testing.assert_array_equal(a, b, err_msg=f"{program.__name__} {what}")
            else:
                assert_few_ulp(a, b, what=f"{program.__name__} {what}")


def check_fused(program, p):
    """A program replayed bitwise unfused is within a few ulp of eager fused."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for what, a, b in replayed_and_eager(program, p, fuse=True):
            assert_few_ulp(a, b, what=f"{program.__name__} {what}")


def probe_tests(programs, expected, sources=None, slow_to_fuse=None, key=None) -> dict:
    """The tests of a file of compiled probe programs, by name: every program has an
    entry in ``expected`` (``key(program)``, its name by default: ``(outcome,
    cause)``), each fares as its entry says, and each replayed bitwise is within a few
    ulp fused too, but for those of ``slow_to_fuse`` (key: why).  ``sources``: program
    -> the function whose lines its refusal names.  A test module binds them with
    ``globals().update(probe_tests(PROGRAMS, EXPECTED))``."""
    sources, slow_to_fuse, key = sources or {}, slow_to_fuse or {}, key or _name
    bitwise = [(program, p) for program, p in programs
               if expected[key(program)][0] == BITWISE and key(program) not in slow_to_fuse]

    def test_every_program_has_an_expectation():
        assert sorted(expected) == sorted(program_ids(programs, key))
        assert set(slow_to_fuse) <= set(expected)

    @pytest.mark.parametrize("program, p", programs, ids=program_ids(programs, key))
    def test_a_compiled_program_replays_as_eager_or_is_refused_naming_its_line(program, p):
        outcome, cause = expected[key(program)]
        check_program(program, p, outcome, cause, source=sources.get(program))

    @pytest.mark.parametrize("program, p", bitwise, ids=program_ids(bitwise, key))
    def test_a_fused_replay_is_within_a_few_ulp_of_eager(program, p):
        check_fused(program, p)

    return {test.__name__: test for test in (
        test_every_program_has_an_expectation,
        test_a_compiled_program_replays_as_eager_or_is_refused_naming_its_line,
        test_a_fused_replay_is_within_a_few_ulp_of_eager)}
