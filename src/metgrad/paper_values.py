"""Numbers Boardman et al. (2022, MNRAS) quote for MaNGA MPL-10 with the M13 O3N2 calibrator.

They are the context a report sets its own numbers beside, keyed like the
fields of an analysis ``summary.json``. On the synthetic survey they are not
targets: the synthetic galaxies follow relations chosen for testing, not the
real ones.
"""

from __future__ import annotations

__all__ = [
    "MODEL_NAMES",
    "PAPER_CITATION",
    "PAPER_HEADLINES",
    "PAPER_TABLE1",
    "PAPER_TABLEA1",
    "SOFTWARE_CITATION",
    "TABLE_ORDER",
]

#: The paper's names of the model sets (Table 1 and A1), keyed by ``MODEL_SETS`` name.
MODEL_NAMES: dict[str, str] = {
    "base": "Base",
    "D4000": "D4000",
    "EW_Ha": "Hα",
    "SFH_Ha": "SFH-Hα",
    "SFH": "SFH",
    "SFH_a": "SFH-a",
    "SFH_b": "SFH-b",
}

#: Rows of Tables 1 and A1 in the paper's order.
TABLE_ORDER: dict[str, tuple[str, ...]] = {
    "table1": ("base", "D4000", "EW_Ha", "SFH_Ha", "SFH"),
    "tableA1": ("SFH_a", "SFH_b", "SFH"),
}

#: The paper, as the report cites it.
PAPER_CITATION = (
    "Boardman N. F., Zasowski G., Newman J. A., et al., 2022, MNRAS, How well do local "
    "relations predict gas-phase metallicity gradients? Results from SDSS-IV MaNGA, "
    "arXiv:2205.08241 (doi:10.48550/arXiv.2205.08241)"
)
#: The software, as CITATION.cff gives it (the version is added by the report).
SOFTWARE_CITATION = (
    "The metgrad developers, metgrad: gas-phase metallicity gradients of galaxies "
    "predicted from local relations (BSD-3-Clause; CITATION.cff in its repository)"
)

#: (summary.json path, description, value quoted by the paper, where it is quoted)
PAPER_HEADLINES: tuple[tuple[str, str, float, str], ...] = (
    ("n_spaxels_after_cuts", "spaxels after the spaxel and >= 20-spaxel cuts", 871346, "§2.2"),
    ("n_galaxies_removed_low_mass", "galaxies removed below M* = 10^8.9 Msun", 15, "§3.3"),
    ("n_galaxies_final", "galaxies in the final sample", 2123, "§2.3, §3.3"),
    ("n_spaxels_final", "spaxels in the final sample", 861134, "§2.3, §3.3"),
    ("models_common_n", "spaxels with every Table 1 model (n)", 847025, "§3.2"),
    ("models_common_ln_n", "ln n", 13.65, "§3.2"),
    ("residual_base.median", "median residual, base models (dex)", 0.005, "§3.3"),
    ("residual_sfh.median", "median residual, SFH models (dex)", 0.001, "§3.3"),
    ("residual_base.dispersion", "residual dispersion, base models (dex)", 0.052, "§3.3"),
    ("residual_sfh.dispersion", "residual dispersion, SFH models (dex)", 0.045, "§3.3"),
    ("gradient_obs_error_median", "median observed gradient error (dex/Re)", 0.005, "§4.1"),
    ("gradient_obs_base_error_median", "median obs. + base model error (dex/Re)", 0.014, "§4.1"),
    ("offset_base.median", "median gradient offset, observed - base (dex/Re)", -0.009, "§4.1"),
    ("offset_base.dispersion", "dispersion of base gradient offsets (dex/Re)", 0.048, "§4.1"),
    ("offset_sfh.median", "median gradient offset, observed - SFH (dex/Re)", -0.007, "§4.1"),
    ("offset_sfh.dispersion", "dispersion of SFH gradient offsets (dex/Re)", 0.043, "§4.1"),
    ("mass_third_edges_log_mstar.0", "lower mass-third edge, log M*", 9.85, "§4.2"),
    ("mass_third_edges_log_mstar.1", "upper mass-third edge, log M*", 10.60, "§4.2"),
)  # fmt: skip

#: Table 1: model -> (residual dispersion dex, chi2, k, BIC).
PAPER_TABLE1: dict[str, tuple[float, float, int, float]] = {
    "base": (0.0523, 1.14e7, 2061, 1.14e7),
    "D4000": (0.0465, 5.85e6, 2077, 5.88e6),
    "EW_Ha": (0.0455, 5.49e6, 2077, 5.52e6),
    "SFH_Ha": (0.0452, 5.33e6, 4515, 5.39e6),
    "SFH": (0.0453, 5.10e6, 4267, 5.16e6),
}

#: Table A1: model -> (residual dispersion dex, chi2, k, BIC).
PAPER_TABLEA1: dict[str, tuple[float, float, int, float]] = {
    "SFH_a": (0.0454, 5.62e6, 4773, 5.69e6),
    "SFH_b": (0.0466, 5.13e6, 4526, 5.19e6),
    "SFH": (0.0452, 4.97e6, 4267, 5.03e6),
}
