"""Step 5 (§3.3): the final sample: M* >= 10^8.9 Msun and spaxels the models predict.

After the models are fitted, galaxies below ``selection.log_mstar_min`` leave
(the paper's Fig 9 shows why: the models fail there), spaxels without a base
and an SFH prediction and error leave, and galaxies must again have at least
``selection.min_spaxels`` spaxels. A sample taken whole from the reference
calibrator (Appendix B) is final as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..config import RunConfig
from .fit_models import FittedModels
from .sample import Sample, SampleSteps, galaxies_with_at_least

__all__ = ["FINAL_MODELS", "FinalSample", "select_final_sample"]

#: Model sets every final spaxel must have a prediction and an error from (§3.3).
FINAL_MODELS = ("base", "SFH")


@dataclass(frozen=True)
class FinalSample:
    """The final spaxels, as rows of the model-fitting sample.

    Attributes
    ----------
    rows : pandas.Index
        Index labels (rows of the loaded spaxel table) of the final spaxels.
    steps : SampleSteps
        Every step, the final ones included.
    """

    rows: pd.Index
    steps: SampleSteps


def select_final_sample(sample: Sample, fitted: FittedModels, config: RunConfig) -> FinalSample:
    """The mass cut, the model requirement and the spaxel count, in this order.

    Parameters
    ----------
    sample : Sample
        The model-fitting sample (after the gradient-error cut).
    fitted : FittedModels
        Its predictions.
    config : RunConfig
        ``[selection] log_mstar_min`` and ``min_spaxels``.
    """
    s, sel = sample.spaxels, config.selection
    if sample.from_reference:
        return FinalSample(s.index, sample.steps.add("final", "final sample", s[C.PLATEIFU]))
    final = (s[C.LOG_MSTAR] >= sel.log_mstar_min).to_numpy().copy()
    steps = sample.steps.add(
        "mass", f"galaxies with log M* >= {sel.log_mstar_min}", s.loc[final, C.PLATEIFU]
    )
    for name in FINAL_MODELS:
        pred, err = fitted.pair(name)
        final &= np.isfinite(pred) & np.isfinite(err)
    steps = steps.add(
        "models", f"spaxels with {' and '.join(FINAL_MODELS)} predictions",
        s.loc[final, C.PLATEIFU],
    )  # fmt: skip
    rows = s.index[final][galaxies_with_at_least(s.loc[final, C.PLATEIFU], sel.min_spaxels)]
    steps = steps.add(
        "final", f"galaxies still with >= {sel.min_spaxels} spaxels", s.loc[rows, C.PLATEIFU]
    )
    if rows.empty:
        raise ValueError(f"{sample.calibrator.key}: no galaxy left in the final sample")
    return FinalSample(rows, steps)
