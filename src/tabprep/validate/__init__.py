"""Data validation, profiling and drift monitoring, built on what a fitted pipeline knows.

- :class:`Contract` (:class:`Column`, :class:`Check`): what a table must look like, in Python or
  TOML (:func:`read_contract`); :meth:`Contract.validate` / :func:`validate` run every check in
  one Polars query (in memory for a frame, streaming for a file) and return a
  :class:`ValidationReport` with the failing row numbers and values; :func:`infer_contract`
  proposes a contract from training data;
  ``FittedPipeline.input_contract()`` gives the one a pipeline's input needs.
- :func:`profile`: per-column statistics and mergeable sketches (KLL quantiles, HyperLogLog,
  Misra-Gries frequent values) in one pass, optionally a uniform row sample; a :class:`Profile`
  saves and loads as an artifact (:func:`load_profile`).
- :func:`drift`: per-feature PSI, KS (exact against a profile's sample, else from the sketches
  or a fitted binner's quantile edges, with its error bound), Jensen-Shannon, chi-square with
  unseen categories, missing-share change against a saved profile or a fitted pipeline.
- :func:`write_html` / :func:`render_html`: self-contained HTML reports (inline SVG plots).
"""

from __future__ import annotations

from tabprep.pipeline._contract import Check, Column, Contract, contract_from_dict, parse_contract, read_contract
from tabprep.pipeline._validation import CheckResult, ValidationReport
from tabprep.validate._drift import DriftReport, DriftThresholds, FeatureDrift, drift
from tabprep.validate._html import render_html, write_html
from tabprep.validate._infer import infer_contract
from tabprep.validate._profile import ColumnProfile, Profile, load_profile, profile

__all__ = [
    "Contract",
    "Column",
    "Check",
    "read_contract",
    "parse_contract",
    "contract_from_dict",
    "validate",
    "infer_contract",
    "ValidationReport",
    "CheckResult",
    "profile",
    "Profile",
    "ColumnProfile",
    "load_profile",
    "drift",
    "DriftReport",
    "DriftThresholds",
    "FeatureDrift",
    "render_html",
    "write_html",
]


def validate(contract, data, *, sample: int = 5):
    """Check ``data`` against ``contract`` (a :class:`Contract` or a TOML file path) in one pass.

    Parameters
    ----------
    contract : Contract, str or os.PathLike
    data : table or path
    sample : int, default 5
        Failing rows (numbers and values) kept per check.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> import polars as pl
    >>> report = validate(Contract({"x": Column(min=0, level="warn")}), pl.DataFrame({"x": [1, -2, -3]}))
    >>> report.ok, report.warnings[0].rows, report.warnings[0].values
    (True, [1, 2], [-2, -3])
    """
    if not isinstance(contract, Contract):
        contract = read_contract(contract)
    return contract.validate(data, sample=sample)
