"""The calibrators a run measures, and how each is named in columns, folders and figures.

The formulas live in :mod:`metgrad.physics.calibrators`; this module is the one
list the rest of the pipeline iterates over (ingest columns, the analysis, the
figures, the report and ``metgrad galaxy``), so that a calibrator is added in
one place. Each entry has a short ``key`` used in column names
(``oh_<key>``, ``oh_<key>_err``) and as the analysis folder
(``RUN/analysis/<key>/``).

The paper's two (Boardman et al. 2022) are ``m13`` (Marino et al. 2013 O3N2,
which also defines the spaxel sample) and ``pg16`` (Pilyugin & Grebel 2016 R,
Appendix B).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import columns as C

__all__ = ["CALIBRATORS", "REFERENCE", "Calibrator", "get", "ordered"]


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
    """

    key: str
    name: str
    label: str
    reference: str

    @property
    def oh_column(self) -> str:
        """Spaxel-table column of 12+log(O/H) (dex)."""
        return C.oh(self.key)

    @property
    def err_column(self) -> str:
        """Spaxel-table column of its 1-sigma measurement error (dex)."""
        return C.oh_err(self.key)


#: The calibrators in use, by key, in the order the report shows them.
CALIBRATORS: dict[str, Calibrator] = {
    c.key: c
    for c in (
        Calibrator("m13", "M13_O3N2", "M13 O3N2", "Marino et al. 2013, A&A 559, A114, eq. 2"),
        Calibrator(
            "pg16", "PG16_R", "PG16 R", "Pilyugin & Grebel 2016, MNRAS 457, 3678, eqs 4-5"
        ),
    )
}
#: The calibrator whose spaxel range and final sample define every calibrator's sample.
REFERENCE = "m13"


def get(key: str) -> Calibrator:
    """The calibrator of a key; ValueError naming the keys there are."""
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
