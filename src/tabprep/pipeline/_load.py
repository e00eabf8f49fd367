"""Loading a fitted pipeline: JSON and Arrow only, steps built from the registry, no code run.

Apart from :mod:`tabprep.pipeline._artifact` (the format: writing, reading and checking the
files) because it builds a :class:`~tabprep.pipeline.FittedPipeline`, which saves itself through
the format module: format ← fitted ← load, no circle.
"""

from __future__ import annotations

import os
from pathlib import Path

from tabprep._base.codec import FUNCTION_TAG, function_ref
from tabprep._base.step import Step
from tabprep._dtypes import parse_dtype
from tabprep.errors import ArtifactError, TabprepError
from tabprep.pipeline._artifact import MANIFEST, STEP_KEYS, read_manifest, read_table
from tabprep.pipeline._fitted import FittedPipeline
from tabprep.pipeline._registry import known_steps, step_class

__all__ = ["load"]


def load(path: str | os.PathLike[str], *, functions: dict | None = None):
    """Load a fitted pipeline saved by :func:`save` / ``FittedPipeline.save``.

    Reads JSON and Arrow IPC only, checks every checksum, and builds steps only from the step
    registry: loading an artifact never runs code from it.

    Parameters
    ----------
    path : str or os.PathLike
        The artifact folder.
    functions : dict {name: function}, optional
        The user functions the pipeline's steps call (``NumbaTransformer(func=...)``), keyed by
        the qualified name the artifact recorded. The artifact holds each function's name and
        the hash of its source, never its code: the function comes from the caller, and one
        whose source differs from the saved one is refused. Nothing is compiled or called here.

    Returns
    -------
    FittedPipeline

    Raises
    ------
    ArtifactError
        Missing/truncated/edited files, malformed JSON, unknown format or newer version, unknown
        step type, state that does not fit its step, a user function not given in ``functions``
        or whose source differs from the saved one; the message names the file, the step and
        the function.

    Examples
    --------
    >>> import tempfile, polars as pl
    >>> from tabprep import Pipeline, load
    >>> from tabprep.scale import StandardScaler
    >>> fitted = Pipeline([("scale", StandardScaler(), ["a"])]).fit(pl.DataFrame({"a": [1.0, 3.0]}))
    >>> again = load(fitted.save(tempfile.mkdtemp() + "/model"))
    >>> again.fingerprint == fitted.fingerprint, again.feature_names_out
    (True, ['a'])
    """
    root = Path(path)
    manifest = read_manifest(root)
    mpath = root / MANIFEST
    steps_in = manifest["steps"]
    if not isinstance(steps_in, list):
        raise ArtifactError("'steps' must be a list", path=mpath)
    steps = []
    for i, entry in enumerate(steps_in):
        name = entry.get("name") if isinstance(entry, dict) else None
        where = f"steps[{i}] {name!r}"
        if not isinstance(entry, dict) or not set(STEP_KEYS) <= set(entry):
            found = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ArtifactError(f"{where}: a step needs the keys {', '.join(STEP_KEYS)}", path=mpath, found=found)
        if not isinstance(entry["type"], str) or step_class(entry["type"]) is None:
            raise ArtifactError(f"{where}: unknown step type {entry['type']!r}", path=mpath,
                                hint="written by a newer tabprep or edited; known steps: "
                                     + ", ".join(known_steps()))
        tables = entry["tables"]
        if not isinstance(tables, dict):
            raise ArtifactError(f"{where}: 'tables' must be an object", path=mpath)
        params = _with_functions(entry["params"], functions or {}, where, mpath)
        step_dict = {"type": entry["type"], "version": entry["version"], "params": params,
                     "state": entry["state"],
                     "tables": {t: read_table(root, where, t, e) for t, e in sorted(tables.items())}}
        try:
            step = Step.from_dict(step_dict)
        except ArtifactError as exc:
            raise ArtifactError(f"{where}: {exc.message}", path=mpath, found=exc.found, hint=exc.hint) from None
        columns = entry["columns"]
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ArtifactError(f"{where}: 'columns' must be a list of names", path=mpath)
        steps.append((str(name), step, columns))
    try:
        schema = {str(n): parse_dtype(t) for n, t in manifest["input_schema"]}
        expected_out = [(str(n), parse_dtype(t)) for n, t in manifest["output_schema"]]
    except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
        raise ArtifactError(f"invalid schema in the manifest ({exc})", path=mpath) from None
    lineage = manifest["lineage"]
    if not isinstance(lineage, dict):
        raise ArtifactError("'lineage' must be an object", path=mpath)
    try:
        fitted = FittedPipeline(steps, schema, manifest["target"], lineage)
    except TabprepError as exc:
        raise ArtifactError(f"the steps do not fit together: {exc}", path=mpath) from None
    if list(fitted.output_schema.items()) != expected_out:
        raise ArtifactError(
            "the rebuilt pipeline's output columns differ from the ones recorded in the manifest",
            path=mpath, found=f"{list(fitted.output_schema.items())[:10]}",
            hint="the artifact needs the tabprep version that wrote it "
                 f"({manifest['versions'].get('tabprep') if isinstance(manifest['versions'], dict) else '?'})",
        )
    return fitted


def _with_functions(value, functions: dict, where: str, mpath):
    """``value`` (saved parameters) with each ``{"$function": {"name", "sha256"}}`` replaced by the
    caller's function of that name, after checking its hash."""
    if isinstance(value, list):
        return [_with_functions(v, functions, where, mpath) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) != {FUNCTION_TAG}:
        return {k: _with_functions(v, functions, where, mpath) for k, v in value.items()}
    ref = value[FUNCTION_TAG]
    if not isinstance(ref, dict) or not isinstance(ref.get("name"), str) or not isinstance(ref.get("sha256"), str):
        raise ArtifactError(f"{where}: a saved function needs a name and a sha256", path=mpath, found=repr(ref))
    name = ref["name"]
    func = functions.get(name)
    if func is None:
        raise ArtifactError(f"{where}: the pipeline calls the function {name!r}, which was not given",
                            path=mpath, hint=f"pass it from your code: tabprep.load(path, functions={{{name!r}: ...}}) "
                                             "(an artifact holds no code)")
    if not callable(func):
        raise ArtifactError(f"{where}: functions[{name!r}] is not callable", path=mpath, found=type(func).__name__)
    got = function_ref(func)["sha256"]
    if got != ref["sha256"]:
        raise ArtifactError(f"{where}: the function {name!r} given differs from the one the pipeline was saved "
                            "with (its source hash)", path=mpath, found=f"sha256 {got[:12]}…, saved {ref['sha256'][:12]}…",
                            hint="pass the function as it was when the pipeline was fitted, or refit the pipeline")
    return func
