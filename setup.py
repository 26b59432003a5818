"""Build script for the pybind11 extension ``pyalign._core``.

Every C++ source in ``cpp/src`` (the standalone library) and ``cpp/python``
(the binding) is compiled into one extension module with -O3 and warnings on.
Set ``PYALIGN_BUILD_JOBS`` to compile in parallel (default: number of CPUs).
"""
from glob import glob

from pybind11.setup_helpers import ParallelCompile, Pybind11Extension, build_ext
from setuptools import setup

ParallelCompile("PYALIGN_BUILD_JOBS").install()

sources = sorted(glob("cpp/src/*.cpp")) + sorted(glob("cpp/python/*.cpp"))

ext = Pybind11Extension(
    "pyalign._core",
    sources,
    include_dirs=["cpp/include"],
    cxx_std=17,
    extra_compile_args=["-O3", "-Wall", "-Wextra", "-ffp-contract=off", "-fno-math-errno", "-fno-wrapv", "-pthread"],
    extra_link_args=["-pthread"],  # the `threads` options use std::thread
)

setup(ext_modules=[ext], cmdclass={"build_ext": build_ext})
