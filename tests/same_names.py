"""The check shared by tests/test_same_names_as_numpy.py and test_same_names_as_torch.py:
every generated case of a name agrees with the other library, or is listed as a meant
difference (and each listed difference still occurs)."""

from __future__ import annotations


def check_all_cases(kind: str, name: str, cases, compare, allowed: dict, library: str):
    """Assert that ``compare(kind, name, case)`` finds no difference for any of
    ``cases`` but those ``allowed[(kind, name)] = (reason, case filter)`` explains, and
    that such an entry still explains one."""
    reason, explains = allowed.get((kind, name), (None, None))
    unexplained, explained = [], 0
    for case in cases:
        found = compare(kind, name, case)
        if found is None:
            continue
        if explains is not None and explains(case):
            explained += 1
        else:
            unexplained.append(f"{case}: {found}")
    assert not unexplained, (f"{kind} {name} differs from {library}'s:\n  "
                             + "\n  ".join(unexplained[:8]))
    assert explains is None or explained, (
        f"ALLOWED[({kind!r}, {name!r})] ({reason}) covers no difference any more: remove it")
