"""Pipelines on a Ray cluster: ``Pipeline.fit(ray_dataset)`` and ``FittedPipeline.transform(ray_dataset)``.

Only the data argument changes (extra ``tabprep[ray]``): a ``ray.data.Dataset`` given to
:meth:`tabprep.Pipeline.fit` is fitted on the cluster, one distributed pass per phase of the
local planner; :meth:`tabprep.FittedPipeline.transform` of a Dataset gives a Dataset (lazy,
row order kept, ``write_parquet`` works on it). See :mod:`tabprep.distributed._ray` for how.

Importing this package imports neither Ray nor Polars: it registers the Ray backend with the
pipeline (:func:`tabprep._base.backends.register_backend`), keyed on the data's type's module
(``ray.data``); ``import tabprep`` does that.
"""

from __future__ import annotations

from tabprep._base.backends import register_backend
from tabprep.distributed._backend import RayBackend

__all__ = ["RayBackend"]

register_backend("ray.data", RayBackend())
