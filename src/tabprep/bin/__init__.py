"""Binning steps: uniform/quantile/k-means (:class:`KBinsDiscretizer`) and supervised binning
(:class:`SupervisedBinner`), plus the mergeable quantile sketch (:class:`KLLSketch`) behind
streaming and distributed quantile fits.

Each name is imported from its module on first use (:mod:`tabprep._lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabprep._lazy import lazy_exports

_MODULES = {
    "KBinsDiscretizer": "tabprep.bin._kbins",
    "SupervisedBinner": "tabprep.bin._supervised",
    "KLLSketch": "tabprep.bin._sketch",
    "rank_error_bound": "tabprep.bin._sketch",
}
__all__ = list(_MODULES)
__getattr__, __dir__ = lazy_exports(__name__, globals(), _MODULES)

if TYPE_CHECKING:
    from tabprep.bin._kbins import KBinsDiscretizer
    from tabprep.bin._sketch import KLLSketch, rank_error_bound
    from tabprep.bin._supervised import SupervisedBinner
