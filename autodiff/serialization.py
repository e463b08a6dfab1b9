"""``ad.save`` and ``ad.load``: state dicts and nested dicts, lists and tuples of
tensors, arrays, numbers, strings and None, in a file that holds no pickle.

The file is NumPy's ``.npz`` (a zip of ``.npy`` arrays, read with
``allow_pickle=False``): one entry per array, and one more that describes the
structure as JSON and marks the file as this library's.  ``ad.load`` refuses any
other file, so loading never runs code from the file.
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from .tensor import Tensor

__all__ = ["save", "load"]

_STRUCTURE = "autodiff_structure"
_FORMAT = "autodiff.save/1"


def _describe(obj, arrays: list, where: str):
    """The JSON description of ``obj``, its arrays appended to ``arrays``."""
    if isinstance(obj, Tensor) or isinstance(obj, (np.ndarray, np.generic)):
        data = obj.data if isinstance(obj, Tensor) else np.asarray(obj)
        if data.dtype.kind not in "biufc":
            raise TypeError(f"save: {where} is an array of dtype {data.dtype}; only numbers "
                            "and bools are saved (no Python objects)")
        arrays.append(np.asarray(data, order="C"))
        kind = ("tensor" if isinstance(obj, Tensor) else
                "array" if isinstance(obj, np.ndarray) else "scalar")
        entry = {kind: len(arrays) - 1}
        if isinstance(obj, Tensor) and obj.requires_grad:
            entry["requires_grad"] = True
        return entry
    if obj is None or isinstance(obj, (bool, str)):
        return {"value": obj}
    if isinstance(obj, (int, float)):
        return {"value": obj} if isinstance(obj, int) else {"float": repr(float(obj))}
    if isinstance(obj, (list, tuple)):
        items = [_describe(item, arrays, f"{where}[{k}]") for k, item in enumerate(obj)]
        return {"list" if isinstance(obj, list) else "tuple": items}
    if isinstance(obj, dict):
        entries = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"save: {where} has a key {key!r} of type "
                                f"{type(key).__name__}; keys must be str or int")
            entries.append([key, _describe(value, arrays, f"{where}[{key!r}]")])
        return {"dict": entries}
    raise TypeError(f"save: {where} is of type {type(obj).__name__}; ad.save writes tensors, "
                    "arrays, numbers, strings, None and dicts/lists/tuples of them (for a "
                    "module or optimizer, save its state_dict())")


def save(obj, path) -> None:
    """Write ``obj`` (a state dict, or nested dicts/lists/tuples of tensors, arrays,
    numbers, strings and None) to ``path`` or a binary file, without pickle.

    >>> ad.save({"w": ad.tensor([1.0, 2.0]), "step": 3}, "state.ad")
    >>> ad.load("state.ad")
    {'w': tensor([1., 2.]), 'step': 3}
    """
    if isinstance(obj, (str, os.PathLike)) and not isinstance(path, (str, os.PathLike)) \
            and not hasattr(path, "write"):
        raise TypeError(f"save: the path {obj!r} came first; ad.save takes PyTorch's order, "
                        "ad.save(obj, path) (np.save's is (file, arr))")
    arrays = []
    structure = {"format": _FORMAT, "root": _describe(obj, arrays, "obj")}
    entries = {f"a{k}": array for k, array in enumerate(arrays)}
    entries[_STRUCTURE] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    if hasattr(path, "write"):
        np.savez(path, **entries)
        return
    with open(os.fspath(path), "wb") as file:      # (np.savez would append ".npz")
        np.savez(file, **entries)


def _rebuild(entry, arrays, where: str):
    if not isinstance(entry, dict) or len(entry) not in (1, 2):
        raise ValueError(f"load: the file's structure is damaged at {where}")
    kind, value = next(iter(entry.items()))
    if kind in ("tensor", "array", "scalar"):
        data = arrays[f"a{int(value)}"]
        if kind == "scalar":
            return data[()]
        if kind == "array":
            return data
        return Tensor(data, requires_grad=bool(entry.get("requires_grad", False)))
    if kind == "value":
        return value
    if kind == "float":
        return float(value)
    if kind in ("list", "tuple"):
        items = [_rebuild(item, arrays, f"{where}[{k}]") for k, item in enumerate(value)]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        return {key: _rebuild(item, arrays, f"{where}[{key!r}]") for key, item in value}
    raise ValueError(f"load: the file's structure is damaged at {where} (unknown {kind!r})")


def load(path, map_location=None, *, weights_only=None):
    """Read what ``ad.save`` wrote (tensors come back as tensors, with their
    ``requires_grad``).  Any other file is refused; nothing in it is executed.
    ``map_location`` may only name the CPU; ``weights_only`` is accepted (the
    format holds data only).

    >>> ad.save([ad.ones(2), (1.5, None)], "items.ad"); ad.load("items.ad")
    [tensor([1., 1.]), (1.5, None)]
    """
    if map_location is not None and str(map_location).split(":")[0] != "cpu":
        raise ValueError(f"load: map_location={map_location!r} is not available; arrays "
                         "live in NumPy, on the CPU")
    name = getattr(path, "name", path)
    refusal = (f"load: {name!r} was not written by ad.save (ad.load reads only its own "
               "format; for a plain .npy/.npz use np.load, and a PyTorch checkpoint is "
               "read with torch.load, then converted)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(refusal) from None
    if not isinstance(archive, np.lib.npyio.NpzFile) or _STRUCTURE not in archive.files:
        raise ValueError(refusal)
    with archive:
        try:
            structure = json.loads(archive[_STRUCTURE].tobytes().decode())
        except (ValueError, UnicodeDecodeError):
            raise ValueError(refusal) from None
        if not isinstance(structure, dict) or structure.get("format") != _FORMAT:
            raise ValueError(refusal)
        arrays = {key: archive[key] for key in archive.files if key != _STRUCTURE}
    try:
        return _rebuild(structure["root"], arrays, "obj")
    except KeyError:
        raise ValueError(f"load: {name!r} is damaged (an array it names is missing)") from None
