"""ACAI's lines: the renderer against hand-derived and official values; the interpolation metrics
on interpolations whose score is known."""
import math

import numpy as np
import pytest

from vaelab.data import lines
from vaelab.metrics.interpolation import line_eval, smoothness


def test_horizontal_line_by_hand():
    # angle 0: from the centre (16, 16) to column 31 along the rows; width 2 covers rows 15 and 16
    img = lines.draw_line(0.0)
    want = -np.ones((32, 32), np.float32)
    want[15:17, 16:31] = 1.0
    np.testing.assert_array_equal(img, want)


def test_vertical_line_by_hand():
    # angle π/2: rows 1..15 above the centre, columns 15 and 16 (up to cos(π/2) ≈ 6e-17)
    img = lines.draw_line(math.pi / 2)
    want = -np.ones((32, 32), np.float32)
    want[1:16, 15:17] = 1.0
    np.testing.assert_allclose(img, want, atol=1e-6)


# (angle, pixel sum, sum of squares, value at (16, 16), pixels above -1) printed by the official
# renderer (brain-research/acai lib/data.py draw_line, height = width = 32) in a scratch run
OFFICIAL = [
    (0.3, -964.0, 1004.624707783253, 1.0, 45),
    (1.1, -970.5275583963139, 1003.2403910145757, -1.0, 42),
    (2.5, -975.931383067184, 1007.3810576804166, -1.0, 39),
    (4.0, -976.0, 1007.348449011538, 1.0, 36),
    (5.9, -968.0, 1006.2092057519437, 0.5968891001267735, 42),
]


@pytest.mark.parametrize("angle, total, squares, centre, lit", OFFICIAL)
def test_matches_official_renderer(angle, total, squares, centre, lit):
    img = lines.draw_line(angle).astype(np.float64)
    assert img.sum() == pytest.approx(total, abs=1e-4)
    assert (img ** 2).sum() == pytest.approx(squares, abs=1e-4)
    assert img[16, 16] == pytest.approx(centre, abs=1e-6)
    assert int((img > -1).sum()) == lit


def test_labels_and_samples():
    assert lines.label(0.0) == 0 and lines.label(2 * math.pi - 1e-3) == 9 and lines.label(2 * math.pi - 1e-9) == 9
    counts = np.bincount(lines.label(lines.reference_angles()), minlength=10)
    assert counts.sum() == 10_000 and counts.min() >= 999 and counts.max() <= 1001
    x, y, a = lines.sample(50, seed=3)
    x2, _, _ = lines.sample(50, seed=3)
    assert x.shape == (50, 1, 32, 32) and x.min() >= -1 and x.max() <= 1
    assert (x == x2).all() and (y.numpy() == lines.label(a.numpy())).all()


def test_bad_arguments():
    with pytest.raises(ValueError, match="size must be an integer"):
        lines.draw_line(0.1, size=2)
    with pytest.raises(ValueError, match="finite"):
        lines.draw_line(float("nan"))
    with pytest.raises(ValueError, match="shape"):
        line_eval(np.zeros((3, 32, 32)))


def test_true_lines_score_zero():
    ref = lines.reference_angles()
    # 4 interpolations of 16 steps, each step an exact reference line, evenly spaced in angle
    idx = np.array([[s + 40 * k for k in range(16)] for s in (0, 1000, 5000, 9000)]) % 10_000
    interp = np.stack([[lines.draw_line(ref[i]) for i in row] for row in idx])
    dist, smooth = line_eval(interp)
    assert dist < 1e-12 and abs(smooth) < 1e-9


def test_crossfade_scores_far_worse():
    rng = np.random.default_rng(0)
    a0, a1 = rng.uniform(0, 2 * np.pi, 6), rng.uniform(0, 2 * np.pi, 6)
    t = np.linspace(0, 1, 16)
    true = np.stack([[lines.draw_line(a + (b - a) * s) for s in t] for a, b in zip(a0, a1)])
    fade = np.stack([[(1 - s) * lines.draw_line(a) + s * lines.draw_line(b) for s in t] for a, b in zip(a0, a1)])
    d_true, s_true = line_eval(true)
    d_fade, s_fade = line_eval(fade)
    assert d_fade > 100 * d_true and s_fade > 0.3 > 10 * s_true


def test_smoothness_nan_rule():
    # one interpolation that never moves (NaN) and one that jumps in one step out of 4: the max
    # normalised step is 1, minus the ideal 1/4
    angles = np.array([[1.0, 1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 2.0, 2.0, 2.0]])
    s = smoothness(angles)
    assert np.isnan(s[0]) and s[1] == pytest.approx(0.75)
