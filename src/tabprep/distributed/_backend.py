"""The Ray backend the pipeline calls (see :func:`tabprep._base.backends.register_backend`).

Light on purpose: every method imports :mod:`tabprep.distributed._ray` (Ray, Polars) when called.
"""

from __future__ import annotations

__all__ = ["RayBackend"]


class RayBackend:
    """Fits and transforms ``ray.data.Dataset`` inputs of a pipeline (methods documented in
    :mod:`tabprep.distributed._ray`)."""

    def fit_frame(self, data):
        from tabprep.distributed import _ray

        return _ray.fit_frame(data)

    def run_phase(self, frame, entries, target, batch_size, *, cross_fit=False, weights=None):
        from tabprep.distributed import _ray

        return _ray.run_phase(frame, entries, target, batch_size, cross_fit=cross_fit, weights=weights)

    def apply(self, frame, step, columns, schema, out_of_fold, outputs):
        from tabprep.distributed import _ray

        return _ray.apply(frame, step, columns, schema, out_of_fold, outputs)

    def lineage(self, data) -> dict:
        from tabprep.distributed import _ray

        return _ray.lineage(data)

    def transform(self, fitted, data, out_of_fold=None):
        from tabprep.distributed import _ray

        return _ray.transform(fitted, data, out_of_fold)

    def __repr__(self) -> str:
        return "RayBackend()"
