"""What the twenty-fourth round of PyTorch scripts found (test_torch_scripts_
twentyfourth*.py).  ``default_collate`` turned a batch of named tuples into a plain
tuple, so ``batch.x`` failed where PyTorch gives the named tuple; it stacked strings
into a NumPy string array where PyTorch keeps them in a list; and it stacked examples
that are lists into one array where PyTorch gives a list with each position's batch.
(``init.sparse_`` on a ``Linear`` weight: test_torch_small_parity.py and the script in
test_torch_scripts_twentyfourth_idioms.py.)
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest

import autodiff as ad
from autodiff.data_loader import default_collate

Example = namedtuple("Example", "features label name")


def test_named_tuples_collate_into_a_named_tuple_of_batches():
    batch = default_collate([Example(np.array([1.0, 2.0]), 0, "a"),
                             Example(np.array([3.0, 4.0]), 1, "b")])
    assert type(batch) is Example
    np.testing.assert_array_equal(batch.features, [[1.0, 2.0], [3.0, 4.0]])
    assert batch.label.tolist() == [0, 1]
    assert batch.name == ["a", "b"]


def test_strings_stay_strings_in_a_list():
    assert default_collate(["cat", "dog"]) == ["cat", "dog"]
    assert default_collate([(1, "x"), (2, "y")])[1] == ["x", "y"]


def test_list_examples_give_a_list_of_each_positions_batch():
    batch = default_collate([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    assert isinstance(batch, list) and len(batch) == 2
    assert batch[0].tolist() == [1.0, 2.0, 3.0]
    assert batch[1].tolist() == [10.0, 20.0, 30.0]


def test_examples_of_different_structure_are_refused_naming_the_first():
    with pytest.raises(TypeError, match="must be a list of 2 fields like the first"):
        default_collate([[1.0, 2.0], [1.0]])
    with pytest.raises(TypeError, match="must be a Example of 3 fields"):
        default_collate([Example(1.0, 0, "a"), (1.0, 0)])


def test_a_data_loader_over_named_tuples_gives_named_batches():
    class Examples(ad.utils.data.Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return Example(ad.full((2,), float(i)), i, f"item{i}")

    batches = list(ad.utils.data.DataLoader(Examples(), batch_size=2))
    assert [b.name for b in batches] == [["item0", "item1"], ["item2"]]
    assert batches[0].features.shape == (2, 2) and batches[1].label.tolist() == [2]


def test_collated_named_tuples_strings_and_lists_match_pytorch():
    pytest.importorskip("torch")
    from torch_side_by_side import side_by_side

    def script(torch, copy_weights):
        data = torch.utils.data

        class Examples(data.Dataset):
            def __len__(self):
                return 5

            def __getitem__(self, i):
                return Example(torch.full((2,), float(i)), [i, 2.5 * i], f"item{i}")

        model = torch.nn.Linear(2, 1)
        copy_weights(model)
        outputs = []
        for batch in data.DataLoader(Examples(), batch_size=2):
            outputs.append((model(batch.features), batch.label[0], batch.label[1],
                            batch.name, type(batch).__name__))
        return outputs
    side_by_side(script)
