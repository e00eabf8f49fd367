"""The Examples sections of the binning modules run and hold."""

from __future__ import annotations

import doctest

import pytest

import tabprep.bin._kbins
import tabprep.bin._sketch
import tabprep.bin._supervised
import tabprep.kernels._binning


@pytest.mark.parametrize("module", [tabprep.bin._kbins, tabprep.bin._sketch, tabprep.bin._supervised,
                                    tabprep.kernels._binning], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
