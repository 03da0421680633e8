"""Datasets. Real data (MNIST) is read from committed files and verified; everything
else is generated deterministically from a seed."""


def positive_int(name: str, n) -> int:
    """``n`` as an int, or a ``ValueError`` naming the parameter when it is not a positive integer."""
    import numpy as np

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)
