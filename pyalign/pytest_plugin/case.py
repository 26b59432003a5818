"""The object the ``pyalign_case`` fixture gives a test: one capture set, loaded lazily."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from pyalign.store import Case, TensorRecord


class CaptureCase:
    """One capture set (a case) as seen by a test.

    Arrays are read on first use and kept for the life of the fixture (one
    test). Index it like a mapping: ``case["preprocessed"]`` is the stage's
    only tensor, ``case["model_output", "output0"]`` a named one.

    Parameters
    ----------
    case_id : str
        The test id: the case directory relative to the captures directory.
    case : pyalign.store.Case
        The validated capture set.

    Attributes
    ----------
    id : str
        The test id of the case.
    name : str
        The case name from the manifest.
    dir : pathlib.Path
        The case directory.
    case : pyalign.store.Case
        The store's case (manifest, tensor records).
    spec : dict or None
        The pipeline spec saved with the capture.
    manifest : dict
        The parsed ``manifest.json``.
    """

    def __init__(self, case_id: str, case: "Case") -> None:
        self.id = case_id
        self.case = case
        self.name: str = case.name
        self.dir: Path = Path(case.dir)
        self.spec: Optional[dict] = case.spec
        self.manifest: dict = case.manifest
        self._arrays: Dict[Tuple[str, str], "np.ndarray"] = {}

    # -- metadata -----------------------------------------------------------------
    @property
    def stages(self) -> List[str]:
        """The stages this capture set holds, in data-path order."""
        return self.case.stages()

    def records(self, stage: str) -> List["TensorRecord"]:
        """The tensor records (dtype, shape, layout, color, kind, file) of one stage."""
        return list(self.case.stage(stage))

    def record(self, stage: str, name: Optional[str] = None) -> "TensorRecord":
        """The record of one tensor; ``name`` may be omitted when the stage has one."""
        return self.case.get(stage, name)

    def names(self, stage: str) -> List[str]:
        """The tensor names of one stage, in manifest order."""
        return [t.name for t in self.case.stage(stage)]

    def has(self, stage: str, name: Optional[str] = None) -> bool:
        """Whether the capture holds this stage (and tensor, when ``name`` is given)."""
        return self.case.has(stage, name)

    # -- data ---------------------------------------------------------------------
    def array(self, stage: str, name: Optional[str] = None) -> "np.ndarray":
        """One tensor as a read-only numpy array (loaded once)."""
        record = self.record(stage, name)
        key = (record.stage, record.name)
        if key not in self._arrays:
            arr = record.load()
            arr.flags.writeable = False
            self._arrays[key] = arr
        return self._arrays[key]

    def arrays(self, stage: str) -> Dict[str, "np.ndarray"]:
        """Every tensor of one stage, ``{name: array}`` in manifest order."""
        return {t.name: self.array(stage, t.name) for t in self.case.stage(stage)}

    def __getitem__(self, key: Union[str, Tuple[str, str]]) -> "np.ndarray":
        if isinstance(key, tuple):
            stage, name = key
            return self.array(stage, name)
        return self.array(key)

    @property
    def raw_input(self) -> "np.ndarray":
        """The stage's only tensor (error when the stage has several)."""
        return self.array("raw_input")

    @property
    def preprocessed(self) -> "np.ndarray":
        """The stage's only tensor (error when the stage has several)."""
        return self.array("preprocessed")

    @property
    def model_output(self) -> Dict[str, "np.ndarray"]:
        """Every model output, ``{name: array}`` (models often have several)."""
        return self.arrays("model_output")

    @property
    def postprocessed(self) -> "np.ndarray":
        """The stage's only tensor (error when the stage has several)."""
        return self.array("postprocessed")

    def __repr__(self) -> str:
        return f"<CaptureCase {self.id!r} at {str(self.dir)!r}>"


def load_case(case_id: str, path: Path, cache: Optional[Dict[str, "Case"]] = None) -> CaptureCase:
    """Read and validate one capture set for a test.

    Parameters
    ----------
    case_id : str
        The test id of the case.
    path : Path
        The case directory.
    cache : dict, optional
        Validated cases of this session by id: the manifest is parsed and the
        checksums verified once per process, not once per test. Arrays are
        still read per test (a :class:`CaptureCase` lives for one test).

    Raises
    ------
    pyalign.errors.CaptureError
        When the capture set is malformed.
    """
    from pyalign.store import read_case

    if cache is None:
        return CaptureCase(case_id, read_case(path))
    if case_id not in cache:
        cache[case_id] = read_case(path)
    return CaptureCase(case_id, cache[case_id])


def matching_record(got: "Case", reference: "Case", record: "TensorRecord") -> Optional["TensorRecord"]:
    """The board's tensor that stands for the reference ``record``, or None when it wrote none.

    The one of the same stage and name; or, when both sides hold a single tensor
    of that stage, that one whatever its name.
    """
    if got.has(record.stage, record.name):
        return got.get(record.stage, record.name)
    mine = got.stage(record.stage)
    if len(mine) == 1 and len(reference.stage(record.stage)) == 1:
        return mine[0]
    return None


def load_actual(actual: Any, case: CaptureCase, stage: str, name: Optional[str]) -> Any:
    """Turn what a test passes to ``pyalign_check`` into the actual array.

    ``actual`` may be an array (anything ``numpy.asarray`` takes), a ``.bin``
    file (dtype and shape from the reference tensor), or a directory the board
    wrote (a capture set, or bare ``<stage>[.<name>].bin`` files).
    """
    import numpy as np

    if isinstance(actual, (str, Path)):
        path = Path(actual)
        record = case.record(stage, name)
        if path.is_dir():
            from pyalign.store import read_actual

            got = read_actual(path, case.case)
            match = matching_record(got, case.case, record)
            if match is None:
                return got.array(record.stage, record.name)  # raises: the board did not write it
            return match.load()
        if not path.is_file():
            from pyalign.errors import CaptureError

            raise CaptureError("no such file or directory", path)
        raw = np.fromfile(path, dtype=np.dtype(record.dtype).newbyteorder("<"))
        expected_size = int(np.prod(record.shape, dtype=np.int64))
        if raw.size == expected_size:
            return raw.reshape(record.shape)
        return raw  # the comparator reports the shape mismatch
    return actual
