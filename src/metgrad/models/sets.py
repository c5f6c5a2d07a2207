"""The seven named model sets of Boardman et al. (2022): Table 1 and Table A1.

========  =================================  ========================================
name      base model (2-D bins)              correction of the base residuals
========  =================================  ========================================
base      log M* x log Sigma_*               none
D4000     log M* x log Sigma_*               median in 1-D bins of D4000
EW_Ha     log M* x log Sigma_*               median in 1-D bins of log EW(Halpha)
SFH       log M* x log Sigma_*               2-D bins of D4000 x log t_LW
SFH_Ha    log M* x log Sigma_*               2-D bins of log EW(Halpha) x log t_LW
SFH_a     log Sigma_* x D4000                2-D bins of log M* x log t_LW
SFH_b     log M* x D4000                     2-D bins of log Sigma_* x log t_LW
========  =================================  ========================================

Every bin width and minimum count comes from a `~metgrad.config.ModelConfig` (the run
configuration's ``[models]`` section), whose defaults are the paper's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config import ModelConfig
from .binned_mean import BinnedMeanModel
from .composite import CorrectedModel
from .corrections import BinnedResidualCorrection, MedianResidualCorrection

__all__ = [
    "D4000",
    "LOG_AGE_LW",
    "LOG_EW_HA",
    "LOG_MSTAR",
    "LOG_SIGMA_STAR",
    "MODEL_SETS",
    "ModelSet",
    "model_set",
    "model_sets_from_config",
]

#: Galaxy stellar mass, log10(M*/Msun), Kroupa IMF (spaxel-table column).
LOG_MSTAR = "log_mstar"
#: Spaxel stellar-mass surface density, log10(Sigma_* / (Msun kpc^-2)).
LOG_SIGMA_STAR = "log_sigma_star"
#: 4000-Angstrom break strength (Pipe3D).
D4000 = "d4000"
#: Light-weighted stellar age, log10(t_LW / yr) (Pipe3D).
LOG_AGE_LW = "log_age_lw"
#: Halpha emission equivalent width, log10(EW(Halpha) / Angstrom).
LOG_EW_HA = "log_ew_ha"

#: The `~metgrad.config.ModelConfig` field holding the bin width of each feature.
_WIDTH_FIELD = {
    LOG_MSTAR: "base_bin_mstar",
    LOG_SIGMA_STAR: "base_bin_sigma",
    D4000: "sfh_bin_d4000",
    LOG_EW_HA: "sfh_bin_log_ew",
    LOG_AGE_LW: "sfh_bin_log_age",
}
#: ... and of each 1-D correction feature.
_WIDTH_FIELD_1D = {D4000: "d4000_bin", LOG_EW_HA: "log_ew_bin"}


@dataclass(frozen=True)
class ModelSet:
    """Recipe of one named model set.

    Attributes
    ----------
    name : str
        Key in `MODEL_SETS` (``"base"``, ``"D4000"``, ``"EW_Ha"``, ``"SFH"``,
        ``"SFH_Ha"``, ``"SFH_a"``, ``"SFH_b"``).
    parameters : tuple of str
        Display names of the quantities used, in the paper's order (Table 1's "Model
        parameters" column).
    base_features : (str, str)
        Spaxel-table columns of the 2-D base model.
    correction : {None, "median_1d", "binned_2d"}
        Kind of residual correction, if any.
    correction_features : tuple of str
        Columns of the correction (one for ``"median_1d"``, two for ``"binned_2d"``).
    """

    name: str
    parameters: tuple[str, ...]
    base_features: tuple[str, str]
    correction: str | None = None
    correction_features: tuple[str, ...] = ()

    def build(self, config=None):
        """A new, unfitted estimator for this set.

        Parameters
        ----------
        config : `~metgrad.config.ModelConfig`, optional
            Bin widths, minimum counts and the LOESS fraction; default: the paper's.

        Returns
        -------
        model : `~metgrad.models.BinnedMeanModel` or `~metgrad.models.CorrectedModel`
        """
        config = ModelConfig() if config is None else config
        base = BinnedMeanModel(
            features=self.base_features,
            widths=_widths(self.base_features, config),
            min_count=config.base_min_count,
            loess_frac=config.base_loess_frac,
            loess_rescale=True,
        )
        if self.correction is None:
            return base
        if self.correction == "median_1d":
            (feature,) = self.correction_features
            correction = MedianResidualCorrection(
                feature,
                getattr(config, _WIDTH_FIELD_1D[feature]),
                min_count=config.corr1d_min_count,
            )
        else:
            correction = BinnedResidualCorrection(
                self.correction_features,
                _widths(self.correction_features, config),
                min_count=config.corr2d_min_count,
                loess_frac=config.base_loess_frac,
                loess_rescale=True,
            )
        return CorrectedModel(base, correction)


def _widths(features, config):
    return tuple(float(getattr(config, _WIDTH_FIELD[f])) for f in features)


_BASE = (LOG_MSTAR, LOG_SIGMA_STAR)

#: The seven model sets of the paper (Table 1, then Table A1), by name.
MODEL_SETS = {
    s.name: s
    for s in (
        ModelSet("base", ("M*", "Sigma_*"), _BASE),
        ModelSet("D4000", ("M*", "Sigma_*", "D4000"), _BASE, "median_1d", (D4000,)),
        ModelSet("EW_Ha", ("M*", "Sigma_*", "EW(Halpha)"), _BASE, "median_1d", (LOG_EW_HA,)),
        ModelSet(
            "SFH", ("M*", "Sigma_*", "D4000", "t_LW"), _BASE, "binned_2d", (D4000, LOG_AGE_LW)
        ),
        ModelSet(
            "SFH_Ha",
            ("M*", "Sigma_*", "EW(Halpha)", "t_LW"),
            _BASE,
            "binned_2d",
            (LOG_EW_HA, LOG_AGE_LW),
        ),
        ModelSet(
            "SFH_a",
            ("Sigma_*", "D4000", "M*", "t_LW"),
            (LOG_SIGMA_STAR, D4000),
            "binned_2d",
            (LOG_MSTAR, LOG_AGE_LW),
        ),
        ModelSet(
            "SFH_b",
            ("M*", "D4000", "Sigma_*", "t_LW"),
            (LOG_MSTAR, D4000),
            "binned_2d",
            (LOG_SIGMA_STAR, LOG_AGE_LW),
        ),
    )
}


def model_set(name, **options):
    """A new, unfitted estimator for one named model set.

    Parameters
    ----------
    name : str
        One of `MODEL_SETS`: ``"base"``, ``"D4000"``, ``"EW_Ha"``, ``"SFH"``,
        ``"SFH_Ha"``, ``"SFH_a"``, ``"SFH_b"``.
    **options
        Any `~metgrad.config.ModelConfig` field, overriding the paper's default:
        ``base_bin_mstar``, ``base_bin_sigma`` (dex), ``base_min_count``,
        ``base_loess_frac``, ``d4000_bin``, ``log_ew_bin`` (dex), ``corr1d_min_count``,
        ``sfh_bin_d4000``, ``sfh_bin_log_ew``, ``sfh_bin_log_age`` (dex),
        ``corr2d_min_count``.

    Returns
    -------
    model : `~metgrad.models.BinnedMeanModel` or `~metgrad.models.CorrectedModel`

    Raises
    ------
    ValueError
        If ``name`` is not a model set, or an option is unknown or out of range.

    Notes
    -----
    Every set bins log M* and log Sigma_* with ``base_bin_mstar`` and
    ``base_bin_sigma``, D4000 with ``sfh_bin_d4000``, log EW(Halpha) with
    ``sfh_bin_log_ew`` and log t_LW with ``sfh_bin_log_age`` in its 2-D maps, whether
    base or correction; the 1-D corrections use ``d4000_bin`` and ``log_ew_bin``. All
    LOESS smoothing uses ``base_loess_frac`` with ``rescale``. The paper gives no widths
    for SFH-a and SFH-b (Appendix A); these choices give them 0.05 dex in log M* and log
    Sigma_*, 0.01 in D4000 and 0.025 dex in log t_LW, as in the base and SFH maps.

    Examples
    --------
    >>> model_set("SFH", sfh_bin_d4000=0.02).correction.widths
    (0.02, 0.025)
    """
    if name not in MODEL_SETS:
        raise ValueError(f"unknown model set {name!r}; choose from {list(MODEL_SETS)}")
    valid = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ValueError(f"unknown model option(s) {unknown}; valid: {sorted(valid)}")
    return MODEL_SETS[name].build(ModelConfig(**options))


def model_sets_from_config(model_config=None):
    """All seven model sets, unfitted, from the run configuration's ``[models]``.

    Parameters
    ----------
    model_config : `~metgrad.config.ModelConfig`, optional
        Default: the paper's choices.

    Returns
    -------
    models : dict of str to estimator
        Name -> new estimator, in the order of `MODEL_SETS`.
    """
    return {name: spec.build(model_config) for name, spec in MODEL_SETS.items()}
