"""Which splitters see the spectra (issue 20: the others get a stand-in, not a copy)."""
from __future__ import annotations

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, ShuffleSplit

from engine.splitters import (
    ContiguousBlocks,
    KennardStoneSplit,
    SPXYSplit,
    VenetianBlinds,
    needs_spectra,
)


def test_only_splitters_that_look_at_the_spectra_get_them():
    assert not needs_spectra(KFold(5, shuffle=True, random_state=0))
    assert not needs_spectra(GroupKFold(3))
    assert not needs_spectra(ShuffleSplit(3, random_state=0))
    assert not needs_spectra(VenetianBlinds(4))
    assert not needs_spectra(ContiguousBlocks(4))
    assert needs_spectra(KennardStoneSplit())
    assert needs_spectra(SPXYSplit())

    class Custom:                        # a splitter nirdesk does not know: assume it looks
        def split(self, X, y=None, groups=None):
            yield np.arange(1), np.arange(1, len(X))
    assert needs_spectra(Custom())


def test_the_stand_in_gives_the_same_folds():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(57, 9)), rng.normal(size=57)
    for splitter in (KFold(5, shuffle=True, random_state=3), VenetianBlinds(4),
                     ContiguousBlocks(3)):
        real = list(splitter.split(X, y))
        stand_in = list(splitter.split(np.zeros((57, 1)), y))
        assert len(real) == len(stand_in)
        for (a, b), (c, d) in zip(real, stand_in, strict=True):
            np.testing.assert_array_equal(a, c)
            np.testing.assert_array_equal(b, d)
