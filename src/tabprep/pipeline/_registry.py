"""The registry of built-in steps, as the layers above the steps see it (specs, artifacts).

Steps register themselves (``tabprep._base.step.register_step``) when their module is imported;
:func:`step_registry` imports every built-in step package first, so a spec or an artifact can
name any of them. Only registered classes can be built: no import-by-name, no ``eval``.
"""

from __future__ import annotations

import difflib

from tabprep._base.params import check_param_names, validate_params
from tabprep._base.step import registered_steps
from tabprep.errors import ConfigError

__all__ = ["step_registry", "make_step"]


def step_registry() -> dict[str, type]:
    """``{class name: class}`` of every registered step (imports the built-in step packages).

    Examples
    --------
    >>> reg = step_registry()
    >>> reg["StandardScaler"].__module__, "SimpleImputer" in reg
    ('tabprep.scale._scalers', True)
    """
    # importing the step packages registers their steps; imported on first use (CLI start-up)
    import tabprep.bin  # noqa: F401
    import tabprep.clean  # noqa: F401
    import tabprep.encode  # noqa: F401
    import tabprep.features  # noqa: F401
    import tabprep.scale  # noqa: F401
    from tabprep.split import KFold  # noqa: F401 - registers the splitters, which params may hold

    return registered_steps()


def make_step(type_name: str, params: dict | None = None):
    """Build and validate a registered step from its class name and parameters (for specs).

    Raises
    ------
    ConfigError
        Unknown step type, unknown parameter name, or invalid parameter value.

    Examples
    --------
    >>> make_step("MinMaxScaler", {"feature_range": (-1, 1)})
    MinMaxScaler(feature_range=(-1, 1))
    >>> make_step("MinMaxScalar")
    Traceback (most recent call last):
    ...
    tabprep.errors.ConfigError: unknown step type 'MinMaxScalar'. Hint: did you mean 'MinMaxScaler'?
    """
    registry = step_registry()
    cls = registry.get(type_name)
    if cls is None:
        close = difflib.get_close_matches(str(type_name), list(registry), n=1)
        raise ConfigError(f"unknown step type {type_name!r}",
                          hint=f"did you mean {close[0]!r}?" if close else "known steps: " + ", ".join(sorted(registry)))
    params = dict(params or {})
    check_param_names(cls, params)
    step = cls(**params)
    validate_params(step)
    return step
