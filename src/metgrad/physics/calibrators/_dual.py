"""Arrays that carry their exact first derivatives (forward-mode differentiation).

A :class:`Dual` holds a value array and, for each independent variable, the array of
the value's derivative with respect to it. The calibrators' formulas are written
once with ordinary arithmetic on :class:`Dual` objects; the chain rule is applied
operation by operation, so the derivatives are exact (closed form), not finite
differences. The independent variables are the natural logarithms of the observed
line fluxes, ``ln F_j``, so a line-flux error propagates as
``sigma_y^2 = sum_j (dy/dln F_j)^2 (sigma_j / F_j)^2``.

With no derivatives requested (an empty ``grad``), a :class:`Dual` is a thin wrapper
around its value and the arithmetic costs the same as plain numpy.
"""

import numpy as np

__all__ = ["Dual", "lift", "substituted", "where"]

_LN10 = np.log(10.0)


def _scaled(grad, factor):
    return {name: g * factor for name, g in grad.items()}


def _combined(grad_a, factor_a, grad_b, factor_b):
    """``factor_a * grad_a + factor_b * grad_b``.

    A factor of exactly 1.0 or -1.0 (a sum or a difference) takes the array itself
    or its negation, the same numbers without a multiplication.
    """
    out = {}
    for grad, factor in ((grad_a, factor_a), (grad_b, factor_b)):
        for name, g in grad.items():
            term = _times(g, factor)
            out[name] = out[name] + term if name in out else term
    return out


def _times(g, factor):
    if isinstance(factor, float):
        if factor == 1.0:
            return g
        if factor == -1.0:
            return -g
    return g * factor


class Dual:
    """
    A float array with the exact derivatives of its value.

    Parameters
    ----------
    value : float or array_like
        The value.
    grad : dict of str to array_like, optional
        d value / d variable for each independent variable (absent: zero).
    """

    __slots__ = ("grad", "value")
    # numpy defers to the reflected operators (ndarray + Dual -> Dual.__radd__).
    __array_ufunc__ = None

    def __init__(self, value, grad=None):
        self.value = np.asarray(value, dtype=np.float64)
        self.grad = {} if grad is None else grad

    def __add__(self, other):
        other = lift(other)
        return Dual(self.value + other.value, _combined(self.grad, 1.0, other.grad, 1.0))

    __radd__ = __add__

    def __sub__(self, other):
        other = lift(other)
        return Dual(self.value - other.value, _combined(self.grad, 1.0, other.grad, -1.0))

    def __rsub__(self, other):
        return lift(other) - self

    def __neg__(self):
        return Dual(-self.value, _scaled(self.grad, -1.0))

    def __mul__(self, other):
        other = lift(other)
        grad = _combined(self.grad, other.value, other.grad, self.value)
        return Dual(self.value * other.value, grad)

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = lift(other)
        value = self.value / other.value
        grad = _combined(self.grad, 1.0 / other.value, other.grad, -value / other.value)
        return Dual(value, grad)

    def __rtruediv__(self, other):
        return lift(other) / self

    def __pow__(self, exponent):
        if not isinstance(exponent, int) or exponent < 1:
            raise ValueError(f"Dual powers take a positive integer exponent, got {exponent!r}")
        # self.value ** (exponent - 1), by products (faster than pow)
        lower = 1.0 if exponent == 1 else self.value
        for _ in range(exponent - 2):
            lower = lower * self.value
        return Dual(lower * self.value, _scaled(self.grad, exponent * lower))

    def log10(self):
        """Return ``log10(self)`` with its derivatives."""
        return Dual(np.log10(self.value), _scaled(self.grad, 1.0 / (self.value * _LN10)))

    def chain(self, value, derivative):
        """Return f(self) from its value f(self.value) and derivative f'(self.value)."""
        return Dual(value, _scaled(self.grad, derivative))


def lift(value):
    """Return ``value`` as a :class:`Dual` (constants have no derivatives)."""
    return value if isinstance(value, Dual) else Dual(value)


def where(condition, a, b):
    """Elementwise choice between two :class:`Dual` objects (and their derivatives)."""
    a, b = lift(a), lift(b)
    grad = {}
    for name in set(a.grad) | set(b.grad):
        grad[name] = np.where(condition, a.grad.get(name, 0.0), b.grad.get(name, 0.0))
    return Dual(np.where(condition, a.value, b.value), grad)


def substituted(function, *args):
    """
    ``function(*args)`` with derivatives, computed through its partial derivatives.

    The function is evaluated on the arguments re-seeded as independent variables
    (one derivative per argument instead of one per line flux), and the chain rule
    ``d f / d v = sum_i (d f / d a_i) (d a_i / d v)`` gives the derivatives by the
    original variables: the same exact result at a fraction of the cost when the
    function has many operations and the arguments many variables.

    Parameters
    ----------
    function : callable
        Takes ``len(args)`` Dual arguments and returns a Dual.
    *args : Dual
        Its arguments.

    Returns
    -------
    result : Dual
        The value with its derivatives by the original variables.
    partials : dict of int to `~numpy.ndarray`
        d function / d args[i] by argument position (absent: zero).
    """
    seeded = [Dual(arg.value, {i: np.float64(1.0)}) for i, arg in enumerate(args)]
    out = function(*seeded)
    grad = {}
    for i, arg in enumerate(args):
        partial = out.grad.get(i)
        if partial is None:
            continue
        for name, g in arg.grad.items():
            term = partial * g
            grad[name] = grad[name] + term if name in grad else term
    return Dual(out.value, grad), out.grad
