"""The cycle-consistent VAE chapter's sprite experiment on Reed et al.'s real 2D Sprites, for readers who
have the files (:func:`vaelab.data.sprites.load_reed`; the page's ``-p sprites reed``).

Jha et al. pair two frames of the same character; the specified factor is the character. A class probe can
only be tested on classes it was trained on, and Reed's validation and test splits hold other characters,
so everything comes from the training split's characters: its frames (animations 0–19, the 20 action ×
viewpoint cells; a 21st cell, outside them, is dropped as CompVis's loader drops it) are shuffled once by
a fixed generator and cut into the
probe's test frames, the probe's training frames and the training pool, in that order; each pool frame is
paired with another frame of its character. The generator's truth (the ToySprites-only swap metrics) does
not exist here and is left out. Characters 2j and 2j+1 differ only in the weapon, which not every action
shows (CompVis's loader note); they stay separate classes, as in Reed's splits.
"""
from __future__ import annotations

import numpy as np
import torch

from ...data.pairs import partners  # the same pairing as MNIST's: another frame of the same character
from ...data.reed_sprites import REED_ATTRIBUTES, load_reed


def reed_data(profile, root) -> dict:
    """The layout of :func:`vaelab.chapters.cycle_vae.sprites_data` from Reed's training split under ``root``:
    ``{"train": {"x1", "x2"}, "probe_train": {"x", "y"}, "probe_test": {"x", "y", "hair", "view"},
    "n_classes", "characters"}``; ``y`` numbers the characters 0.. in ascending character number, ``characters`` maps
    them back to Reed's character numbers. At most ``profile.sprite_pairs`` pairs; raises if the probes'
    frames leave fewer than two pool frames, or if a character has a single frame in the pool."""
    d = load_reed(root, "train", pad_to=64)
    keep = torch.nonzero(d["animation"] < 20).flatten()
    characters, y = torch.unique(d["identity"][keep], return_inverse=True)
    n_te, n_tr = profile.probe_test, profile.probe_train
    if n_te + n_tr + 2 > len(keep):
        raise ValueError(f"Reed's training split under {root} has {len(keep):,} frames (animations 0-19); the "
                         f"profile's probe_test={n_te:,} and probe_train={n_tr:,} leave fewer than two for the pairs")
    order = torch.from_numpy(np.random.default_rng([0, 23]).permutation(len(keep)))
    te, tr, pool = order[:n_te], order[n_te:n_te + n_tr], order[n_te + n_tr:]
    partner = pool[partners(y[pool])][:profile.sprite_pairs]
    pool = pool[:profile.sprite_pairs]
    x, hair = d["x"], d["attributes"][:, REED_ATTRIBUTES.index("hair")]
    return {"train": {"x1": x[keep[pool]], "x2": x[keep[partner]]},
            "probe_train": {"x": x[keep[tr]], "y": y[tr]},
            "probe_test": {"x": x[keep[te]], "y": y[te], "hair": hair[keep[te]], "view": d["view"][keep[te]]},
            "n_classes": len(characters), "characters": characters}
