"""tabprep.errors: one tree, builtins refined, and scikit-learn's NotFittedError caught as such."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys

import numpy as np
import polars as pl
import pytest
import sklearn.exceptions

import tabprep.errors as errors

HEAVY = ("polars", "numpy", "pyarrow", "numba", "sklearn", "pandas", "scipy")


def _heavy_after(code: str) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_not_fitted_error_is_scikit_learns_too():
    cls = errors.NotFittedError
    assert issubclass(cls, sklearn.exceptions.NotFittedError)
    assert issubclass(cls, errors.TabprepError) and issubclass(cls, ValueError) and issubclass(cls, AttributeError)
    assert cls.exit_code == 2 and cls is errors.NotFittedError  # one class, made once
    assert (cls.__module__, cls.__qualname__) == ("tabprep.errors", "NotFittedError")
    assert "NotFittedError" in dir(errors) and "NotFittedError" in errors.__all__


def test_except_sklearn_not_fitted_error_catches_an_unfitted_step():
    from tabprep.clean import SimpleImputer
    from tabprep.scale import StandardScaler

    for step in (StandardScaler(), SimpleImputer()):
        with pytest.raises(sklearn.exceptions.NotFittedError, match="is not fitted yet") as err:
            step.transform(pl.DataFrame({"a": [1.0]}))
        assert isinstance(err.value, errors.NotFittedError)
    try:
        StandardScaler().transform(np.zeros((2, 1)))
    except sklearn.exceptions.NotFittedError as exc:  # the spelling of code written for scikit-learn
        caught = exc
    assert type(caught) is errors.NotFittedError


def test_not_fitted_error_keeps_its_context_through_pickle():
    exc = errors.NotFittedError("not fitted", column="a", hint="call fit")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is errors.NotFittedError and str(back) == str(exc) == "column 'a': not fitted. Hint: call fit"
    # in a fresh process, unpickling makes the class on first use
    code = (f"import pickle; e = pickle.loads({pickle.dumps(exc)!r}); import sklearn.exceptions as s; "
            "assert isinstance(e, s.NotFittedError), type(e).__mro__; print(e.column)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "a", proc.stderr


def test_import_tabprep_errors_stays_light():
    # the subclass of scikit-learn's class is made on first use: importing the module, or any
    # other error class, imports neither scikit-learn nor NumPy
    assert _heavy_after("import tabprep.errors as e\nassert e.DataError('x').exit_code == 3") == []
    assert _heavy_after("from tabprep.errors import ConfigError, SchemaError, TabprepError") == []
    assert "sklearn" in _heavy_after("from tabprep.errors import NotFittedError")


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        errors.Nope  # noqa: B018
