"""The aligner's running minimum, maximum and mean give what scipy.ndimage gives (which the
aligner no longer imports: 0.2 s of start-up)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from production.align import filters

values = st.floats(-120.0, 20.0, allow_nan=False, width=32)
signals = st.one_of(
    arrays(np.float32, st.integers(1, 90), elements=values),
    arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 4)), elements=values),
)


@settings(max_examples=200, deadline=None)
@given(x=signals, size=st.integers(1, 120), data=st.data())
def test_filters_match_scipy_ndimage(x: np.ndarray, size: int, data: st.DataObject) -> None:
    axis = data.draw(st.integers(0, x.ndim - 1))
    assert np.array_equal(filters.minimum_filter1d(x, size, axis), ndimage.minimum_filter1d(x, size, axis=axis))
    assert np.array_equal(filters.maximum_filter1d(x, size, axis), ndimage.maximum_filter1d(x, size, axis=axis))
    ours, theirs = filters.uniform_filter1d(x, size, axis), ndimage.uniform_filter1d(x, size, axis=axis)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    assert np.allclose(ours, theirs, rtol=1e-6, atol=1e-4)


def test_a_window_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        filters.maximum_filter1d(np.zeros(3), 0)
