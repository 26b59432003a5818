"""Exceptions that the command line turns into one ``error:`` line and exit status 2."""
from __future__ import annotations

import os
import unicodedata
from typing import Any, Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: Any) -> str:
    """``text`` safe to show on a terminal: control and format characters escaped.

    A capture set may come from a hostile board: a tensor or file name holding an escape
    sequence (``\\x1b]0;...``), a bidirectional override or a newline must not reach a
    terminal raw nor split a one-line ``error:`` message. Such characters are written as
    ``\\n``, ``\\x1b``, ``\\u202e``; everything else is kept.
    """
    s = str(text)
    if s.isprintable():
        return s
    out = []
    for ch in s:
        if ch.isprintable() or (ch == " "):
            out.append(ch)
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif unicodedata.category(ch) in ("Zs",):
            out.append(ch)
        else:
            cp = ord(ch)
            out.append(f"\\x{cp:02x}" if cp < 0x100 else (f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"))
    return "".join(out)


def printable_lines(text: str) -> str:
    """:func:`printable` for each line of a multi-line text (its line breaks kept)."""
    return "\n".join(printable(line) for line in text.split("\n"))


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
        text = f"{self.path}: {self.what}" if self.path is not None else self.what
        return printable(text)


class CaptureError(PyalignError):
    """A capture set (manifest or .bin file) is missing, malformed or inconsistent."""


class SpecError(PyalignError):
    """A pipeline spec is malformed or asks for something impossible."""
