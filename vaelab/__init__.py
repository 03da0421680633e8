"""vaelab: the package behind the book about autoencoders with split latent spaces.

Every number and figure in the book is produced by code in this package; the
chapter notebooks only set parameters, call into it and show the results.
"""
from pathlib import Path

from . import cpu

# the same kernels on every x86-64 CPU (vaelab/cpu.py): before the first tensor operation of the process
cpu.pin()

__version__ = "0.1.0"

#: the repository root (the package is installed editable from it)
REPO = Path(__file__).resolve().parents[1]
