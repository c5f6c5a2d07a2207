"""Every calibrator at once, in chunks: the fast path for a whole survey's spaxels.

:func:`estimate_all` evaluates several registered calibrators on one set of line
fluxes and errors. It dust-corrects each channel once for all of them, and works
through the spaxels in chunks of :data:`CHUNK_SIZE`, so that the many intermediate
arrays of the formulas and their derivatives stay in the processor cache; the
results are those of :meth:`~.base.Calibrator.estimate`, spaxel by spaxel.
"""

import numpy as np

from .._arrays import as_float, positive_finite
from .base import ChannelErrors, Estimate, corrected_fluxes
from .registry import get, usable

__all__ = ["CHUNK_SIZE", "estimate_all"]

#: Spaxels per chunk (2^15: ~250 kB per float array, cache-sized).
CHUNK_SIZE = 32768

_HA, _HB = "Ha-6564", "Hb-4862"


def _flattened(fluxes, errors, channels, error_channels):
    """The inputs broadcast to one shape and raveled, with that shape."""
    keys = [("f", c) for c in channels] + [("e", c) for c in error_channels]
    arrays = np.broadcast_arrays(
        *(as_float(fluxes[c] if kind == "f" else errors[c]) for kind, c in keys)
    )
    shape = arrays[0].shape if arrays else ()
    flat = {key: np.ravel(array) for key, array in zip(keys, arrays, strict=True)}
    return shape, flat


def estimate_all(
    fluxes,
    errors,
    *,
    dust_correct,
    names=None,
    intrinsic=2.86,
    r_v=3.1,
    chunk_size=CHUNK_SIZE,
):
    """
    12+log(O/H), error and branch of several calibrators on one set of spaxels.

    Parameters
    ----------
    fluxes, errors : mapping of str to array_like
        Line fluxes and their 1-sigma errors by DAP channel name, broadcastable to
        one shape (observed ones if ``dust_correct``), as for
        :meth:`~.base.Calibrator.estimate`.
    dust_correct : bool
        Correct here with E(B-V) from Halpha/Hbeta and propagate through it (True),
        or take the fluxes as dust-corrected with E(B-V) fixed (False).
    names : iterable of str, optional
        Calibrators (names or aliases). Default: every calibrator whose lines are all
        in ``fluxes`` (:func:`~.registry.usable`).
    intrinsic, r_v : float, optional
        Intrinsic Halpha/Hbeta and R_V of the correction.
    chunk_size : int, optional
        Spaxels per chunk.

    Returns
    -------
    estimates : dict of str to Estimate
        By calibrator name (aliases resolved), arrays of the broadcast input shape.

    Raises
    ------
    ValueError
        If a calibrator is unknown, a channel or an error it needs is missing, or
        ``chunk_size`` is not a positive integer.
    """
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    calibrators = [get(name) for name in (usable(fluxes) if names is None else names)]
    if not calibrators:
        return {}
    channels = list(dict.fromkeys(c for cal in calibrators for c in cal.lines))
    if dust_correct:
        channels += [c for c in (_HA, _HB) if c not in channels]
    missing = [c for c in channels if c not in fluxes]
    if missing:
        raise ValueError(f"estimate_all needs the DAP channel(s) {missing}")
    error_channels = [c for c in channels if c in errors]
    shape, flat = _flattened(fluxes, errors, channels, error_channels)
    size = int(np.prod(shape))
    out = {
        cal.name: (np.empty(size), np.empty(size), np.empty(size, dtype=np.int8))
        for cal in calibrators
    }
    for start in range(0, size, chunk_size):
        part = slice(start, start + chunk_size)
        chunk_fluxes = {c: flat["f", c][part] for c in channels}
        chunk_errors = {c: flat["e", c][part] for c in error_channels}
        _estimate_chunk(calibrators, chunk_fluxes, chunk_errors, out, part, dust_correct,
                        intrinsic, r_v)  # fmt: skip
    return {
        name: Estimate(oh.reshape(shape)[()], error.reshape(shape)[()], branch.reshape(shape)[()])
        for name, (oh, error, branch) in out.items()
    }


def _estimate_chunk(calibrators, fluxes, errors, out, part, dust_correct, intrinsic, r_v):
    """Fill ``out[name][...][part]`` for every calibrator from one chunk of spaxels."""
    values, _ = corrected_fluxes(
        fluxes, fluxes, dust_correct=dust_correct, intrinsic=intrinsic, r_v=r_v
    )
    usable_flux = {name: positive_finite(flux) for name, flux in fluxes.items()}
    channels = ChannelErrors(fluxes, errors)
    for cal in calibrators:
        used = list(cal.lines) + ([_HA, _HB] if dust_correct else [])
        valid = np.logical_and.reduce([usable_flux[c] for c in used])
        oh, valid, branch = cal.evaluate_corrected(values, valid, with_grad=True)
        estimate = cal.propagate(
            oh, valid, branch, fluxes, errors, dust_correct=dust_correct, r_v=r_v,
            channels=channels,
        )  # fmt: skip
        for target, result in zip(out[cal.name], estimate, strict=True):
            target[part] = result
