"""The chapter 1-4 figures: network diagrams drawn as the masks say, and checked arguments."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_hex

from dropout_lib import palette
from dropout_lib.plots import draw_network, plot_same_mask_comparison, subnetwork_gallery


def test_draw_network_shows_kept_and_dropped_units_as_the_masks_say():
    masks = [np.array([True, False, True]), np.array([False, True]), np.array([True])]
    ax = draw_network((3, 2, 1), masks).axes[0]
    kept, hollow, crosses = ax.collections[-3:]
    # Four units are kept and two dropped; each dropped unit is hollow and crossed out.
    assert len(kept.get_offsets()) == 4
    assert len(hollow.get_offsets()) == len(crosses.get_offsets()) == 2
    assert to_hex(kept.get_facecolor()[0]) == to_hex(palette.KEPT)
    # A connection is active only when both its ends are kept: 2 + 1 of the 3 * 2 + 2 * 1.
    active = [c for c in ax.collections[:-3] if to_hex(c.get_color()[0]) == to_hex(palette.KEPT)]
    assert sum(len(c.get_segments()) for c in active) == 2 + 1


def test_gallery_titles_count_the_kept_units():
    fig = subnetwork_gallery((4, 5, 2), 0.5, n_samples=2, seed=3)
    for ax in fig.axes[1:]:
        kept, of = ax.get_title().split(": ")[1].split(" kept")[0].split(" of ")
        assert 0 <= int(kept) <= int(of) == 9
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: draw_network((3,)), ValueError, "layer_sizes"),
        (lambda: draw_network((3, 0, 1)), ValueError, "layer_sizes"),
        (lambda: draw_network((3, 2.5, 1)), TypeError, "layer_sizes"),
        (lambda: subnetwork_gallery((2, 2), 0.5, n_samples=0), ValueError, "n_samples"),
        (lambda: subnetwork_gallery((2, 2), 0.5, n_samples=2.0), TypeError, "n_samples"),
        (lambda: subnetwork_gallery((2, 2), 0.5, seed="one"), TypeError, "seed"),
        (lambda: plot_same_mask_comparison([1.0], [1.0], 1.0), ValueError, "p"),
    ],
)
def test_bad_arguments_are_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
