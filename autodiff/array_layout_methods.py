"""The rest of NumPy's ndarray attributes and methods on ``Tensor``: in-place
``partition``, ``put`` and ``resize``, ``choose``, the ``flat`` indexer, ``value in
t``, memory (``strides``, ``base``), the array API's namespace, device, DLPack export
and complex conversion (``__array_namespace__``, ``device``, ``to_device``,
``__dlpack__``, ``complex(t)``), and the data's bytes (``tobytes``, ``tofile``,
``dump``, ``dumps``, ``byteswap``, ``bytes(t)``).

The writers follow the rules of every in-place update (``autodiff/inplace.py``):
recorded in grad mode, a write into ``t.data`` otherwise, refused on a leaf that
requires grad.  Saving and serializing write the values alone, as ``t.data``'s would
(like ``t.numpy()``, an explicit exit from the tape: no gradient, no history), and
are refused inside ``ad.compile``, whose replays would not write again.
``ctypes``, ``getfield``, ``setfield`` and ``setflags`` reach into the raw memory,
which the library replaces on recorded updates and protects when a graph saved it:
they raise ``AttributeError`` naming ``t.data``'s.
"""

from __future__ import annotations

import sys

import numpy as np


def _refuse_bytes_of_grad(t, where: str) -> None:
    from .graph import _grad_mode
    if t.requires_grad and _grad_mode.enabled:
        raise TypeError(
            f"{where}: it reinterprets the bytes of a tensor that requires grad (shape "
            f"{t.shape}, dtype {t.dtype}), which has no gradient. Call it on t.detach() "
            "(or in ad.no_grad()) when no gradient is needed.")


def _refuse_while_tracing(name: str) -> None:
    from .ops.inspection import refuse_saving_while_tracing
    refuse_saving_while_tracing(name)


def dlpack_exportable(array: np.ndarray, copy=None) -> np.ndarray:
    """``array``, or a copy when it has negative strides (on an axis longer than one):
    NumPy exports those, but PyTorch's ``from_dlpack`` aborts the whole process on
    them ("Storage size calculation overflowed"), so they are not handed on."""
    if not any(stride < 0 and size > 1 for stride, size in zip(array.strides, array.shape)):
        return array
    if copy is False:
        raise BufferError(
            f"__dlpack__: the data (shape {array.shape}) is read backwards (strides "
            f"{array.strides}), which DLPack consumers such as PyTorch cannot take; export "
            "a copy (copy=None or copy=True), or give t.contiguous()")
    return array.copy(order="K")


class FlatIndexer:
    """``t.flat``: the tensor read and written as if it were 1-D (C order), as
    ``ndarray.flat``.  Reading is a recorded gather (``t.reshape(-1)[key]``), writing an
    in-place update of ``t`` at those positions (as ``np.put``).

    >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> t.flat[[0, 3]]
    tensor([1., 4.])
    >>> t.flat[1:3] = 0.0; t
    tensor([[1., 0.],
            [0., 4.]])
    """

    __slots__ = ("_tensor",)

    def __init__(self, tensor):
        self._tensor = tensor

    def _key(self, key):
        from .ops.operands import array_of
        return array_of(key) if hasattr(key, "data") else key

    def __getitem__(self, key):
        return self._tensor.reshape(-1)[self._key(key)]

    def __setitem__(self, key, value):
        from .ops.writes import write_flat
        write_flat(self._tensor, key, value)

    def __len__(self) -> int:
        return self._tensor.size

    def __iter__(self):
        flat = self._tensor.reshape(-1)
        return (flat[i] for i in range(flat.shape[0]))

    def copy(self):
        """The entries as a new 1-D tensor (``ndarray.flat.copy``), recorded."""
        return self._tensor.reshape(-1).copy()

    @property
    def base(self):
        """The tensor this iterates over (``ndarray.flat.base``)."""
        return self._tensor

    def __repr__(self):
        return f"<flat indexer of a tensor of shape {self._tensor.shape}>"


