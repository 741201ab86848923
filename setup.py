"""Builds ember's one optional extension, the compiled CPU loops (ember/kernels/_native.c).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
build goes on without it, and ember runs its NumPy code in those places instead.
"""

import sys

from setuptools import Extension, setup

if sys.platform == "win32":
    flags = ["/O2", "/fp:precise"]
else:
    # no floating-point contraction (a*b + c stays two roundings, as in NumPy); sqrt without
    # errno so that its loops vectorise (the results do not change)
    flags = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-std=c11"]

setup(
    ext_modules=[
        Extension(
            "ember.kernels._native",
            sources=["ember/kernels/_native.c"],
            depends=["ember/kernels/_native_impl.h"],
            extra_compile_args=flags,
            optional=True,
        )
    ]
)
