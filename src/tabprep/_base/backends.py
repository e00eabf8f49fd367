"""Data of another engine (a Ray Dataset) routed to the layer that fits and transforms it.

The pipeline (floor 7) cannot import the distributed layer (floor 8) that handles a Ray Dataset.
That layer registers itself here instead (:func:`register_backend`, run when ``tabprep`` is
imported), and ``Pipeline.fit`` / ``FittedPipeline.transform`` ask :func:`backend_for` first. The
check is on the name of the data's type's module, so nothing is imported to make it, and this
module imports nothing: ``import tabprep`` stays light.
"""

from __future__ import annotations

__all__ = ["register_backend", "backend_for"]

#: ``[(module prefix, backend)]``, in registration order.
_BACKENDS: list = []


def register_backend(module_prefix: str, backend) -> None:
    """Route data whose type is defined under ``module_prefix`` (e.g. ``"ray.data"``) to ``backend``.

    ``backend`` has ``fit_frame(data)`` (the frame the pipeline's fit loop passes along: it has
    ``collect_schema()``), ``run_phase(frame, entries, target, batch_size, *, cross_fit, weights)``
    and ``apply(frame, step, columns, schema, out_of_fold, outputs)`` (what the local
    ``run_phase`` and ``apply_step`` do for a LazyFrame), ``lineage(data)`` and
    ``transform(fitted, data, out_of_fold=None)`` (with ``out_of_fold``, the ``out_of_fold``
    results of its ``run_phase`` by step name: ``Pipeline.fit_transform``'s training rows). Registering the same prefix again replaces the backend.
    """
    _BACKENDS[:] = [(p, b) for p, b in _BACKENDS if p != module_prefix]
    _BACKENDS.append((module_prefix, backend))


def backend_for(data):
    """The backend registered for ``data``'s type (see :func:`register_backend`), or None.

    Examples
    --------
    >>> backend_for([[1.0]]) is None
    True
    """
    module = type(data).__module__
    for prefix, backend in _BACKENDS:
        if module == prefix or module.startswith(prefix + "."):
            return backend
    return None
