"""Compiled extension modules built from csrc/ (one module per .pyx). Import them via tabprep.kernels."""
