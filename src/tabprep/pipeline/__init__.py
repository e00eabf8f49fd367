"""The top of the house: the Pipeline planner, FittedPipeline, the artifact format and specs.

The Step contract itself lives in the base layer (:mod:`tabprep._base.step`, re-exported here);
see :mod:`tabprep.pipeline._pipeline` for how ``Pipeline.fit`` plans its passes.
"""

from __future__ import annotations

from tabprep._base.lineage import data_fingerprint
from tabprep._base.params import validate_params
from tabprep._base.step import Step, register_step
from tabprep._dtypes import dtype_str, parse_dtype
from tabprep.pipeline._artifact import read_manifest
from tabprep.pipeline._fitted import FittedPipeline
from tabprep.pipeline._load import load
from tabprep.pipeline._pipeline import Pipeline
from tabprep.pipeline._registry import make_step, step_registry
from tabprep.pipeline._select import resolve_columns
from tabprep.pipeline._spec import PipelineSpec, parse_spec, read_spec

__all__ = [
    "Step",
    "Pipeline",
    "FittedPipeline",
    "load",
    "data_fingerprint",
    "read_manifest",
    "PipelineSpec",
    "read_spec",
    "parse_spec",
    "register_step",
    "step_registry",
    "make_step",
    "validate_params",
    "resolve_columns",
    "parse_dtype",
    "dtype_str",
]
