"""Binning steps: uniform/quantile/k-means (:class:`KBinsDiscretizer`) and supervised binning
(:class:`SupervisedBinner`), plus the mergeable quantile sketch (:class:`KLLSketch`) behind
streaming and distributed quantile fits.
"""

from __future__ import annotations

from tabprep.bin._kbins import KBinsDiscretizer
from tabprep.bin._sketch import KLLSketch, rank_error_bound
from tabprep.bin._supervised import SupervisedBinner

__all__ = ["KBinsDiscretizer", "SupervisedBinner", "KLLSketch", "rank_error_bound"]
