"""vaelab: the package behind the book about autoencoders with split latent spaces.

Every number and figure in the book is produced by code in this package; the chapter notebooks only set
parameters, call into it and show the results. Importing it changes nothing in the process: the pages, the
tests and the long-run commands opt in to the CPU pins themselves (:func:`vaelab.cpu.pin`).
"""
from pathlib import Path

__version__ = "0.1.0"

#: the repository root (the package is installed editable from it)
REPO = Path(__file__).resolve().parents[1]
