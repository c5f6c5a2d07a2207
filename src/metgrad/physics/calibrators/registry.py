"""The calibrator registry: names to :class:`~.base.Calibrator` objects.

Each family module (m13, pp04, pg16, d16, kd02, kk04, c20) builds its calibrators
and calls :func:`register` when it is imported; :mod:`metgrad.physics.calibrators`
imports them all, so :func:`available` lists every calibrator in registration order.
A new calibration is added by writing its formula and registering it.
"""

from .base import Calibrator

__all__ = ["ALIASES", "available", "get", "register", "usable"]

_REGISTRY: dict[str, Calibrator] = {}

#: Short names accepted by :func:`get` (the paper's two calibrators).
ALIASES = {"m13": "M13_O3N2", "pg16": "PG16_R"}


def register(calibrator):
    """
    Add a calibrator to the registry under its name.

    Parameters
    ----------
    calibrator : Calibrator
        The calibrator to register.

    Returns
    -------
    calibrator : Calibrator
        The same object, so that ``NAME = register(Calibrator(...))`` reads well.

    Raises
    ------
    ValueError
        If it is not a `Calibrator` or its name (or an alias) is already taken.
    """
    if not isinstance(calibrator, Calibrator):
        raise ValueError(f"only Calibrator objects can be registered, got {calibrator!r}")
    if calibrator.name in _REGISTRY or calibrator.name in ALIASES:
        raise ValueError(f"a calibrator named {calibrator.name!r} is already registered")
    _REGISTRY[calibrator.name] = calibrator
    return calibrator


def available():
    """
    Names of all registered calibrators, in registration order.

    Returns
    -------
    names : tuple of str
    """
    return tuple(_REGISTRY)


def get(name):
    """
    The calibrator registered under ``name`` (or one of the :data:`ALIASES`).

    Parameters
    ----------
    name : str
        e.g. ``"M13_O3N2"``, ``"C20_R23"``, ``"m13"``.

    Returns
    -------
    calibrator : Calibrator

    Raises
    ------
    ValueError
        If no calibrator has that name; the message lists the available ones.
    """
    key = ALIASES.get(name, name)
    if not isinstance(key, str) or key not in _REGISTRY:
        names = ", ".join(available())
        aliases = ", ".join(f"{a} -> {n}" for a, n in ALIASES.items())
        raise ValueError(
            f"unknown calibrator {name!r}; available: {names} (aliases: {aliases})"
        )
    return _REGISTRY[key]


def usable(channels):
    """
    Names of the calibrators whose lines are all among ``channels``.

    Parameters
    ----------
    channels : iterable of str
        DAP channel names at hand (e.g. the keys of a flux mapping, or the
        ``EMLINE_GFLUX`` channel names of a MAPS file).

    Returns
    -------
    names : tuple of str
        In registration order. Computing errors with ``dust_correct=True`` also
        needs ``"Ha-6564"`` and ``"Hb-4862"`` among the channels.
    """
    present = set(channels)
    return tuple(name for name, cal in _REGISTRY.items() if present.issuperset(cal.lines))
