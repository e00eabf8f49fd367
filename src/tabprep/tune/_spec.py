"""A pipeline spec with a model and a search space: the TOML of ``tabprep evaluate`` / ``tabprep tune``.

The pipeline part is an ordinary spec (:func:`tabprep.pipeline.spec_from_dict`, same checks and
wording); three optional tables are added::

    [model]
    type = "HistGradientBoostingClassifier"       # a name of tabprep.evaluate.MODELS
    params = { max_iter = 200 }
    early_stopping = 20        # LightGBM / XGBoost: rounds without improvement on a validation
    validation_fraction = 0.1  # share of each fold's training rows (cross_validate's parameters)

    [search]                                      # set_params names
    te__smooth = { low = 0.1, high = 100.0, log = true }    # a float range
    model__max_leaf_nodes = { low = 8, high = 64 }          # an int range (int bounds)
    impute__strategy = ["mean", "median"]                   # a list: a grid axis / a choice

    [tune]                                        # defaults of the command's options
    strategy = "tpe"    trials = 30    cv = 5    scoring = "roc_auc"    seed = 0
    fidelity = "rows"   pruner = "hyperband"     study_name = "churn"    n_jobs = 2
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tabprep.errors import ConfigError
from tabprep.pipeline._toml import parse_toml, read_toml_text, unknown_keys

__all__ = ["TuneSpec", "read_tune_spec", "parse_space"]

_MODEL_KEYS = ("type", "params", "early_stopping", "validation_fraction")
#: ``[model]`` keys that are fitting options of cross_validate / tune, not model parameters.
FIT_OPTIONS = ("early_stopping", "validation_fraction")
_RANGE_KEYS = ("low", "high", "log", "step")
_TUNE_KEYS = ("strategy", "trials", "cv", "scoring", "seed", "fidelity", "pruner", "study_name", "timeout", "n_jobs")


@dataclass(frozen=True)
class TuneSpec:
    """A parsed spec: the pipeline, its target, the model (or None), the space, tune defaults and
    the model's fitting options (``early_stopping``, ``validation_fraction`` of ``[model]``)."""

    pipeline: Any
    target: str | None = None
    model: Any = None
    space: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)
    path: Path | None = None
    fit_options: dict = field(default_factory=dict)


def read_tune_spec(path: str | os.PathLike[str]) -> TuneSpec:
    """Read a TOML spec that may hold ``[model]``, ``[search]`` and ``[tune]`` tables.

    Examples
    --------
    >>> import os, tempfile
    >>> from pathlib import Path
    >>> text = '''
    ... target = "y"
    ... [[steps]]
    ... name = "te"
    ... type = "TargetEncoder"
    ... columns = "c"
    ... [model]
    ... type = "LogisticRegression"
    ... [search]
    ... te__smooth = { low = 0.5, high = 50.0, log = true }
    ... model__C = [0.1, 1.0]
    ... '''
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "s.toml")
    ...     _ = Path(p).write_text(text)
    ...     spec = read_tune_spec(p)
    >>> spec.target, spec.model, spec.space["model__C"]
    ('y', LogisticRegression(), [0.1, 1.0])
    >>> spec.space["te__smooth"]
    FloatDistribution(high=50.0, log=True, low=0.5, step=None)
    """
    from tabprep.pipeline._spec import spec_from_dict

    path = Path(path)
    raw = parse_toml(read_toml_text(path, "spec"), path, "spec")
    model_t = raw.pop("model", None)
    search_t = raw.pop("search", None)
    tune_t = raw.pop("tune", None)
    base = spec_from_dict(raw, path=path)
    model, fit_options = None, {}
    if model_t is not None:
        from tabprep.evaluate import make_model

        if not isinstance(model_t, dict) or "type" not in model_t:
            raise ConfigError("[model] needs `type = \"ModelName\"`", path=str(path))
        unknown_keys(model_t, _MODEL_KEYS, "[model]: ", path)
        params = model_t.get("params", {})
        if not isinstance(params, dict):
            raise ConfigError("[model] params must be a table", path=str(path), found=repr(params))
        model = make_model(model_t["type"], params, source=f"[model] of {path}")
        fit_options = {k: model_t[k] for k in FIT_OPTIONS if k in model_t}
        if fit_options:
            from tabprep.evaluate._boosting import check_early_stopping

            try:
                check_early_stopping(model, fit_options.get("early_stopping"),
                                     fit_options.get("validation_fraction", 0.1), "[model]")
            except ConfigError as exc:  # the same error, located in the spec file
                raise ConfigError(exc.message, path=str(path), found=exc.found, hint=exc.hint,
                                  cli_hint=exc.cli_hint) from exc
    space = parse_space(search_t or {}, path=path)
    options = dict(tune_t or {})
    unknown_keys(options, _TUNE_KEYS, "[tune]: ", path)
    return TuneSpec(base.pipeline, base.target, model, space, options, path, fit_options)


def parse_space(table: dict, *, path=None) -> dict:
    """The ``[search]`` table as a space: lists stay lists, ``{low, high, log, step}`` tables
    become Optuna's ``FloatDistribution`` (a float bound) or ``IntDistribution`` (int bounds)."""
    if not isinstance(table, dict):
        raise ConfigError("[search] must be a table of name = range or list", path=None if path is None else str(path))
    out = {}
    for name, value in table.items():
        if isinstance(value, list):
            out[name] = value
            continue
        if not isinstance(value, dict) or "low" not in value or "high" not in value:
            raise ConfigError(f"[search] {name}: give a list of values or a table {{ low = .., high = .. }}",
                              path=None if path is None else str(path), found=repr(value))
        unknown_keys(value, _RANGE_KEYS, f"[search] {name}: ", path)
        from optuna.distributions import FloatDistribution, IntDistribution

        low, high = value["low"], value["high"]
        kwargs = {"log": bool(value.get("log", False))}
        if "step" in value:
            kwargs["step"] = value["step"]
        try:
            if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)):
                out[name] = IntDistribution(low, high, **{"step": 1, **kwargs})
            else:
                out[name] = FloatDistribution(float(low), float(high), **kwargs)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"[search] {name}: {exc}", path=None if path is None else str(path)) from exc
    return out
