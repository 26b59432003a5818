"""Exceptions that the command line turns into one ``error:`` line and exit status 2."""
from __future__ import annotations

import os
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]


class PyalignError(Exception):
    """Base class of every input or usage error pyalign reports to the user.

    Parameters
    ----------
    what : str
        What is wrong, in one line.
    path : path-like, optional
        The file or directory the problem is in; printed first.
    """

    def __init__(self, what: str, path: Optional[PathLike] = None) -> None:
        self.what = what
        self.path = None if path is None else os.fspath(path)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.path}: {self.what}" if self.path is not None else self.what


class CaptureError(PyalignError):
    """A capture set (manifest or .bin file) is missing, malformed or inconsistent."""


class SpecError(PyalignError):
    """A pipeline spec is malformed or asks for something impossible."""
