"""Every class of ``torch.optim``, ``torch.optim.lr_scheduler`` and
``torch.optim.swa_utils`` has a namesake in ``ad.optim`` taking each of PyTorch's
constructor keywords with PyTorch's default."""

import inspect

import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

from test_nn_surface_sweep import constructor_keywords  # noqa: E402  (needs torch)


def _classes(namespace):
    """PyTorch's own public classes there (not the typing names it imports)."""
    return sorted(name for name in dir(namespace) if not name.startswith("_")
                  and inspect.isclass(getattr(namespace, name))
                  and getattr(namespace, name).__module__.startswith("torch.optim"))


@pytest.mark.parametrize("theirs, ours", [
    (torch.optim, ad.optim), (torch.optim.lr_scheduler, ad.optim.lr_scheduler),
    (torch.optim.swa_utils, ad.optim.swa_utils),
], ids=["optim", "lr_scheduler", "swa_utils"])
def test_optimizers_and_schedulers_take_pytorchs_keywords_and_defaults(theirs, ours):
    names = _classes(theirs)
    assert len(names) >= 3
    differences = []
    for name in names:
        assert inspect.isclass(getattr(ours, name, None)), name
        our_keywords = constructor_keywords(getattr(ours, name))
        for key, default in constructor_keywords(getattr(theirs, name)).items():
            if key not in our_keywords or our_keywords[key] != default:
                differences.append((name, key, default, our_keywords.get(key, "absent")))
    assert differences == []
