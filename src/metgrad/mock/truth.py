"""Truth tables of the synthetic survey: per spaxel, per galaxy, and the relations.

Per spaxel (``truth/spaxels/PLATE-IFU.parquet``, covered spaxels only): every
injected quantity, the true metallicity ``oh_te`` (Te scale) and each of its
terms, the ionisation-parameter offset ``log_u_offset``, what each of the 19
calibrators returns on the noise-free dust-free HII-region lines (``oh_m13``,
``oh_pg16``, ``oh_c20_r23``, ...; :mod:`metgrad.mock.scales`), the line fluxes
dust-free, reddened before the PSF, after the PSF and observed (with their
errors), the Pipe3D-like binned values, and flags saying which emission
component dominates Halpha by construction.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

from .config import MockConfig
from .lines import C20_COEFFICIENTS, C20_PIVOT, MODELLED_LINES
from .observe import FORESTAR, Observation
from .population import Galaxy, mass_size_median
from .scales import oh_on_scales

__all__ = ["line_tag", "relations_document", "spaxel_table", "true_gradient"]


def line_tag(name: str) -> str:
    """Column tag of a DAP line name: ``'NII-6585'`` -> ``'nii6585'``."""
    return name.lower().replace("-", "")


def true_gradient(oh: np.ndarray, r_re: np.ndarray, use: np.ndarray) -> tuple[float, float]:
    """Ordinary least-squares slope (dex/R_e) and intercept of ``oh`` against R/R_e.

    Spaxels where ``oh`` is NaN (no value on that calibrator) are left out; returns
    NaNs when fewer than 3 spaxels are usable.
    """
    use = use & np.isfinite(oh)
    if int(use.sum()) < 3:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(r_re[use], oh[use], 1)
    return float(slope), float(intercept)


def spaxel_table(
    galaxy: Galaxy,
    maps: dict,
    obs: Observation,
    p3d: dict,
    dap: dict,
    config: MockConfig,
    *,
    scales: dict | None = None,
) -> pa.Table:
    """Per-spaxel truth of one galaxy (covered spaxels, row-major order).

    Column units: densities face-on Kroupa (Msun/kpc^2, Msun/yr/kpc^2), fluxes
    1e-17 erg/s/cm^2/spaxel, EWs in A, ages log10(yr), radii arcsec/R_e/kpc,
    metallicities dex. ``scales`` are the maps of
    :func:`~metgrad.mock.scales.oh_on_scales` (computed here if not given).
    """
    if scales is None:
        scales = oh_on_scales(maps["oh_te"], maps["log_u"], config)
    cov = obs.covered
    rows, cols = np.nonzero(cov)
    ha_total = obs.ha_sf + obs.ha_dig + obs.ha_liner
    sf_frac = obs.ha_sf / ha_total
    dominant = np.argmax(np.stack([obs.ha_sf, obs.ha_dig, obs.ha_liner]), axis=0)
    area = (config.spaxel_arcsec * galaxy.kpc_per_arcsec) ** 2
    sigma_p3d = (
        10.0 ** p3d["log_mass_bin"] * p3d["dezon"] * galaxy.ba * config.salpeter_to_kroupa / area
    )
    columns: dict[str, np.ndarray] = {
        "spaxel_row": rows.astype(np.int32),
        "spaxel_col": cols.astype(np.int32),
        "x_arcsec": maps["x"],
        "y_arcsec": maps["y"],
        "r_arcsec": maps["r_arcsec"],
        "r_re": maps["r_re"],
        "r_kpc": maps["r_kpc"],
        "azimuth_deg": maps["azimuth"],
        "sigma_star": maps["sigma_star"],
        "log_sigma_star": np.log10(maps["sigma_star"]),
        "sigma_sfr": maps["sigma_sfr"],
        "log_sigma_sfr": np.log10(maps["sigma_sfr"]),
        "log_ssfr": np.log10(maps["ssfr"]),
        "ew_ha_sf": maps["ew_sf"],
        "ew_ha_psf": obs.ew_psf,
        "ew_ha_obs": obs.sew,
        "d4000": maps["d4000"],
        "log_tlw": maps["log_tlw"],
        "log_tlw_expected": maps["log_tlw_expected"],
        "rejuvenation": maps["rejuvenation"],
        "av": maps["av"],
        "ebv": maps["ebv"],
        "oh_base": maps["oh_base"],
        "oh_d4000": maps["oh_d4000"],
        "oh_tlw": maps["oh_tlw"],
        "oh_size": maps["oh_size"],
        "oh_scatter": maps["oh_scatter"],
        "oh_te": maps["oh_te"],
        "log_u_offset": maps["log_u"],
        **scales,
        "ha_sf": obs.ha_sf,
        "ha_dig": obs.ha_dig,
        "ha_liner": obs.ha_liner,
        "ha_sf_fraction": sf_frac,
        "is_star_forming": dominant == 0,
        "is_dig": dominant == 1,
        "is_liner": dominant == 2,
        "continuum_ha_psf": obs.continuum_psf,
        "spx_snr": obs.spx_snr,
        "fit_failed": obs.fit_failed,
        "forestar": (obs.base_mask & FORESTAR) > 0,
        "cs_bin": p3d["binid"],
        "dezonification": p3d["dezon"],
        "sigma_star_pipe3d": sigma_p3d,
        "log_tlw_pipe3d": p3d["log_age_lw"],
        "d4000_pipe3d": p3d["d4000"],
        "d4000_dap": dap["d4000"],
    }
    for k, name in enumerate(MODELLED_LINES):
        tag = line_tag(name)
        columns[f"{tag}_dustfree"] = obs.flux_nofilter[k]
        columns[f"{tag}_nopsf"] = obs.flux_nopsf[k]
        columns[f"{tag}_psf"] = obs.flux_psf[k]
        columns[f"{tag}_gflux"] = obs.gflux[k]
        columns[f"{tag}_gflux_err"] = obs.gflux_sigma[k]
    columns["ha6564_sflux"] = obs.line("sflux", "Ha-6564")
    arrays = {}
    for key, value in columns.items():
        data = value if key.startswith("spaxel_") else np.asarray(value)[cov]
        if data.dtype == bool:
            arrays[key] = pa.array(data)
        elif np.issubdtype(data.dtype, np.integer):
            arrays[key] = pa.array(data.astype(np.int32))
        else:
            arrays[key] = pa.array(data.astype(np.float32))
    return pa.table(arrays)


def relations_document(config: MockConfig) -> str:
    """JSON text with the injected relations (formulas and parameters)."""
    doc = {
        "description": "Relations injected by metgrad.mock; see metgrad.mock.maps and .lines.",
        "mass_size": {
            "formula": (
                "log10 Re[kpc] = size_intercept + size_slope (log M* - 10) + N(0, size_scatter)"
            ),
            "size_intercept": config.size_intercept,
            "size_slope": config.size_slope,
            "size_scatter": config.size_scatter,
            "median_at_logm": {
                str(m): float(mass_size_median(m, config)) for m in (9.0, 10.0, 11.0)
            },
        },
        "metallicity": {
            "scale": "true 12 + log(O/H), Te (direct-method) scale",
            "formula": (
                "oh_te = centre + amplitude tanh((c_m (logM - 10) + c_s (log Sigma_* - 8.5))"
                " / width) + d4000_coeff (D4000 - d4000_pivot)"
                " + tlw_coeff (log t_LW - (tlw_at_d4000_1 + tlw_per_d4000 (D4000 - 1)))"
                " * clip((d4000_zero - D4000)/(d4000_zero - d4000_full), 0, 1)"
                " + size_coeff max(size_residual, 0) (R/Re - size_pivot) + N(0, scatter)"
            ),
            "centre": config.oh_centre,
            "amplitude": config.oh_amplitude,
            "width": config.oh_width,
            "c_m": config.oh_mass_coeff,
            "c_s": config.oh_sigma_coeff,
            "d4000_coeff": config.oh_d4000_coeff,
            "d4000_pivot": config.oh_d4000_pivot,
            "tlw_coeff": config.oh_tlw_coeff,
            "tlw_at_d4000_1": config.tlw_at_d4000_1,
            "tlw_per_d4000": config.tlw_per_d4000,
            "d4000_full": config.oh_tlw_d4000_full,
            "d4000_zero": config.oh_tlw_d4000_zero,
            "size_coeff": config.oh_size_coeff,
            "size_pivot": config.oh_size_pivot,
            "scatter": config.oh_scatter,
            "units": "Sigma_* face-on Kroupa Msun/kpc^2; t_LW in yr; M* Kroupa Msun",
        },
        "hii_lines": {
            "formula": (
                "log R = sum_i c_i (oh_te - pivot)^i + a_R log_u for R in R3 = [OIII]5007/Hb,"
                " N2 = [NII]6584/Ha, O3O2 = [OIII]5007/[OII]3727,29, S2 = [SII]6717,31/Ha;"
                " Hb = Ha / balmer_intrinsic; log_u = log_u_galaxy + field (per spaxel)"
            ),
            "reference": "Curti et al. (2020), MNRAS 491, 944, Table 2",
            "pivot": C20_PIVOT,
            "coefficients": {k: list(v) for k, v in C20_COEFFICIENTS.items()},
            "ion_response": dict(
                zip(("R3", "O3O2", "N2", "S2"), config.ion_response, strict=True)
            ),
            "ion_scatter_galaxy": config.ion_scatter_galaxy,
            "ion_scatter_field": config.ion_scatter_field,
            "balmer_intrinsic": config.balmer_intrinsic,
            "ties": {"OIII-4960/OIII-5008": 0.35, "NII-6549/NII-6585": 0.34},
            "doublets": {
                "OII-3729/OII-3727": config.oii_ratio_3729_3727,
                "SII-6718/SII-6732": config.sii_ratio_6718_6732,
            },
            "calibrator_scales": (
                "truth spaxel columns oh_<key> (oh_m13 = M13 O3N2, oh_pg16 = PG16 R, oh_c20_r23"
                " = C20 R23, ...: every calibrator of metgrad.mock.scales.SCALES) are what"
                " each calibrator's formula returns on these lines, noise- and dust-free;"
                " truth/galaxies.parquet true_gradient_<key> their least-squares gradients"
                " over the star-forming spaxels at 0.5-2 R_e"
            ),
        },
        "resolved_sfms": {
            "formula": "log Sigma_SFR = slope log Sigma_* + intercept (+ smooth scatter)",
            "slope": config.sfms_slope,
            "intercept": config.sfms_intercept,
            "scatter": config.sfms_scatter,
        },
        "dust": {
            "formula": "A_V = clip(av_at_sigma8 + av_slope (log Sigma_* - 8), 0, av_max)",
            "av_at_sigma8": config.av_at_sigma8,
            "av_slope": config.av_slope,
            "r_v": config.r_v,
        },
        "d4000": {
            "formula": "D4000 = d4000_at_ssfr10 + d4000_per_ssfr_dex (log sSFR + 10)",
            "d4000_at_ssfr10": config.d4000_at_ssfr10,
            "d4000_per_ssfr_dex": config.d4000_per_ssfr_dex,
        },
        "ew_halpha": {
            "formula": "EW_SF = 10**(log sSFR + ew_per_ssfr_dex)",
            "ew_per_ssfr_dex": config.ew_per_ssfr_dex,
        },
        "config": config.to_dict(),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
