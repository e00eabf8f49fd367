"""Sampling, seeded: random / stratified samples, reservoir sampling (streaming), rebalancing.

- :func:`sample` -- exactly ``n`` rows (or a fraction), random or stratified (proportional, per
  class, or a per-class dict), with or without replacement; a LazyFrame stays lazy.
- :func:`reservoir_sample` -- ``k`` rows from a source of unknown length (bigger than memory) in
  one streaming pass, memory bounded by k (:func:`reservoir_sample_batches` for any iterable).
- :func:`rebalance` -- undersample the majority / oversample the minority to a target ratio.
"""

from __future__ import annotations

from tabprep.sample._reservoir import reservoir_sample, reservoir_sample_batches
from tabprep.sample._sample import rebalance, sample

__all__ = ["sample", "rebalance", "reservoir_sample", "reservoir_sample_batches"]
