"""The extension table and one cythonize call; everything else lives in pyproject.toml.

Every ``csrc/<name>.pyx`` becomes the extension module ``tabprep._native.<name>``.
``TABPREP_CYTHON_DEBUG=1`` turns bounds/wraparound checks back on (and drops -O3) for debugging.
"""

import os
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("TABPREP_CYTHON_DEBUG", "") not in ("", "0")

extensions = [
    Extension(
        f"tabprep._native.{pyx.stem}",
        [str(pyx)],
        include_dirs=[np.get_include(), "csrc"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O0", "-g"] if DEBUG else ["-O3"],
    )
    for pyx in sorted(Path("csrc").glob("*.pyx"))
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": DEBUG,
            "wraparound": DEBUG,
            "initializedcheck": DEBUG,
            "cdivision": True,
            "embedsignature": True,
        },
    ),
)
