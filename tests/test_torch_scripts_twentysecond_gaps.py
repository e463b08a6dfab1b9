"""What the twenty-second round of PyTorch scripts found missing or different, checked
by hand and against PyTorch where it is installed:

- a repetition penalty (``score = torch.gather(logits, 1, input_ids)``, penalised,
  then ``logits.scatter_(1, input_ids, score)``) met "writes some position ... more
  than once ... refused" whenever a token had been seen twice, and so did a multi-hot
  ``zeros.scatter_(1, labels, 1.0)`` with a repeated label.  PyTorch's result is
  defined there (the same value lands whichever write wins): ``scatter`` and
  ``scatter_`` now take repeats that write equal values, and still refuse repeats with
  different values, and any repeat when a gradient flows to ``src`` (PyTorch gives
  each repeated entry the whole gradient of its position), naming ``no_grad``;
- a learning-rate range test restored ``optimizer.load_state_dict(saved)`` from before
  the first step, and ``len(optimizer.state)`` said 4 where PyTorch's says 0 (and
  ``bool(optimizer.state)`` was True): the state is a list of one dict per parameter
  here.  ``len`` and ``bool`` now count the parameters that have state, as PyTorch's
  dict does;
- ``_, R = torch.linalg.qr(A, mode='r')`` (PyTorch's ``(Q, R)`` with Q empty) unpacked
  NumPy's R alone here: the rows of R, silently for a matrix of two rows.  Unpacked
  into two names it now raises, naming ``R = qr(a, mode='r')`` and ``Q, R = qr(a)``;
- ``torch.logspace(2, 4, steps=3, base=2)`` met Python's bare "unexpected keyword
  argument 'steps'", and ``torch.logspace(0, 2, 3, 2)`` (PyTorch's base, given
  fourth) silently took 2 as NumPy's ``endpoint`` and gave powers of ten.
  ``ad.logspace`` now takes ``steps=`` and ``requires_grad=``, and refuses a fourth
  argument that is not a bool, naming ``base=``;
- ``batch = torch.repeat_interleave(num_nodes)`` (a graph batch vector from sizes, the
  one-argument form) met Python's bare "missing 1 required positional argument", and
  ``torch.linalg.solve(S, P @ H.T, left=False)`` (a Kalman gain, ``K S = P H^T``) met
  "unexpected keyword argument 'left'".  Both are now PyTorch's;
- ``torch.sort(x, 0, True)`` (PyTorch's descending given third) met NumPy's bare "sort
  kind must be str, not bool": it now raises naming ``ad.sort(t, dim=0,
  descending=True)``, as ``t.sort(1, True)`` already did;
- ``torch.quantize_per_tensor``, ``torch.fake_quantize_per_tensor_affine``,
  ``torch.quint8``, ``torch.ao`` (the quantization tutorials) met the bare "module has
  no attribute": the error now says quantized tensors do not exist here and spells the
  fake quantization with PyTorch's straight-through gradient (checked against
  ``torch.fake_quantize_per_tensor_affine`` below).

Found and left: ``torch.linalg.eigvals`` of a real matrix whose eigenvalues are real
gives a real tensor here (NumPy's), where PyTorch's is always complex:
``torch.view_as_real`` of it raises, saying a real tensor is its own real part.

Found and left as earlier rounds decided them: a Linear's weight is ``(in, out)`` here,
so gradient centralisation over its dim 1 centres other entries than PyTorch's (the
script uses convolutions only); ``torch.from_numpy`` shares the array with PyTorch, so
a script whose optimizer updates it in place must copy it (``torch.tensor``) to give
both runs the same start.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

R = np.random.default_rng(2223)


def test_scatter_takes_repeated_positions_that_write_equal_values():
    logits = R.normal(size=(2, 6))
    input_ids = np.array([[1, 4, 4], [0, 2, 2]])
    scores = ad.tensor(logits)
    with ad.no_grad():
        gathered = scores.gather(1, input_ids)
        penalised = scores.clone().scatter_(1, input_ids, gathered / 1.3)
    expected = logits.copy()
    for row, ids in enumerate(input_ids):
        expected[row, ids] = logits[row, ids] / 1.3
    np.testing.assert_array_equal(penalised.data, expected)


def test_scatter_of_a_number_takes_repeated_labels_as_a_multi_hot():
    labels = np.array([[0, 3, 3], [1, 1, 2]])
    multi_hot = ad.zeros((2, 4)).scatter_(1, labels, 1.0)
    np.testing.assert_array_equal(multi_hot.data, [[1, 0, 0, 1], [0, 1, 1, 0]])
    np.testing.assert_array_equal(ad.zeros((2, 4)).scatter(1, labels, 1.0).data,
                                  multi_hot.data)


def test_scatter_still_refuses_repeats_with_different_values_or_a_gradient():
    x = ad.zeros((2, 3))
    with pytest.raises(ValueError, match="more than once along dim 1, with different values"):
        x.scatter(1, np.array([[0, 0]]), ad.tensor([[1.0, 2.0]]))
    src = ad.tensor([[1.0, 1.0]], requires_grad=True)
    with pytest.raises(ValueError, match="src requires grad.*whole gradient.*no_grad"):
        x.scatter(1, np.array([[0, 0]]), src)
    with ad.no_grad():
        np.testing.assert_array_equal(x.scatter(1, np.array([[0, 0]]), src).data,
                                      [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_scatter_of_repeated_equal_values_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = R.normal(size=(3, 5))
    index = np.array([[0, 0, 2], [4, 1, 4], [3, 3, 3]])
    src = np.take_along_axis(values, index, axis=1) * 2
    theirs = torch.from_numpy(values).scatter(1, torch.from_numpy(index), torch.from_numpy(src))
    ours = ad.tensor(values).scatter(1, index, ad.tensor(src))
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_optimizer_state_length_counts_parameters_with_state():
    model = ad.nn.Sequential(ad.nn.Linear(3, 4), ad.nn.Linear(4, 1))
    optimizer = ad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = optimizer.state_dict()
    assert len(optimizer.state) == 0 and not optimizer.state
    model(ad.ones((2, 3))).sum().backward()
    optimizer.step()
    assert len(optimizer.state) == 4 and optimizer.state
    optimizer.load_state_dict(before)
    assert len(optimizer.state) == 0 and not optimizer.state
    # the positions still read each parameter's (empty) dict, and new groups go after
    assert optimizer.state[3] == {}
    optimizer.add_param_group({"params": [ad.nn.Parameter(np.ones(2))]})
    assert optimizer.state[4] == {} and len(optimizer.state) == 0


def test_optimizer_state_length_matches_pytorch_before_and_after_a_restore():
    torch = pytest.importorskip("torch")
    lengths = []
    for lib in (torch, ad):
        model = lib.nn.Linear(2, 1)
        optimizer = lib.optim.Adam(model.parameters(), lr=0.1)
        saved = optimizer.state_dict()
        model(lib.ones(3, 2)).sum().backward()
        optimizer.step()
        after_step = len(optimizer.state)
        optimizer.load_state_dict(saved)
        lengths.append((after_step, len(optimizer.state), bool(optimizer.state)))
    assert lengths[0] == lengths[1] == (2, 0, False)


def test_qr_r_mode_unpacked_into_two_names_is_refused():
    a = ad.tensor([[2.0, 1.0], [1.0, 3.0]])
    with pytest.raises(TypeError, match=r"R alone here.*R = ad.linalg.qr\(a, mode='r'\)"):
        _, r = ad.linalg.qr(a, mode="r")
    r = ad.linalg.qr(a, mode="r")
    np.testing.assert_allclose(r.data, np.linalg.qr(a.data, mode="r"), atol=1e-15)
    q, r = ad.linalg.qr(a)                                       # the pair is unchanged
    np.testing.assert_allclose((q @ r).data, a.data, atol=1e-14)


def test_logspace_takes_steps_and_refuses_the_base_given_fourth():
    np.testing.assert_allclose(ad.logspace(2, 4, steps=3, base=2).data, [4.0, 8.0, 16.0])
    with pytest.raises(TypeError, match="fourth argument is NumPy's endpoint.*base=2"):
        ad.logspace(0, 2, 3, 2)
    with pytest.raises(TypeError, match="got num=4 and steps=3"):
        ad.logspace(0, 2, 4, steps=3)
    leaf = ad.logspace(0.0, 1.0, steps=3, requires_grad=True)
    assert leaf.requires_grad and leaf.is_leaf
    np.testing.assert_allclose(ad.logspace(0, 2, 3, False, 2.0).data,
                               np.logspace(0, 2, 3, False, 2.0))
    start = ad.tensor(0.0, requires_grad=True)
    samples = ad.logspace(start, 2.0, steps=3)
    samples.sum().backward()
    np.testing.assert_allclose(start.grad, np.log(10) * (1 + 10 * 0.5))


def test_logspace_matches_pytorch():
    torch = pytest.importorskip("torch")
    theirs = torch.logspace(-1, 3, steps=5, base=3.0, dtype=torch.float64)
    np.testing.assert_allclose(ad.logspace(-1, 3, steps=5, base=3.0).data, theirs.numpy(),
                               rtol=1e-15)


def test_repeat_interleave_of_counts_alone_gives_the_positions_repeated():
    np.testing.assert_array_equal(ad.repeat_interleave(ad.tensor([2, 0, 3])).data,
                                  [0, 0, 2, 2, 2])
    with pytest.raises(TypeError, match="one-argument form takes a 1-D integer tensor"):
        ad.repeat_interleave(ad.tensor([1.0, 2.0]))
    torch = pytest.importorskip("torch")
    counts = np.array([1, 4, 0, 2])
    np.testing.assert_array_equal(ad.repeat_interleave(ad.tensor(counts)).data,
                                  torch.repeat_interleave(torch.from_numpy(counts)).numpy())


def test_solve_left_false_solves_from_the_right_with_gradients():
    a_values = R.normal(size=(2, 4, 4)) + 4 * np.eye(4)
    b_values = R.normal(size=(2, 3, 4))
    a = ad.tensor(a_values, requires_grad=True)
    b = ad.tensor(b_values, requires_grad=True)
    x = ad.linalg.solve(a, b, left=False)
    np.testing.assert_allclose((x @ a).data, b_values, atol=1e-12)
    assert ad.gradcheck(lambda a, b: ad.linalg.solve(a, b, left=False),
                        [a_values[0], b_values[0]])
    with pytest.raises(ValueError, match=r"left=False.*must be a matrix.*solve\(a.mT, b\)"):
        ad.linalg.solve(a[0], b[0, 0], left=False)
    torch = pytest.importorskip("torch")
    theirs = torch.linalg.solve(torch.tensor(a_values), torch.tensor(b_values), left=False)
    # (LAPACK's solve of the transposed system: both are getrf/getrs on the same numbers)
    np.testing.assert_allclose(x.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_sort_with_pytorch_descending_given_third_names_the_keywords():
    x = ad.tensor([[3.0, 1.0, 2.0]])
    with pytest.raises(TypeError, match=r"bool there is PyTorch's descending.*"
                                        r"ad.sort\(t, dim=1, descending=True\)"):
        ad.sort(x, 1, True)
    values, indices = ad.sort(x, dim=1, descending=True)
    np.testing.assert_array_equal(values.data, [[3.0, 2.0, 1.0]])
    np.testing.assert_array_equal(indices.data, [[0, 2, 1]])


@pytest.mark.parametrize("name", ["quantize_per_tensor", "dequantize", "quint8", "ao",
                                  "fake_quantize_per_tensor_affine"])
def test_quantization_names_say_to_write_the_fake_quantization(name):
    assert not hasattr(ad, name)
    with pytest.raises(AttributeError, match=r"quantized tensors do not exist here.*"
                                             r"\(ad.round\(s\) - s\).detach\(\)"):
        getattr(ad, name)


def test_the_named_fake_quantization_matches_pytorchs_with_its_gradient():
    torch = pytest.importorskip("torch")
    values = np.array([0.31, -1.24, 2.52, 30.0, -40.0])       # (no ties: x / scale ends .5)
    scale, zero_point, qmin, qmax = 0.1, 3, -128, 127
    x = ad.tensor(values, requires_grad=True)
    s = x / scale
    q = ad.clamp(s + (ad.round(s) - s).detach() + zero_point, qmin, qmax)
    x_q = (q - zero_point) * scale
    x_q.sum().backward()
    reference = torch.tensor(values, requires_grad=True)
    theirs = torch.fake_quantize_per_tensor_affine(reference, scale, zero_point, qmin, qmax)
    theirs.sum().backward()
    # (PyTorch keeps the scale in float32: its values differ from float64's in the 8th digit)
    np.testing.assert_allclose(x_q.data, theirs.detach().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(x.grad, reference.grad.numpy())      # 1, 1, 1, 0, 0
    np.testing.assert_array_equal(x.grad, [1, 1, 1, 0, 0])


def test_compiled_scatter_checks_the_repeated_values_at_each_replay():
    index = np.array([[1, 4, 4], [0, 2, 2]])

    def write(scores, values):
        with ad.no_grad():
            return scores.clone().scatter_(1, index, values)

    compiled = ad.compile(write)
    base = ad.tensor(np.zeros((2, 6)))
    for _ in range(2):                                           # a trace, then a replay
        np.testing.assert_array_equal(compiled(base, ad.tensor(np.ones((2, 3)))).data,
                                      write(base, ad.tensor(np.ones((2, 3)))).data)
    with pytest.raises(ValueError, match="more than once along dim 1, with different values"):
        compiled(base, ad.tensor(np.arange(6.0).reshape(2, 3)))