class ArrayLayoutMethods:
    """Methods ``Tensor`` inherits (see the module docstring)."""

    __slots__ = ()

    # ----- in-place writers ----------------------------------------------------------
    def partition(self, kth, axis=-1, kind="introselect", order=None) -> None:
        """Partition in place along ``axis`` around the ``kth`` entries, as
        ``ndarray.partition`` (returns None); ``np.partition(t, kth)`` is the copy.

        >>> t = ad.tensor([3.0, 1.0, 2.0]); t.partition(0); t[0]
        tensor(1.)
        """
        from .inplace import fill
        from .ops.ordering import partition
        fill(self, partition(self, kth, axis=axis, kind=kind, order=order), "partition")

    def put(self, indices, values, mode="raise", *, accumulate=None):
        """Write ``values`` at the flat positions ``indices``, in place, as
        ``ndarray.put`` / ``np.put`` (PyTorch: ``put_``).  With PyTorch's
        ``accumulate=`` (by name, or a bool in ``mode``'s place), PyTorch's ``put``: a
        new tensor, this one unchanged.

        >>> t = ad.zeros((2, 2)); t.put([1, 2], [5.0, 6.0]); t
        tensor([[0., 5.],
                [6., 0.]])
        >>> t.put(ad.tensor([1, 1]), ad.tensor([1.0, 2.0]), accumulate=True)
        tensor([[0., 8.],
                [6., 0.]])

        Given Tensors for both (PyTorch's ``t.put(index, source)``, which returns a new
        tensor) without ``accumulate=``, it is still NumPy's, with a
        ``ConventionWarning`` at the user's line.
        """
        if isinstance(mode, (bool, np.bool_)):
            mode, accumulate = "raise", mode
        if accumulate is not None:
            if mode != "raise":
                raise TypeError(f"put: got NumPy's mode={mode!r} with PyTorch's accumulate="
                                f"{accumulate!r}; pass one")
            return self.clone().put_(indices, values, accumulate=bool(accumulate))
        if mode == "raise" and _is_tensor(indices) and _is_tensor(values):
            from .conventions import warn_of_numpy_put
            warn_of_numpy_put()
        np.put(self, indices, values, mode=mode)

    def resize(self, *new_shape, refcheck=True) -> None:
        """Change the shape and size in place, as ``ndarray.resize``: the entries are
        kept in C order, cut or followed by zeros.  A leaf that requires grad is
        refused (its gradient would no longer fit it), and so is a tensor with views
        made by indexing; ``np.resize(t, shape)`` (repeating the values) and
        ``ad.concatenate`` build a new tensor instead.

        >>> t = ad.tensor([1.0, 2.0, 3.0]); t.resize(2, 2); t
        tensor([[1., 2.],
                [3., 0.]])
        """
        from . import inplace
        from .compile.hooks import made
        from .ops.elementwise import copy
        from .ops.shape import concatenate, reshape
        from .view_table import in_an_indexing_view
        if len(new_shape) == 1 and not isinstance(new_shape[0], (int, np.integer)):
            new_shape = tuple(new_shape[0])
        shape = tuple(int(n) for n in new_shape)
        if any(n < 0 for n in shape):
            raise ValueError(f"resize: negative dimensions are not allowed, got {shape}")
        if self.requires_grad and self._node is None:
            raise RuntimeError(
                f"resize: tensor of shape {self.shape} is a leaf that requires grad; its "
                f"gradient would no longer fit a new shape {shape}. Build a new tensor: "
                "np.resize(t, shape) repeats the values, ad.concatenate([t.reshape(-1), "
                "ad.zeros(k)]).reshape(shape) pads with zeros.")
        if in_an_indexing_view(self):
            raise RuntimeError(f"resize: tensor of shape {self.shape} is a view of another, "
                               "or has views made by indexing, which would not follow the "
                               "new size; use np.resize(t, shape) for a new tensor")
        recording = inplace._recording(self, None)
        if self._node is not None and not recording:
            raise RuntimeError(
                f"resize: tensor of shape {self.shape} has recorded history, which a resize "
                "that records nothing (under ad.no_grad()) would leave at the old shape; "
                "resize t = t.detach() instead, or resize in grad mode")
        size = int(np.prod(shape))
        flat = self.reshape(-1)[:size]
        if size > self.size:
            zeros = made("resize zeros", np.zeros, ((size - self.size,), self.dtype))
            flat = concatenate([flat, zeros])
        resized = copy(reshape(flat, shape))        # an array of its own, as NumPy's
        if recording:
            inplace._take(self, resized)
        else:
            self.data = resized.data

    # ----- reading as a flat sequence, choosing --------------------------------------
    @property
    def flat(self) -> FlatIndexer:
        """The tensor indexed as if it were 1-D (C order), as ``ndarray.flat``: see
        ``FlatIndexer``.  ``t.flat = values`` writes ``values`` repeated over every entry
        (``t.flat[:] = values``), as NumPy's.

        >>> t = ad.zeros((2, 2)); t.flat = [1.0, 2.0]; t
        tensor([[1., 2.],
                [1., 2.]])
        """
        return FlatIndexer(self)

    @flat.setter
    def flat(self, values) -> None:
        FlatIndexer(self)[:] = values

    def choose(self, choices, mode="raise"):
        """``np.choose(self, choices)``: this integer tensor picks, at each position,
        the entry of one of ``choices`` (recorded in the choices).

        >>> ad.tensor([0, 1]).choose([ad.tensor([1.0, 2.0]), ad.tensor([3.0, 4.0])])
        tensor([1., 4.])
        """
        return np.choose(self, choices, mode=mode)

    def __contains__(self, value) -> bool:
        """``value in t``: whether any entry equals ``value`` (a number, or a Tensor or
        array broadcast against ``t``), as NumPy's ``(a == value).any()`` and PyTorch's
        ``Tensor.__contains__``; a plain bool, off the tape like any comparison.

        >>> 3 in ad.tensor([[1.0, 3.0], [4.0, 2.0]]), 5 in ad.tensor([1, 2])
        (True, False)
        """
        raw = value.data if hasattr(value, "data") and hasattr(value, "requires_grad") else value
        if not isinstance(raw, (bool, int, float, complex, np.generic, np.ndarray)):
            raise TypeError(f"'in' on a Tensor of shape {self.shape} looks for a number or a "
                            f"tensor, not a {type(value).__name__}; for a list of numbers "
                            "write np.asarray(values) in t (a row of them: "
                            "(t == np.asarray(values)).all(-1).any())")
        # through the ops and bool(): ad.compile refuses a value used in Python so
        return bool((self == value).any())

    # ----- memory and device ---------------------------------------------------------
    @property
    def strides(self) -> tuple:
        """The data array's strides in bytes (``t.data.strides``)."""
        return self.data.strides

    @property
    def base(self):
        """The tensor this one is a view of, when it was made by basic indexing
        (``t[0]``, ``t[:, 1:]``) or by laying it out anew without copying (``t.T``,
        ``t.reshape(-1)``): a write into one shows in the other, as with PyTorch's
        ``._base``; None otherwise (``np.diagonal(t)``).  The data's own memory owner
        is ``t.data.base``.

        >>> t = ad.tensor([[1.0, 2.0], [3.0, 4.0]]); t[0].base is t, t.T.base is t, t.base
        (True, True, None)
        """
        from .view_table import _viewed
        viewed = _viewed(self)
        return None if viewed is None else viewed[0]

    @property
    def device(self):
        """``ad.device('cpu')``: the arrays live in NumPy.  It has PyTorch's ``.type`` and
        ``.index`` and equals (and hashes as) the string ``'cpu'``, NumPy 2's
        ``ndarray.device``.

        >>> d = ad.ones(2).device; d.type, d == "cpu", str(d)
        ('cpu', True, 'cpu')
        """
        from .devices import CPU
        return CPU

    def __array_namespace__(self, /, *, api_version=None):
        """``ad.array_api``, the array API standard's namespace for Tensors, in which
        array-API-generic code (``xp = x.__array_namespace__()``) records on the tape.
        ``api_version`` may be None or one of the standard's versions up to
        ``'2024.12'``; any other raises ``ValueError``, as NumPy's does.

        >>> xp = ad.ones(2).__array_namespace__(); xp.__array_api_version__
        '2024.12'
        """
        from . import array_api
        if api_version is not None and not isinstance(api_version, str):
            raise ValueError(f"__array_namespace__: api_version must be None or a string "
                             f"such as '2024.12', got {api_version!r}")
        if api_version is not None and api_version not in array_api.API_VERSIONS:
            raise ValueError(f"__array_namespace__: version {api_version!r} of the array "
                             f"API standard is not supported; supported versions: "
                             f"{', '.join(array_api.API_VERSIONS)} (or None, the latest)")
        return array_api

    def __complex__(self) -> complex:
        """``complex(t)`` of a one-element tensor, real or complex: an explicit exit from
        the tape, silent as ``float(t)`` is; ``cmath.exp(t)``, which reaches it the same
        way, leaves the tape unasked and warns (raises inside a transform).

        >>> complex(ad.tensor(1.0 + 2.0j))
        (1+2j)
        """
        from .graph import _grad_mode
        from .tape_drop import called_by_name, tape_drop
        if (self.requires_grad and _grad_mode.enabled
                and not called_by_name(sys._getframe(1), ("complex(",))):
            tape_drop(self, "converted to a Python complex (as cmath.exp(t) does)")
        return complex(self.item())

    def as_integer_ratio(self):
        """Refused, naming what to write: ``statistics.mean``/``stdev``/``variance`` (and
        ``fractions``) read a number's exact ratio, which a Tensor does not give (it
        would have no gradient); PyTorch's and NumPy's arrays have none either.

        >>> ad.mean([ad.tensor(1.0), ad.tensor(2.0)])      # instead of statistics.mean
        tensor(1.5)
        """
        raise TypeError(
            f"a Tensor (shape {self.shape}) is not an exact Python number: statistics."
            "mean, stdev and variance read one as a fraction, which has no gradient. "
            "To keep the gradient write ad.mean(tensors) for statistics.mean, and "
            "ad.std(ad.stack(tensors), ddof=1) for stdev (ad.var for variance, ddof=0 for "
            "pstdev/pvariance); for plain numbers, statistics.mean(t.item() for t in "
            "tensors).")

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        """A DLPack capsule over the data, for another library's ``from_dlpack(t)``
        (NumPy's, PyTorch's): the values leave the tape unasked, so a tensor that
        requires grad warns (raises inside a transform), as ``np.asarray(t)`` does.
        Data read backwards (``np.flip(t)``, ``t[::-1]``) is exported as a copy, as the
        standard's ``copy=None`` allows (``copy=False`` raises ``BufferError``): PyTorch's
        ``from_dlpack`` aborts the interpreter on negative strides.

        >>> np.from_dlpack(ad.tensor([1.0, 2.0]))
        array([1., 2.])
        """
        from .graph import _grad_mode
        from .tape_drop import tape_drop
        from .tensor import value_hook          # (read now: ad.compile sets it while tracing)
        if value_hook is not None:
            value_hook(self, "a DLPack export (np.from_dlpack(t))")
        if self.requires_grad and _grad_mode.enabled:
            tape_drop(self, "exported through DLPack (np.from_dlpack(t), "
                            "torch.from_dlpack(t), ad.from_dlpack(t))")
        return dlpack_exportable(self.data, copy).__dlpack__(
            stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        """``(1, 0)``: DLPack's CPU, where the data lives."""
        return self.data.__dlpack_device__()

    def to_device(self, device, /, *, stream=None):
        """The tensor itself for ``'cpu'`` (NumPy 2's ``ndarray.to_device``); any other
        device raises."""
        if stream is not None or str(device) != "cpu":
            raise ValueError(f"to_device: device {str(device)!r} (stream {stream!r}) is not "
                             "available; arrays live in NumPy, on the CPU ('cpu')")
        return self

    @property
    def ctypes(self):
        raise AttributeError(
            "Tensor has no ctypes: a recorded update gives a tensor a new array, so a "
            "pointer into its memory would go stale; use t.data.ctypes for the current "
            "array's")

    @property
    def getfield(self):
        raise AttributeError(
            "Tensor has no getfield: reading its bytes as another dtype has no gradient; "
            "use t.data.getfield(dtype, offset) (an ndarray), or ad.tensor of it")

    @property
    def setfield(self):
        raise AttributeError(
            "Tensor has no setfield: writing raw bytes would bypass the tape and its "
            "checks; use t[...] = values, or t.data.setfield(...) inside ad.no_grad() "
            "when no graph saved the array")

    @property
    def setflags(self):
        raise AttributeError(
            "Tensor has no setflags: the library sets the writeable flag of arrays that a "
            "graph saved, to protect them; t.flags reads the flags, and np.array(t.data) "
            "is an ndarray of your own")

    # ----- bytes ---------------------------------------------------------------------
    def byteswap(self, inplace=False):
        """The values with their bytes swapped, as ``ndarray.byteswap`` (no gradient; a
        tensor that requires grad is refused in grad mode).  ``inplace=True`` swaps in
        place and returns the tensor.

        >>> ad.tensor(np.array([1], np.int16)).byteswap()
        tensor([256], dtype=int16)
        """
        from . import inplace as _inplace
        from .tensor import Tensor
        _refuse_bytes_of_grad(self, "byteswap")
        swapped = Tensor(self.data.byteswap())
        if not inplace:
            return swapped
        _inplace.fill(self, swapped, "byteswap")
        return self

    def tobytes(self, order="C") -> bytes:
        """The values' raw bytes, as ``ndarray.tobytes`` (of ``t.data``).

        >>> np.frombuffer(ad.tensor([1.0, 2.0]).tobytes())
        array([1., 2.])
        """
        _refuse_while_tracing("Tensor.tobytes")
        return self.data.tobytes(order)

    def __bytes__(self) -> bytes:
        """``bytes(t)`` of a 0-d integer tensor: that many zero bytes, as NumPy's and
        PyTorch's ``bytes``.  Of any other tensor they differ (NumPy's ``bytes(a)`` is
        the raw buffer, PyTorch's the entries as byte values), so it raises, naming
        both spellings.

        >>> bytes(ad.tensor(3))
        b'\\x00\\x00\\x00'
        """
        if self.ndim == 0 and self.dtype.kind in "iu":
            return bytes(int(self.item()))
        raise TypeError(
            f"bytes(t) of a tensor of shape {self.shape} and dtype {self.dtype}: NumPy's "
            "bytes(array) is the raw buffer and PyTorch's bytes(tensor) the entries as "
            "byte values, so write which: t.tobytes() for the buffer (NumPy's), "
            "bytes(t.tolist()) for the values (PyTorch's, integers in [0, 256)).")

    def tofile(self, fid, sep="", format="%s") -> None:
        """Write the values to a file, as ``ndarray.tofile`` (of ``t.data``).

        >>> ad.tensor([1.0, 2.0]).tofile("values.bin"); np.fromfile("values.bin")
        array([1., 2.])
        """
        _refuse_while_tracing("Tensor.tofile")
        self.data.tofile(fid, sep=sep, format=format)

    def dump(self, file) -> None:
        """Pickle the values (an ndarray) to ``file``, as ``ndarray.dump``; read back
        with ``np.load(file, allow_pickle=True)``.

        >>> ad.tensor([1.0, 2.0]).dump("values.pkl"); np.load("values.pkl", allow_pickle=True)
        array([1., 2.])
        """
        _refuse_while_tracing("Tensor.dump")
        self.data.dump(file)

    def dumps(self) -> bytes:
        """The values (an ndarray) pickled, as ``ndarray.dumps``; ``pickle.loads``
        gives the ndarray back (``pickle.dumps(t)`` keeps the Tensor instead).

        >>> import pickle; pickle.loads(ad.tensor([1.0, 2.0]).dumps())
        array([1., 2.])
        """
        _refuse_while_tracing("Tensor.dumps")
        return self.data.dumps()


def _is_tensor(value) -> bool:
    from .tensor import Tensor
    return isinstance(value, Tensor)
