"""Image tiling: every image lands at its place, gaps and the unused cell stay white."""
import numpy as np
import torch

from vaelab import plots


def test_tile_places_images_row_by_row():
    imgs = torch.stack([torch.full((1, 2, 3), v) for v in (0.1, 0.2, 0.3)])
    g = plots.tile(imgs, nrow=2)
    assert g.shape == (2 * 3, 2 * 4)
    assert np.all(g[0:2, 0:3] == np.float32(0.1)) and np.all(g[0:2, 4:7] == np.float32(0.2))
    assert np.all(g[3:5, 0:3] == np.float32(0.3))
    assert np.all(g[3:5, 4:7] == 1.0) and np.all(g[2] == 1.0) and np.all(g[:, 3] == 1.0)


def test_tile_keeps_colour_channels_last():
    g = plots.tile(torch.zeros(2, 3, 4, 4), nrow=2)
    assert g.shape == (5, 10, 3)
