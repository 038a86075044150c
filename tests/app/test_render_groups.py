"""The shared spectra rasteriser with draw groups from two sets of spectra on different x axes
(what the Predict view draws: new spectra, maybe from another instrument, over the training
ones): each group is drawn on its own axis, the content's bounds cover both sets."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from app.common.render import Content, DrawGroup, Job, render
from app.model.spectra_data import SpectraData

RED, BLUE = (255, 0, 0, 255), (0, 0, 255, 255)


def flat(value: float, x: np.ndarray) -> SpectraData:
    return SpectraData.build(np.full((1, x.size), value), x, wavelengths_known=True,
                             title=str(value))


def colour_rows(image, column: int) -> dict[str, list[int]]:
    """Image rows (row 0 = lowest y) of the red and blue pixels in one pixel column."""
    out: dict[str, list[int]] = {"red": [], "blue": []}
    for row in range(image.height()):
        c = QColor(image.pixelColor(column, row))
        if c.alpha() > 128 and c.red() > 200 and c.blue() < 60:
            out["red"].append(row)
        if c.alpha() > 128 and c.blue() > 200 and c.red() < 60:
            out["blue"].append(row)
    return out


def test_groups_of_two_sets_are_drawn_each_on_its_own_axis():
    left = flat(1.0, np.linspace(0.0, 10.0, 21))      # x 0..10, y = 1
    right = flat(3.0, np.linspace(5.0, 10.0, 6))      # x 5..10 (coarser), y = 3
    content = Content(left, (DrawGroup(np.arange(1), RED),
                             DrawGroup(np.arange(1), BLUE, data=right)), 1)
    assert content.sets() == [left, right]
    assert content.data_of(content.groups[1]) is right
    assert content.x_range == (0.0, 10.0) and content.y_range == (1.0, 3.0)
    assert content.n_points == 21 + 6

    image = render(Job(content, (0.0, 0.0, 10.0, 4.0), (100, 40)))
    y_red, y_blue = 1.0 / 4.0 * 40, 3.0 / 4.0 * 40     # pixel rows of y = 1 and y = 3
    at_x2 = colour_rows(image, 20)                      # x = 2: only the left set
    at_x8 = colour_rows(image, 80)                      # x = 8: both sets
    assert at_x2["red"] and all(abs(r - y_red) <= 1 for r in at_x2["red"])
    assert at_x2["blue"] == []
    assert at_x8["red"] and all(abs(r - y_red) <= 1 for r in at_x8["red"])
    assert at_x8["blue"] and all(abs(r - y_blue) <= 1 for r in at_x8["blue"])
