"""Scikit-learn-style estimator plumbing without the scikit-learn dependency.

The metallicity models follow the scikit-learn estimator contract: ``__init__`` only
stores its keyword arguments (the hyper-parameters), ``fit`` returns ``self`` and
learned state lives in attributes whose names end in ``_``. This module provides the
small part of scikit-learn's machinery that the models need: ``get_params`` /
``set_params`` (with ``outer__inner`` names for nested estimators), ``clone``,
a readable ``repr`` and :func:`check_is_fitted`.
"""

from __future__ import annotations

import copy
import inspect

__all__ = ["EstimatorMixin", "NotFittedError", "check_is_fitted", "clone"]


class NotFittedError(ValueError):
    """An estimator was used (``predict``, fitted attributes) before ``fit``.

    Subclasses `ValueError`, like scikit-learn's exception of the same name.
    """


class EstimatorMixin:
    """``get_params``, ``set_params`` and ``repr`` from the ``__init__`` keywords.

    A subclass's ``__init__`` must store every argument unchanged under its own
    name (``self.widths = widths``) and take no ``*args`` or ``**kwargs``.

    Examples
    --------
    >>> class Smoother(EstimatorMixin):
    ...     def __init__(self, width=0.05, min_count=10):
    ...         self.width = width
    ...         self.min_count = min_count
    >>> Smoother(width=0.1)
    Smoother(width=0.1, min_count=10)
    >>> Smoother().set_params(min_count=3).get_params()
    {'width': 0.05, 'min_count': 3}
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        """Names of the ``__init__`` parameters, in signature order."""
        names = []
        for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise TypeError(
                    f"{cls.__name__}.__init__ must not take *args or **kwargs "
                    "(every hyper-parameter needs a name)"
                )
            names.append(parameter.name)
        return names

    def get_params(self, deep=True):
        """Hyper-parameters of this estimator.

        Parameters
        ----------
        deep : bool, optional
            If True (default), also return the parameters of sub-estimators as
            ``name__parameter`` entries.

        Returns
        -------
        params : dict
            Parameter name -> value.
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and isinstance(value, EstimatorMixin):
                for sub_name, sub_value in value.get_params(deep=True).items():
                    params[f"{name}__{sub_name}"] = sub_value
        return params

    def set_params(self, **params):
        """Set hyper-parameters; ``name__parameter`` reaches into sub-estimators.

        Parameters
        ----------
        **params
            Parameter name -> new value.

        Returns
        -------
        self : estimator
            This estimator (its fitted state, if any, is not updated: refit it).

        Raises
        ------
        ValueError
            If a name is not a parameter of this estimator (or of the named
            sub-estimator).
        """
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, nested_marker, sub_name = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters are {valid}"
                )
            if nested_marker:
                nested.setdefault(name, {})[sub_name] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            sub_estimator = getattr(self, name)
            if not isinstance(sub_estimator, EstimatorMixin):
                raise ValueError(
                    f"parameter {name!r} of {type(self).__name__} is not an estimator, "
                    f"so {name}__... cannot be set"
                )
            sub_estimator.set_params(**sub_params)
        return self

    def __repr__(self):
        arguments = ", ".join(
            f"{name}={value!r}" for name, value in self.get_params(deep=False).items()
        )
        return f"{type(self).__name__}({arguments})"


def clone(estimator):
    """A new, unfitted estimator with the same hyper-parameters.

    Sub-estimators are cloned recursively and other parameter values deep-copied, so
    the clone shares no mutable state with the original.

    Parameters
    ----------
    estimator : EstimatorMixin
        Fitted or not.

    Returns
    -------
    estimator : EstimatorMixin
        Unfitted, of the same class.
    """
    if not isinstance(estimator, EstimatorMixin):
        raise ValueError(f"cannot clone {estimator!r}: it is not a metgrad estimator")
    params = {
        name: clone(value) if isinstance(value, EstimatorMixin) else copy.deepcopy(value)
        for name, value in estimator.get_params(deep=False).items()
    }
    return type(estimator)(**params)


def check_is_fitted(estimator, attributes=None):
    """Raise `NotFittedError` unless ``estimator`` has been fitted.

    Parameters
    ----------
    estimator : object
        The estimator to check.
    attributes : sequence of str, optional
        Fitted attributes that must exist. By default, any attribute whose name ends
        in ``_`` (and does not start with ``__``) counts as fitted state.

    Raises
    ------
    NotFittedError
        If the fitted state is missing.
    """
    if attributes is None:
        fitted = any(name.endswith("_") and not name.startswith("__") for name in vars(estimator))
    else:
        fitted = all(hasattr(estimator, name) for name in attributes)
    if not fitted:
        raise NotFittedError(
            f"this {type(estimator).__name__} is not fitted yet: call fit(X, y) first"
        )
