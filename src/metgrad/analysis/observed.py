"""Step 2 (§2.3): observed gradients of the sample, and the gradient-error cut.

Each galaxy's gradient is the exact LAD line of 12+log(O/H) against R/R_e over
its spaxels, with the error from 100 residual-bootstrap refits
(:func:`metgrad.gradients.galaxy_gradients`); galaxies whose error exceeds
``selection.gradient_err_max`` (0.1 dex/R_e) leave the sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .. import columns as C
from ..config import RunConfig
from ..gradients import galaxy_gradients
from .sample import Sample

__all__ = ["ObservedSample", "measure_observed_gradients", "observed_stream"]


def observed_stream(calibrator_key: str) -> str:
    """Name of the random stream of a calibrator's observed-gradient refits."""
    return f"observed-{calibrator_key}"


@dataclass(frozen=True)
class ObservedSample:
    """The sample after the gradient-error cut, and the gradients that made it.

    Attributes
    ----------
    sample : Sample
        Spaxels of the galaxies kept; steps include ``gradient_error``.
    gradients : pandas.DataFrame
        First-pass gradients of every galaxy of the input sample, indexed by
        plate-ifu: ``slope``, ``slope_err`` (dex/R_e), ``intercept`` (dex),
        ``n_spaxels``.
    """

    sample: Sample
    gradients: pd.DataFrame


def measure_observed_gradients(sample: Sample, config: RunConfig, *, pool) -> ObservedSample:
    """Fit every galaxy's observed gradient; keep those with a small enough error.

    Parameters
    ----------
    sample : Sample
        From :func:`~.sample.select_sample`.
    config : RunConfig
        ``[gradients]`` seed and refits, ``[selection] gradient_err_max``.
    pool : object with ``map``
        The analysis's thread pool.

    Returns
    -------
    ObservedSample
        A sample taken from the reference calibrator is kept whole (Appendix B):
        its gradients are measured, no galaxy is cut.
    """
    s = sample.spaxels
    key = sample.calibrator.key
    grads = galaxy_gradients(
        s[C.PLATEIFU].to_numpy(), s[C.R_RE].to_numpy(), s[sample.calibrator.oh_column].to_numpy(),
        seed=config.gradients.seed, stream=observed_stream(key),
        n_refits=config.gradients.n_bootstrap, pool=pool,
    )  # fmt: skip
    if sample.from_reference:
        return ObservedSample(sample, grads)
    limit = config.selection.gradient_err_max
    keep = grads.index[grads["slope_err"] <= limit]
    kept = s[s[C.PLATEIFU].isin(keep)]
    steps = sample.steps.add(
        "gradient_error", f"observed gradient error <= {limit} dex/Re", kept[C.PLATEIFU]
    )
    if kept.empty:
        raise ValueError(f"{key}: no galaxy left after the gradient-error cut")
    return ObservedSample(replace(sample, spaxels=kept, steps=steps), grads)
