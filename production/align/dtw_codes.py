"""The DTW kernels' shared constants (dtw.py's numpy kernel, jit.py's numba kernel)."""

DIAG, UP, LEFT, START = 0, 1, 2, 3  # backpointer codes
INF = 1e30  # cost of an unreachable cell
