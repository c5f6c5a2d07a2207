"""Pure numpy physics: dust, star formation, IMF factors, BPT, strong-line calibrators.

Every function works on scalars (returning numpy scalars) and on numpy arrays of any
broadcastable shape; non-finite or non-positive inputs give NaN (False for the BPT
classifications) silently, without warnings or exceptions.

Modules
-------
- :mod:`~metgrad.physics.dust`: Calzetti et al. (2000) k(lambda), Balmer-decrement
  E(B-V), dereddening, DAP vacuum line wavelengths.
- :mod:`~metgrad.physics.calibrators`: a registry of 19 strong-line calibrators
  (``calibrators.available()``, ``calibrators.get(name)``), and the paper's Marino et
  al. (2013) O3N2 and Pilyugin & Grebel (2016) R functions, with propagated errors.
- :mod:`~metgrad.physics.bpt`: Kauffmann et al. (2003) and Kewley et al. (2001) lines.
- :mod:`~metgrad.physics.starformation`: Kennicutt et al. (2009) Halpha SFR, Sigma_SFR.
- :mod:`~metgrad.physics.stellarmass`: Sigma_* from the Pipe3D mass plane.
- :mod:`~metgrad.physics.imf`: Salpeter/Chabrier to Kroupa factors.
- :mod:`~metgrad.physics.cosmology`: the default cosmology, distances, spaxel area.
- :mod:`~metgrad.physics.potential`: spherical escape velocity from a stellar-mass map.
"""

from .bpt import is_below_kewley01, is_star_forming_k03, kauffmann03_curve, kewley01_curve
from .calibrators import (
    M13_O3N2_INTERCEPT,
    M13_O3N2_SLOPE,
    PG16_BRANCH_LOG_N2,
    PG16_DOUBLET_FACTOR,
    o3n2_index,
    oh_o3n2_m13,
    oh_o3n2_m13_error,
    oh_r_pg16,
    oh_r_pg16_error,
    pg16_log_ratios,
    pg16_r_calibration,
)
from .cosmology import (
    DEFAULT_COSMOLOGY,
    SPAXEL_ARCSEC,
    angular_diameter_distance_kpc,
    luminosity_distance_cm,
    spaxel_area_kpc2,
)
from .dust import (
    BALMER_DECREMENT_CASE_B,
    CALZETTI_RANGE_AA,
    LINE_WAVELENGTHS_VACUUM_AA,
    OII_DOUBLET_WAVELENGTH_VACUUM_AA,
    av_from_ebv,
    balmer_ebv,
    calzetti_k,
    deredden,
)
from .imf import CHABRIER_TO_KROUPA, SALPETER_TO_KROUPA
from .potential import G_KPC_KMS2_PER_MSUN, spherical_escape_velocity
from .starformation import (
    DAP_FLUX_UNIT,
    HALPHA_SFR_K09,
    line_luminosity,
    sfr_halpha_k09,
    sigma_sfr_halpha,
)
from .stellarmass import sigma_star_pipe3d

__all__ = [
    "BALMER_DECREMENT_CASE_B",
    "CALZETTI_RANGE_AA",
    "CHABRIER_TO_KROUPA",
    "DAP_FLUX_UNIT",
    "DEFAULT_COSMOLOGY",
    "G_KPC_KMS2_PER_MSUN",
    "HALPHA_SFR_K09",
    "LINE_WAVELENGTHS_VACUUM_AA",
    "M13_O3N2_INTERCEPT",
    "M13_O3N2_SLOPE",
    "OII_DOUBLET_WAVELENGTH_VACUUM_AA",
    "PG16_BRANCH_LOG_N2",
    "PG16_DOUBLET_FACTOR",
    "SALPETER_TO_KROUPA",
    "SPAXEL_ARCSEC",
    "angular_diameter_distance_kpc",
    "av_from_ebv",
    "balmer_ebv",
    "calzetti_k",
    "deredden",
    "is_below_kewley01",
    "is_star_forming_k03",
    "kauffmann03_curve",
    "kewley01_curve",
    "line_luminosity",
    "luminosity_distance_cm",
    "o3n2_index",
    "oh_o3n2_m13",
    "oh_o3n2_m13_error",
    "oh_r_pg16",
    "oh_r_pg16_error",
    "pg16_log_ratios",
    "pg16_r_calibration",
    "sfr_halpha_k09",
    "sigma_sfr_halpha",
    "sigma_star_pipe3d",
    "spaxel_area_kpc2",
    "spherical_escape_velocity",
]
