"""Run configuration: typed sections with the paper's choices as defaults, loaded from TOML.

Every option is validated on load: an unknown section or key, or a value of
the wrong type or outside its allowed range, raises :class:`ConfigError` with
a one-line message naming the key and what is allowed.

A configuration file looks like::

    [inputs]
    drpall = "drpall-v3_1_1.fits"
    gswlc = "GSWLC-X2.dat"
    maps = "maps"
    pipe3d = "pipe3d"

    [output]
    dir = "run"

    [selection]
    snr_min = 3.0

Relative paths are taken relative to the folder of the TOML file.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from .physics.imf import CHABRIER_TO_KROUPA, SALPETER_TO_KROUPA

__all__ = [
    "OH_RANGES",
    "AnalysisConfig",
    "ConfigError",
    "GradientConfig",
    "InputsConfig",
    "LearnConfig",
    "MassSizeConfig",
    "MatchConfig",
    "ModelConfig",
    "OutputConfig",
    "PhysicsConfig",
    "RunConfig",
    "SelectionConfig",
    "TrendConfig",
    "config_from_dict",
    "load_config",
]


class ConfigError(ValueError):
    """A configuration file or value is invalid; the message names the key."""


#: Most refits per gradient (``gradients.n_bootstrap``, ``n_noise``); the paper uses 100.
MAX_REFITS = 10_000

#: The seven model sets of the paper (Table 1 and Table A1), in table order.
MODEL_SET_NAMES = ("base", "D4000", "EW_Ha", "SFH", "SFH_Ha", "SFH_a", "SFH_b")


def _check_range(name: str, value: float, lo: float | None = None, hi: float | None = None):
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"[{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}]"
        raise ConfigError(f"{name} = {value!r} is outside the allowed range {bounds}")


@dataclass(frozen=True)
class InputsConfig:
    """Where the survey's files are.

    Attributes
    ----------
    drpall : Path or None
        drpall FITS table (NSA geometry and redshift).
    gswlc : Path or None
        GSWLC-2X ASCII table (stellar masses).
    maps : Path or None
        Folder searched recursively for DAP ``manga-*-MAPS-*.fits[.gz]`` files.
    pipe3d : Path or None
        Folder searched recursively for ``manga-*.Pipe3D.cube.fits[.gz]`` files.
    daptype : str
        DAP analysis type whose MAPS files are used.
    """

    drpall: Path | None = None
    gswlc: Path | None = None
    maps: Path | None = None
    pipe3d: Path | None = None
    daptype: str = "HYB10-MILESHC-MASTARSSP"


@dataclass(frozen=True)
class OutputConfig:
    """Where a run writes.

    Attributes
    ----------
    dir : Path
        The run folder: ingest, analysis, learn and report all write inside it
        (its layout: :class:`metgrad.layout.RunLayout`).
    """

    dir: Path = Path("run")


@dataclass(frozen=True)
class MatchConfig:
    """Catalogue matching.

    Attributes
    ----------
    radius_arcsec : float
        Largest accepted MaNGA - GSWLC separation, arcsec.
    """

    radius_arcsec: float = 3.0

    def __post_init__(self):
        _check_range("match.radius_arcsec", self.radius_arcsec, 0.01, 60.0)


@dataclass(frozen=True)
class PhysicsConfig:
    """Physical constants and conventions (Boardman et al. 2022, §2.1).

    Attributes
    ----------
    r_v : float
        Total-to-selective attenuation of the Calzetti (2000) curve.
    balmer_intrinsic : float
        Intrinsic Halpha/Hbeta (case B, 10^4 K, 100 cm^-3).
    h0 : float
        Hubble constant, km/s/Mpc (flat LambdaCDM).
    om0 : float
        Matter density parameter.
    spaxel_arcsec : float
        Spaxel side, arcsec.
    salpeter_to_kroupa : float
        Factor applied to Pipe3D (Salpeter) masses.
    chabrier_to_kroupa : float
        Factor applied to GSWLC-2X (Chabrier) masses.
    """

    r_v: float = 3.1
    balmer_intrinsic: float = 2.86
    h0: float = 71.0
    om0: float = 0.27
    spaxel_arcsec: float = 0.5
    salpeter_to_kroupa: float = SALPETER_TO_KROUPA
    chabrier_to_kroupa: float = CHABRIER_TO_KROUPA

    def __post_init__(self):
        _check_range("physics.r_v", self.r_v, 1.0, 6.0)
        _check_range("physics.balmer_intrinsic", self.balmer_intrinsic, 2.0, 4.0)
        _check_range("physics.h0", self.h0, 20.0, 200.0)
        _check_range("physics.om0", self.om0, 0.01, 1.0)
        _check_range("physics.spaxel_arcsec", self.spaxel_arcsec, 0.01, 10.0)
        _check_range("physics.salpeter_to_kroupa", self.salpeter_to_kroupa, 0.1, 2.0)
        _check_range("physics.chabrier_to_kroupa", self.chabrier_to_kroupa, 0.1, 2.0)


@dataclass(frozen=True)
class SelectionConfig:
    """Spaxel and galaxy selection (Boardman et al. 2022, §2.2-2.3 and §3.3).

    Attributes
    ----------
    snr_min : float
        Minimum S/N of Halpha, Hbeta, [OIII]5008, [NII]6585 and the summed [OII].
    ew_ha_min : float
        Minimum EW(Halpha), Angstrom.
    balmer_min : float
        Minimum observed Halpha/Hbeta.
    r_re_min, r_re_max : float
        Radial range in units of R_e.
    d4000_min, d4000_max : float
        Open interval of accepted D4000.
    oh_m13_min, oh_m13_max : float
        Closed interval of accepted 12+log(O/H) from M13 O3N2 (its fitted range).
    min_spaxels : int
        Minimum number of selected spaxels per galaxy.
    ba_min : float
        Minimum axis ratio b/a.
    log_mstar_min : float
        Minimum log10(M*/Msun) (Kroupa) of the final sample.
    gradient_err_max : float
        Largest accepted observed-gradient error, dex/R_e.
    bpt_dust_corrected : bool
        Classify spaxels on the BPT diagram with dust-corrected line ratios (the
        paper uses "the resulting reddening-corrected flux measurements throughout",
        §2.1). False uses the observed ratios; each ratio's two lines are close in
        wavelength, so the two agree except for spaxels next to the Kauffmann line.
    """

    snr_min: float = 3.0
    ew_ha_min: float = 10.0
    balmer_min: float = 2.86
    r_re_min: float = 0.5
    r_re_max: float = 2.0
    d4000_min: float = 0.0
    d4000_max: float = 2.0
    oh_m13_min: float = 8.17
    oh_m13_max: float = 8.77
    min_spaxels: int = 20
    ba_min: float = 0.6
    log_mstar_min: float = 8.9
    gradient_err_max: float = 0.1
    bpt_dust_corrected: bool = True

    def __post_init__(self):
        _check_range("selection.snr_min", self.snr_min, 0.0)
        _check_range("selection.ew_ha_min", self.ew_ha_min, 0.0)
        _check_range("selection.ba_min", self.ba_min, 0.0, 1.0)
        _check_range("selection.min_spaxels", self.min_spaxels, 2)
        _check_range("selection.gradient_err_max", self.gradient_err_max, 0.0)
        for lo, hi in (("r_re_min", "r_re_max"), ("d4000_min", "d4000_max"),
                       ("oh_m13_min", "oh_m13_max")):  # fmt: skip
            if getattr(self, lo) >= getattr(self, hi):
                raise ConfigError(
                    f"selection.{lo} = {getattr(self, lo)} must be below "
                    f"selection.{hi} = {getattr(self, hi)}"
                )


@dataclass(frozen=True)
class GradientConfig:
    """Gradient fits and their errors (§2.3, §4.1).

    Attributes
    ----------
    n_bootstrap : int
        Residual-bootstrap refits per observed gradient.
    n_noise : int
        Gaussian-noise refits per model gradient.
    seed : int
        Seed of every random draw of the analysis (recorded in outputs).
    models : tuple of str
        Model sets whose predicted gradients are measured (each with ``n_noise``
        refits). Default: the paper's base and SFH (§4); any of the seven may be
        added (``["all"]`` in TOML for every one), at about 0.8 s of analysis per
        1000 galaxies and model on 2 cores. base and SFH are always measured.
    """

    n_bootstrap: int = 100
    n_noise: int = 100
    seed: int = 20220525
    models: tuple[str, ...] = ("base", "SFH")

    def __post_init__(self):
        # each refit of a galaxy holds its resampled points: 1e9 refits would need TiB
        _check_range("gradients.n_bootstrap", self.n_bootstrap, 10, MAX_REFITS)
        _check_range("gradients.n_noise", self.n_noise, 10, MAX_REFITS)
        _check_range("gradients.seed", self.seed, 0)
        names = tuple(self.models)
        if names == ("all",):
            names = MODEL_SET_NAMES
        unknown = [m for m in names if m not in MODEL_SET_NAMES]
        if unknown:
            raise ConfigError(
                f"gradients.models: unknown model set(s) {unknown}; "
                f"choose from {list(MODEL_SET_NAMES)} or ['all']"
            )
        # base and SFH are always measured (the paper's figures need them), in table order
        names = tuple(m for m in MODEL_SET_NAMES if m in {"base", "SFH", *names})
        object.__setattr__(self, "models", names)


@dataclass(frozen=True)
class ModelConfig:
    """Bin widths and occupancy limits of the metallicity models (§3, design §5).

    Attributes
    ----------
    base_bin_mstar, base_bin_sigma : float
        Widths (dex) of the log M* x log Sigma_* grid of the base model.
    base_min_count : int
        Minimum spaxels in a base bin.
    base_loess_frac : float
        LOESS fraction over the occupied base-bin centres.
    d4000_bin, log_ew_bin : float
        1-D bin widths of the D4000 and log EW(Halpha) corrections.
    corr1d_min_count : int
        Minimum spaxels in a 1-D correction bin.
    sfh_bin_d4000, sfh_bin_log_ew, sfh_bin_log_age : float
        2-D bin widths of the SFH and SFH-Halpha corrections.
    corr2d_min_count : int
        Minimum spaxels in a 2-D correction bin.
    """

    base_bin_mstar: float = 0.05
    base_bin_sigma: float = 0.05
    base_min_count: int = 10
    base_loess_frac: float = 0.02
    d4000_bin: float = 0.05
    log_ew_bin: float = 0.1
    corr1d_min_count: int = 100
    sfh_bin_d4000: float = 0.01
    sfh_bin_log_ew: float = 0.02
    sfh_bin_log_age: float = 0.025
    corr2d_min_count: int = 10

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_count"):
                _check_range(f"models.{f.name}", value, 1)
            elif f.name == "base_loess_frac":
                _check_range(f"models.{f.name}", value, 1e-6, 1.0)
            else:
                _check_range(f"models.{f.name}", value, 1e-6, 10.0)


#: Sample weights of the learned models (``[learn] weighting``).
LEARN_WEIGHTINGS = ("none", "inverse_variance")


@dataclass(frozen=True)
class LearnConfig:
    """The ``learn`` stage: learned metallicity models scored on held-out galaxies (issue #16).

    Attributes
    ----------
    folds : int
        Galaxy folds: each galaxy is held out once, all its spaxels together.
    seed : int
        Seed of the fold assignment, the learners and the permutations.
    strata_mass, strata_size : int
        Quantile bins of log M* and, within each, of the offset from the median
        mass-size relation; the galaxies of each cell are dealt to the folds in turn.
    max_iter : int
        Boosting iterations of the gradient-boosted trees.
    learning_rate : float
        Shrinkage of each tree.
    max_leaf_nodes : int
        Leaves per tree.
    min_samples_leaf : int
        Minimum spaxels in a leaf.
    monotonic : bool
        Predictions may only rise with log M*, log Sigma_* and v_esc.
    weighting : str
        ``"none"`` (every spaxel alike) or ``"inverse_variance"`` (1 / (error^2 +
        intrinsic^2), the intrinsic scatter from the training fold's base-model
        residuals beyond the median measurement variance).
    importance_repeats : int
        Permutations per feature (and per group of correlated features).
    importance_max_spaxels : int
        Held-out spaxels per fold used for the permutation importances (a random
        subset above this; the scores always use them all).
    group_threshold : float
        |Spearman rho| above which features are grouped as correlated.
    """

    folds: int = 5
    seed: int = 20220525
    strata_mass: int = 3
    strata_size: int = 3
    max_iter: int = 200
    learning_rate: float = 0.1
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 200
    monotonic: bool = True
    weighting: str = "none"
    importance_repeats: int = 3
    importance_max_spaxels: int = 10000
    group_threshold: float = 0.7

    def __post_init__(self):
        _check_range("learn.folds", self.folds, 2, 50)
        _check_range("learn.seed", self.seed, 0)
        _check_range("learn.strata_mass", self.strata_mass, 1, 20)
        _check_range("learn.strata_size", self.strata_size, 1, 20)
        _check_range("learn.max_iter", self.max_iter, 1, 100000)
        _check_range("learn.learning_rate", self.learning_rate, 1e-6, 1.0)
        _check_range("learn.max_leaf_nodes", self.max_leaf_nodes, 2, 100000)
        _check_range("learn.min_samples_leaf", self.min_samples_leaf, 1)
        _check_range("learn.importance_repeats", self.importance_repeats, 1, 1000)
        _check_range("learn.importance_max_spaxels", self.importance_max_spaxels, 100)
        _check_range("learn.group_threshold", self.group_threshold, 0.0, 1.0)
        if self.weighting not in LEARN_WEIGHTINGS:
            raise ConfigError(
                f"learn.weighting must be one of {list(LEARN_WEIGHTINGS)}, got {self.weighting!r}"
            )


#: ``[analysis] oh_range``: the paper's M13 range cut for every calibrator, or each
#: calibrator's own validity range.
OH_RANGES: tuple[str, ...] = ("m13", "own")


@dataclass(frozen=True)
class AnalysisConfig:
    """How the analysis builds its galaxy samples (choices where the paper is silent or
    where a user may want another).

    Attributes
    ----------
    calibrators : tuple of str
        Calibrators ``metgrad analyse`` analyses when none is named (keys of
        :data:`metgrad.calibration.CALIBRATORS`, e.g. ``"m13"``, ``"c20_n2"``;
        ``["all"]`` for every calibrator the run's spaxel tables hold). Default:
        the paper's M13 O3N2 and PG16 R.
    reference_calibrator : str
        Calibrator whose final sample every other calibrator uses (Appendix B:
        PG16 is analysed on "the same final galaxy sample" as M13).
    recut_secondary : bool
        False (the paper): the other calibrators take exactly the reference's final
        galaxies and spaxels. True: each re-applies the gradient-error and model
        cuts with its own metallicities, on the reference's final galaxies.
    oh_range : str
        The metallicity range of the spaxel sample. ``"m13"`` (the paper, §2.2 and
        Appendix B): every calibrator on the spaxels inside the M13 O3N2 range
        (``selection.oh_m13_min`` to ``oh_m13_max``), so all are compared on the same
        spaxels. ``"own"``: the M13 range cut is not applied; each calibrator keeps
        the spaxels inside its own validity range (where it returns a value; the
        ranges are listed in docs/calibrators.md), every other cut
        unchanged, and the calibrators after the reference take the reference's final
        galaxies with their own spaxels, cut again as with ``recut_secondary``. No
        re-ingest is needed: ingest records every cut per spaxel. ``metgrad galaxy
        --config`` applies it to its gradients too.
    recheck_final_error : bool
        Re-apply ``selection.gradient_err_max`` to the final observed gradients
        (refitted on the final spaxels). The paper applies the cut once, before the
        models; on the 400-galaxy demo survey the re-check removes no galaxy.
    repeat_rule : str
        Which observation of a galaxy observed more than once (one ``mangaid``,
        several plate-ifus) is kept: ``"most_spaxels"`` (most selected spaxels,
        ties to the lowest plate-ifu) or ``"first"`` (lowest plate-ifu).
    azimuthal_bin : float
        Width (R/R_e) of the annuli of the azimuthally averaged profiles whose
        gradients are compared with the spaxel gradients (§2.3).
    """

    calibrators: tuple[str, ...] = ("m13", "pg16")
    reference_calibrator: str = "m13"
    recut_secondary: bool = False
    oh_range: str = "m13"
    recheck_final_error: bool = True
    repeat_rule: str = "most_spaxels"
    azimuthal_bin: float = 0.1

    def __post_init__(self):
        from .calibration import CALIBRATORS

        names = tuple(self.calibrators)
        unknown = [c for c in names if c not in CALIBRATORS and names != ("all",)]
        if unknown or not names:
            raise ConfigError(
                f"analysis.calibrators: unknown calibrator(s) {unknown}; choose from "
                f"{', '.join(CALIBRATORS)} or ['all']"
            )
        if self.reference_calibrator not in CALIBRATORS:
            raise ConfigError(
                f"analysis.reference_calibrator = {self.reference_calibrator!r}; choose from "
                f"{', '.join(CALIBRATORS)}"
            )
        object.__setattr__(self, "calibrators", names)
        if self.oh_range not in OH_RANGES:
            raise ConfigError(
                f"analysis.oh_range = {self.oh_range!r}; allowed: "
                f"{', '.join(repr(r) for r in OH_RANGES)}"
            )
        if self.repeat_rule not in ("most_spaxels", "first"):
            raise ConfigError(
                f"analysis.repeat_rule = {self.repeat_rule!r}; allowed: 'most_spaxels', 'first'"
            )
        _check_range("analysis.azimuthal_bin", self.azimuthal_bin, 0.01, 1.0)


@dataclass(frozen=True)
class TrendConfig:
    """Binned residual trends and the 2-D residual map of Figs 5, 6 and 9.

    Attributes
    ----------
    bin_log_ssfr, bin_d4000, bin_log_ew_ha, bin_log_mstar : float
        Bin widths (units of the columns: dex, D4000, dex, dex).
    min_count : int
        Minimum spaxels in a trend bin (the paper: 100).
    sfr_map_bin : float
        Width (dex) of the log Sigma_* x log Sigma_SFR bins of Fig 5.
    sfr_map_min_count : int
        Minimum spaxels in a bin of that map.
    """

    bin_log_ssfr: float = 0.1
    bin_d4000: float = 0.05
    bin_log_ew_ha: float = 0.1
    bin_log_mstar: float = 0.1
    min_count: int = 100
    sfr_map_bin: float = 0.05
    sfr_map_min_count: int = 10

    def __post_init__(self):
        for f in dataclasses.fields(self):
            if f.name.endswith("min_count"):
                _check_range(f"trends.{f.name}", getattr(self, f.name), 1)
            else:
                _check_range(f"trends.{f.name}", getattr(self, f.name), 1e-4, 2.0)

    @property
    def widths(self) -> dict[str, float]:
        """Spaxel column -> bin width of its residual trend."""
        return {
            "log_ssfr": self.bin_log_ssfr,
            "d4000": self.bin_d4000,
            "log_ew_ha": self.bin_log_ew_ha,
            "log_mstar": self.bin_log_mstar,
        }


@dataclass(frozen=True)
class MassSizeConfig:
    """The mass-size plane of §4: maps, bins, subsamples and profiles.

    Attributes
    ----------
    loess_frac : float
        Fraction of galaxies in each local LOESS fit of the maps (the paper: 0.2).
    relation_bin : float
        Width (dex in log M*) of the bins of the median mass-size relation.
    steep_percentile, shallow_percentile : float
        Galaxies at or below / at or above these percentiles of the SFH gradient
        offset within their mass-size bin are "steep" / "shallow".
    small_offset : float
        ``|offset| <=`` this (dex/R_e) is a "small residual" galaxy.
    profile_r_min, profile_r_max, profile_bin : float
        Radial-profile bins (R/R_e): from ``profile_r_min`` to ``profile_r_max`` in
        steps of ``profile_bin`` (the paper: 0.5 to 1.9 by 0.2).
    """

    loess_frac: float = 0.2
    relation_bin: float = 0.2
    steep_percentile: float = 10.0
    shallow_percentile: float = 90.0
    small_offset: float = 0.02
    profile_r_min: float = 0.5
    profile_r_max: float = 1.9
    profile_bin: float = 0.2

    def __post_init__(self):
        _check_range("massize.loess_frac", self.loess_frac, 0.01, 1.0)
        _check_range("massize.relation_bin", self.relation_bin, 0.01, 2.0)
        _check_range("massize.steep_percentile", self.steep_percentile, 0.0, 50.0)
        _check_range("massize.shallow_percentile", self.shallow_percentile, 50.0, 100.0)
        _check_range("massize.small_offset", self.small_offset, 0.0, 1.0)
        _check_range("massize.profile_bin", self.profile_bin, 0.01, 2.0)
        if not 0 <= self.profile_r_min < self.profile_r_max:
            raise ConfigError(
                f"massize.profile_r_min = {self.profile_r_min} must be >= 0 and below "
                f"massize.profile_r_max = {self.profile_r_max}"
            )

    @property
    def profile_edges(self):
        """Edges (R/R_e) of the radial-profile bins."""
        import numpy as np

        n = round((self.profile_r_max - self.profile_r_min) / self.profile_bin)
        return np.round(self.profile_r_min + self.profile_bin * np.arange(n + 1), 10)


@dataclass(frozen=True)
class RunConfig:
    """The whole configuration of a run; every section has the paper's defaults."""

    inputs: InputsConfig = field(default_factory=InputsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    match: MatchConfig = field(default_factory=MatchConfig)
    physics: PhysicsConfig = field(default_factory=PhysicsConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    gradients: GradientConfig = field(default_factory=GradientConfig)
    models: ModelConfig = field(default_factory=ModelConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    trends: TrendConfig = field(default_factory=TrendConfig)
    massize: MassSizeConfig = field(default_factory=MassSizeConfig)
    learn: LearnConfig = field(default_factory=LearnConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Plain, JSON-serialisable dictionary (paths as strings), for run manifests."""

        def plain(value):
            if isinstance(value, tuple):
                return list(value)
            return str(value) if isinstance(value, Path) else value

        return {
            f.name: {k: plain(v) for k, v in dataclasses.asdict(getattr(self, f.name)).items()}
            for f in dataclasses.fields(self)
        }


#: Options fixed when a run is ingested: they decide the spaxel tables, so an analysis
#: cannot change them (``metgrad analyse --config`` refuses a different value).
SPAXEL_LEVEL_OPTIONS: dict[str, tuple[str, ...]] = {
    "physics": tuple(f.name for f in dataclasses.fields(PhysicsConfig)),
    "selection": (
        "snr_min", "ew_ha_min", "balmer_min", "r_re_min", "r_re_max", "d4000_min",
        "d4000_max", "oh_m13_min", "oh_m13_max", "bpt_dust_corrected",
    ),
}  # fmt: skip


def spaxel_level_differences(a: RunConfig, b: RunConfig) -> list[str]:
    """The spaxel-level options (:data:`SPAXEL_LEVEL_OPTIONS`) whose values differ,
    as ``section.key = a-value -> b-value``."""
    out = []
    for section, keys in SPAXEL_LEVEL_OPTIONS.items():
        for key in keys:
            va, vb = getattr(getattr(a, section), key), getattr(getattr(b, section), key)
            if va != vb:
                out.append(f"{section}.{key} = {va!r} -> {vb!r}")
    return out


#: Sections that other tools write into the same file and metgrad ignores.
IGNORED_SECTIONS = frozenset({"mock"})


def _type_name(tp) -> str:
    return getattr(tp, "__name__", str(tp))


def _coerce(section: str, key: str, value: Any, annotation, base: Path) -> Any:
    name = f"{section}.{key}"
    origin = typing.get_origin(annotation)
    options = typing.get_args(annotation) if origin in (typing.Union, types.UnionType) else ()
    wanted = [t for t in options if t is not type(None)] or [annotation]
    target = wanted[0]
    if target is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{name} must be a path string, got {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else (base / path)
    if target is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name} must be true or false, got {value!r}")
        return value
    if target is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name} must be an integer, got {value!r}")
        return value
    if target is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value):  # TOML has nan and inf; every comparison with nan is False
            raise ConfigError(f"{name} must be a finite number, got {value!r}")
        return float(value)
    if typing.get_origin(target) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{name} must be a list of strings, got {value!r}")
        return tuple(value)
    if target is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{name}: unsupported type {_type_name(target)}")  # pragma: no cover


def config_from_dict(data: dict[str, Any], *, base: Path | None = None) -> RunConfig:
    """Build a validated :class:`RunConfig` from nested dictionaries.

    Parameters
    ----------
    data : dict
        ``{section: {key: value}}`` as parsed from TOML.
    base : Path, optional
        Folder that relative paths are taken from (default: the working folder).

    Raises
    ------
    ConfigError
        Unknown section or key (the message lists the allowed ones), wrong
        type, or a value out of range.
    """
    base = Path.cwd() if base is None else Path(base)
    sections = {f.name: f for f in dataclasses.fields(RunConfig)}
    built = {}
    for section, values in data.items():
        if section in IGNORED_SECTIONS:
            continue
        if section not in sections:
            allowed = ", ".join(sorted(sections))
            raise ConfigError(f"unknown section [{section}]; allowed sections: {allowed}")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section}] must be a table of key = value pairs")
        cls = sections[section].default_factory
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        kwargs = {}
        for key, value in values.items():
            if key not in hints:
                raise ConfigError(
                    f"unknown key {section}.{key}; allowed keys in [{section}]: {', '.join(names)}"
                )
            kwargs[key] = _coerce(section, key, value, hints[key], base)
        try:
            built[section] = cls(**kwargs)
        except TypeError as exc:  # pragma: no cover - guarded by the key check above
            raise ConfigError(f"[{section}]: {exc}") from None
    return RunConfig(**built)


def load_config(path: str | PathLike[str]) -> RunConfig:
    """Read and validate a TOML run configuration.

    Parameters
    ----------
    path : str or path-like
        The TOML file; relative paths inside it are resolved against its folder.

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        One line naming the file and the offending key.
    """
    path = Path(path)
    if path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(9)
        if head[:2] == b"\x1f\x8b" or head.startswith(b"SIMPLE  ="):
            raise ConfigError(
                f"{path.name}: a FITS file (a MAPS file or cube?), not a TOML configuration: "
                "`metgrad galaxy` takes one MAPS file; ingest, run and analyse take a survey.toml"
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path.name}: file not found") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    try:
        return config_from_dict(data, base=path.resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path.name}: {exc}") from None
