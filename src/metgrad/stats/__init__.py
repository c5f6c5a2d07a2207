"""Exact, vectorised statistics used throughout metgrad.

- :func:`robust_sigma`: IDL astrolib ``ROBUST_SIGMA``, exactly.
- :func:`lad_line`: exact least-absolute-deviation straight line, batched over resamples.
- :func:`loess_2d`: 2-D robust locally weighted regression (Cleveland & Devlin 1988).
- binned statistics over 1-D and 2-D regular grids.
"""
