"""Datasets. Real data (MNIST) is read from committed files and verified; everything
else is generated deterministically from a seed."""
