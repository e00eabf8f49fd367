"""Step protocol, Pipeline planner (fused, deterministic statistics passes) and FittedPipeline.

See :mod:`tabprep.pipeline._step` for the Step contract and :mod:`tabprep.pipeline._pipeline`
for how ``Pipeline.fit`` plans its passes.
"""

from __future__ import annotations

from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.pipeline._fitted import FittedPipeline
from tabprep.pipeline._params import validate_params
from tabprep.pipeline._pipeline import Pipeline
from tabprep.pipeline._select import resolve_columns
from tabprep.pipeline._step import Step, make_step, register_step, step_registry

__all__ = [
    "Step",
    "Pipeline",
    "FittedPipeline",
    "register_step",
    "step_registry",
    "make_step",
    "validate_params",
    "resolve_columns",
    "parse_dtype",
    "dtype_str",
]
