"""docs/sklearn-differences.md stays true: its examples run, and the parameters of tabprep's
steps and splitters differ from scikit-learn's only where the page says."""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import sklearn.impute
import sklearn.model_selection
import sklearn.preprocessing

import tabprep.split
from tabprep.pipeline import step_registry

PAGE = Path(__file__).resolve().parent.parent / "docs" / "sklearn-differences.md"

# (class, kind, name) -> a phrase of the page that documents the difference
DOCUMENTED = {
    ("KBinsDiscretizer", "extra", "handle_missing"): "adds `handle_missing` and `sketch`",
    ("KBinsDiscretizer", "extra", "sketch"): "adds `handle_missing` and `sketch`",
    ("OrdinalEncoder", "extra", "order"): "`OrdinalEncoder` adds `order`",
    ("TargetEncoder", "extra", "handle_missing"): "`handle_unknown`/`handle_missing`",
    ("TargetEncoder", "extra", "handle_unknown"): "`handle_unknown`/`handle_missing`",
    ("TargetEncoder", "default", "random_state"): "`random_state` defaults to 0",
    ("TargetEncoder", "default", "shuffle"): "`shuffle` and `random_state` are not deprecated",
    ("TargetEncoder", "fit", "sample_weight"): "`sample_weight` and a fold column name as `cv` are added",
}
SPLITTERS = ["KFold", "StratifiedKFold", "GroupKFold", "StratifiedGroupKFold", "TimeSeriesSplit", "RepeatedKFold",
             "RepeatedStratifiedKFold", "train_test_split"]


def _pairs():
    for name, cls in sorted(step_registry().items()):
        theirs = getattr(sklearn.preprocessing, name, None) or getattr(sklearn.impute, name, None)
        if theirs is not None:
            yield name, cls, theirs
    for name in SPLITTERS:
        yield name, getattr(tabprep.split, name), getattr(sklearn.model_selection, name)


def _params(fn) -> dict:
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if k != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _differences(name, ours, theirs) -> set:
    found = set()
    init = (lambda c: c) if inspect.isfunction(ours) else (lambda c: c.__init__)
    mine, sk = _params(init(ours)), _params(init(theirs))
    for k in set(mine) | set(sk):
        if k not in mine:
            found.add((name, "missing", k))
        elif k not in sk:
            found.add((name, "extra", k))
        elif not (mine[k] is sk[k] or (type(mine[k]) is type(sk[k]) and mine[k] == sk[k])
                  or all(isinstance(v, float) and v != v for v in (mine[k], sk[k]))):
            found.add((name, "default", k))
    if not inspect.isfunction(ours) and hasattr(theirs, "transform"):
        for method in ("fit", "transform"):
            mine, sk = _params(getattr(ours, method)), _params(getattr(theirs, method))
            found |= {(name, method, k) for k in set(mine) ^ set(sk)}
    return found


def test_parameters_differ_from_scikit_learn_only_where_the_page_says():
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    found = set().union(*(_differences(*pair) for pair in _pairs()))
    assert found == set(DOCUMENTED)
    for phrase in DOCUMENTED.values():
        assert phrase in text, phrase


def test_the_page_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile("\n".join(line[2:] if line.startswith("  ") else line for line in block.splitlines()),
                     str(PAGE), "exec"), {"__name__": "page"})


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_target_encoder_int_cv_differs_but_the_same_splitter_gives_scikit_learns_numbers(kind):
    from sklearn.model_selection import KFold as SkKFold
    from sklearn.model_selection import StratifiedKFold as SkStratifiedKFold
    from sklearn.preprocessing import TargetEncoder as SkTargetEncoder

    from tabprep.encode import TargetEncoder

    rng = np.random.default_rng(7)
    X = rng.choice(list("abcdefghij"), size=(2000, 2)).astype(object)
    y = (rng.random(2000) < 0.3).astype(int) if kind == "binary" else rng.normal(size=2000)
    sk_cv, our_cv = ((SkStratifiedKFold, tabprep.split.StratifiedKFold) if kind == "binary"
                     else (SkKFold, tabprep.split.KFold))
    ours = TargetEncoder(cv=5, shuffle=True, random_state=0).fit_transform(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # shuffle/random_state: deprecated in 1.9
        theirs = SkTargetEncoder(cv=5, shuffle=True, random_state=0).fit_transform(X, y)
    # the same spelling draws other folds: other out-of-fold values (a documented difference)
    assert np.abs(ours - theirs).max() > 1e-3
    # the same splitter object, scikit-learn's or tabprep's: the same numbers
    for cv in (sk_cv(5, shuffle=True, random_state=0), our_cv(5, shuffle=True, random_state=0)):
        np.testing.assert_allclose(TargetEncoder(cv=cv).fit_transform(X, y),
                                   SkTargetEncoder(cv=cv).fit_transform(X, y), rtol=0, atol=1e-12)
    # tabprep's int cv is tabprep's splitter with that seed: scikit-learn reproduces it
    np.testing.assert_allclose(ours, SkTargetEncoder(cv=our_cv(5, shuffle=True, random_state=0)).fit_transform(X, y),
                               rtol=0, atol=1e-12)


def test_standard_scaler_transform_takes_copy_as_scikit_learn():
    from tabprep.scale import StandardScaler

    X = np.array([[1.0], [3.0]])
    sc = StandardScaler().fit(X)
    want = sklearn.preprocessing.StandardScaler().fit(X).transform(X.copy(), copy=False)
    kept = sc.transform(X)  # copy=True (the default): the input is kept
    np.testing.assert_array_equal(kept, want)
    np.testing.assert_array_equal(X, [[1.0], [3.0]])
    # copy=False: scikit-learn's in-place transform of a float array, returned as it is
    out = sc.transform(X, copy=False)
    assert out is X
    np.testing.assert_array_equal(X, want)
