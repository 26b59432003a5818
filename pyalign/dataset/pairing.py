"""Case names, shards and the pairing of two roots by case name — standard library only.

A case's **name** is its directory's path relative to the root it was found under
(``cat_001``, ``val/cat_001``), or the directory's own name when the root is the case.
Results are ordered by name, shards are picked by name, two roots are paired by name.

A **shard** ``K/N`` (``1 <= K <= N``) holds the names whose SHA-256 (of the UTF-8 name),
read as a big-endian integer, is ``K - 1`` modulo ``N``: a stable function of the name
alone, so N machines given the same dataset (or only their part of it) split it the
same way with any scheduler, and every name of either side of a pairing lands in
exactly one shard.

The pytest plugin imports this module in sessions that use ``--pyalign-shard``: it
must not import numpy.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Tuple, TypeVar, Union

from pyalign.errors import CaptureError
from pyalign.store.format import MANIFEST

__all__ = ["Shard", "shard_of", "parse_shard", "CaseRef", "Pairing", "case_name", "find_actual_cases",
           "pair_roots", "pair_named", "name_cases"]

PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")


def shard_of(name: str, count: int) -> int:
    """The shard (1..count) a case name belongs to: ``sha256(name) mod count``, plus 1.

    Parameters
    ----------
    name : str
        The case name (encoded as UTF-8).
    count : int
        The number of shards, at least 1.
    """
    if count < 1:
        raise ValueError(f"the number of shards must be at least 1, got {count}")
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest, "big") % count + 1


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based: ``Shard(1, 4)`` is ``1/4``)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ValueError(f"shard {self.index}/{self.count}: expected K/N with 1 <= K <= N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and shard_of(name, self.count) == self.index

    def select(self, items: Iterable[T]) -> List[T]:
        """The items whose name (``item.name``, or the item itself when a string) is in this shard."""
        return [x for x in items if (x if isinstance(x, str) else getattr(x, "name")) in self]


def parse_shard(text: Optional[str], option: str = "--shard") -> Optional[Shard]:
    """``"K/N"`` as a :class:`Shard` (None stays None).

    Raises
    ------
    ValueError
        ``--shard 5/4: expected K/N with 1 <= K <= N`` (and the like).
    """
    if text is None:
        return None
    k, sep, n = str(text).strip().partition("/")
    try:
        if not sep:
            raise ValueError
        return Shard(int(k), int(n))
    except ValueError:
        raise ValueError(f"{option} {text}: expected K/N with 1 <= K <= N (e.g. 2/4)") from None


@dataclass(frozen=True, order=True)
class CaseRef:
    """A case directory and its name (ordered by name, then path)."""

    name: str
    path: Path


@dataclass
class Pairing:
    """Cases of two roots paired by name.

    Attributes
    ----------
    paired : list of (name, reference path, actual path)
        Sorted by name.
    only_in_reference, only_in_actual : list of CaseRef
        Cases of one side without a partner of the same name, sorted by name.
    """

    paired: List[Tuple[str, Path, Path]] = field(default_factory=list)
    only_in_reference: List[CaseRef] = field(default_factory=list)
    only_in_actual: List[CaseRef] = field(default_factory=list)

    def shard(self, shard: Optional[Shard]) -> "Pairing":
        """The part of the pairing whose names fall in ``shard`` (all of it for None)."""
        if shard is None:
            return self
        return Pairing([p for p in self.paired if p[0] in shard], shard.select(self.only_in_reference),
                       shard.select(self.only_in_actual))

    @property
    def names(self) -> List[str]:
        """Every name of either side, sorted."""
        return sorted({p[0] for p in self.paired} | {c.name for c in self.only_in_reference}
                      | {c.name for c in self.only_in_actual})


def case_name(path: Path, root: Path) -> str:
    """The name of a case found under ``root``: its relative POSIX path, or its own name when it is the root."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(Path(os.path.abspath(root)))
    except ValueError:
        return path.name
    return rel.as_posix() if rel.parts else Path(os.path.abspath(path)).name


def _is_actual_case(path: Path) -> bool:
    try:
        with os.scandir(path) as it:
            return any(e.name == MANIFEST or (e.name.endswith(".bin") and e.is_file()) for e in it)
    except OSError:
        return False


def find_actual_cases(root: PathLike) -> List[Path]:
    """Board output directories under ``root``: with a ``manifest.json`` or ``.bin`` files (not searched further).

    Hidden directories are skipped. ``[root]`` when the root itself is one.

    Raises
    ------
    CaptureError
        ``root`` does not exist or is not a directory.
    """
    r = Path(os.fspath(root))
    if not r.is_dir():
        raise CaptureError("no such directory" if not r.exists() else "not a directory", r)
    if _is_actual_case(r):
        return [r]
    found: List[Path] = []
    for dirpath, dirnames, _ in os.walk(r):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        here = Path(dirpath)
        if here != r and _is_actual_case(here):
            found.append(here)
            dirnames[:] = []
    return sorted(found)


def pair_named(reference: Sequence[CaseRef], actual: Sequence[CaseRef]) -> Pairing:
    """Pair two lists of named cases by name (each name once per side).

    Raises
    ------
    CaptureError
        A name appears twice on one side.
    """
    sides = []
    for refs in (reference, actual):
        by_name = {}
        for c in refs:
            if c.name in by_name:
                raise CaptureError(f"two cases named {c.name!r} ({by_name[c.name].path} and {c.path})", c.path)
            by_name[c.name] = c
        sides.append(by_name)
    ref, act = sides
    paired = [(n, ref[n].path, act[n].path) for n in sorted(ref) if n in act]
    return Pairing(paired, [ref[n] for n in sorted(ref) if n not in act], [act[n] for n in sorted(act) if n not in ref])


def pair_roots(reference_root: PathLike, actual_root: PathLike) -> Pairing:
    """Pair the cases under a reference root with the board outputs under an actual root, by name.

    Parameters
    ----------
    reference_root : path-like
        A directory of capture sets (found like :func:`pyalign.store.find_cases`).
    actual_root : path-like
        A directory whose sub-directories (capture sets or bare ``.bin`` directories,
        :func:`find_actual_cases`) mirror the reference's names.

    Raises
    ------
    CaptureError
        A root is missing, or the reference root holds no capture set.
    """
    from pyalign.store.read import find_cases

    ref_root, act_root = Path(os.fspath(reference_root)), Path(os.fspath(actual_root))
    refs = find_cases(ref_root)
    if not refs:
        raise CaptureError(f"no capture set ({MANIFEST}) in this directory or below", ref_root)
    acts = find_actual_cases(act_root)
    return pair_named([CaseRef(case_name(p, ref_root), p) for p in refs],
                      [CaseRef(case_name(p, act_root), p) for p in acts])


def name_cases(roots: Sequence[PathLike]) -> List[CaseRef]:
    """The capture sets under each root, named relative to it, sorted by name (then path).

    A name found under two roots is made unique with a suffix (``cat_2``), in the order
    the roots are given.

    Raises
    ------
    CaptureError
        A root holds no capture set (or does not exist).
    """
    from pyalign.store.read import find_cases

    found: List[CaseRef] = []
    seen: set = set()
    for root in roots:
        paths = find_cases(root)
        if not paths:
            raise CaptureError("no capture sets (directories with manifest.json) found", root)
        for p in paths:
            base = name = case_name(p, Path(os.fspath(root)))
            k = 2
            while name in seen:
                name, k = f"{base}_{k}", k + 1
            seen.add(name)
            found.append(CaseRef(name, p))
    return sorted(found)
