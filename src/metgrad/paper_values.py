"""Numbers Boardman et al. (2022, MNRAS) quote for MaNGA MPL-10 with the M13 O3N2 calibrator.

They are the context a report sets its own numbers beside, keyed like the
fields of an analysis ``summary.json``. On the synthetic survey they are not
targets: the synthetic galaxies follow relations chosen for testing, not the
real ones.
"""

from __future__ import annotations

__all__ = ["PAPER_HEADLINES", "PAPER_TABLE1", "PAPER_TABLEA1"]

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
