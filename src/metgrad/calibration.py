"""The calibrators a run measures, and how each is named in columns, folders and figures.

The formulas live in :mod:`metgrad.physics.calibrators`; this module is the one
list the rest of the pipeline iterates over (ingest columns, the analysis, the
figures, the report and ``metgrad galaxy``), so that a calibrator is added in
one place. Each entry has a short ``key`` used in column names
(``oh_<key>``, ``oh_<key>_err``) and as the analysis folder
(``RUN/analysis/<key>/``).

Every calibrator of the formula registry is here, keyed by its registry alias
or its name in lower case (``M13_N2`` -> ``m13_n2``). The paper's two (Boardman
et al. 2022) are ``m13`` (Marino et al. 2013 O3N2, which also defines the spaxel
sample) and ``pg16`` (Pilyugin & Grebel 2016 R, Appendix B):
:data:`PAPER_CALIBRATORS`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import columns as C
from .physics import calibrators as registry

__all__ = ["CALIBRATORS", "PAPER_CALIBRATORS", "REFERENCE", "Calibrator", "get", "ordered"]


@dataclass(frozen=True)
class Calibrator:
    """One calibrator as the pipeline names it.

    Attributes
    ----------
    key : str
        Short lower-case key: column names and the analysis folder.
    name : str
        Name in the formula registry (:mod:`metgrad.physics.calibrators`).
    label : str
        For figures and the report, e.g. ``"M13 O3N2"``.
    reference : str
        Bibliographic reference of the calibration.
    scale : str
        ``"Te"`` (direct-method anchored) or ``"photoionisation"`` (model grids):
        absolute levels differ by 0.2-0.6 dex between the two.
    branched : bool
        The calibration is double-valued (a branch is chosen per spaxel).
    """

    key: str
    name: str
    label: str
    reference: str
    scale: str = "Te"
    branched: bool = False

    @property
    def oh_column(self) -> str:
        """Spaxel-table column of 12+log(O/H) (dex)."""
        return C.oh(self.key)

    @property
    def err_column(self) -> str:
        """Spaxel-table column of its 1-sigma measurement error (dex)."""
        return C.oh_err(self.key)

    @property
    def branch_column(self) -> str:
        """Spaxel-table column of the branch used (1 upper, -1 lower, 0 none)."""
        return f"branch_{self.key}"


def _from_registry(name: str) -> Calibrator:
    formula = registry.get(name)
    aliases = {target: alias for alias, target in registry.ALIASES.items()}
    key = aliases.get(name, name.lower())
    family, _, ratio = name.partition("_")
    label = f"{family} {ratio.replace('_', ' ')}"
    return Calibrator(key, name, label, formula.reference, formula.scale, formula.branched)


#: Every calibrator, by key, in the registry's order (the paper's two first).
CALIBRATORS: dict[str, Calibrator] = {
    c.key: c for c in (_from_registry(name) for name in registry.available())
}
#: The two calibrators of Boardman et al. (2022): the analysis default.
PAPER_CALIBRATORS = ("m13", "pg16")
#: The calibrator whose spaxel range and final sample define every calibrator's sample.
REFERENCE = "m13"


def get(key: str) -> Calibrator:
    """The calibrator of a key (or registry name); ValueError naming the keys there are."""
    by_name = {c.name: c for c in CALIBRATORS.values()}
    if key in by_name:
        return by_name[key]
    try:
        return CALIBRATORS[key]
    except KeyError:
        raise ValueError(
            f"unknown calibrator {key!r}; choose from {', '.join(CALIBRATORS)}"
        ) from None


def ordered(keys, *, reference: str = REFERENCE) -> list[str]:
    """``keys`` with the reference calibrator first (its sample is needed by the others)."""
    keys = list(dict.fromkeys(keys))
    return sorted(keys, key=lambda k: (k != reference, list(CALIBRATORS).index(k)))
