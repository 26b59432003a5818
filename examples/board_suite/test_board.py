"""The board's pipeline, checked against the Python reference on every capture set.

Each test runs once per capture set under ``pyalign_captures`` (pytest.ini) or
``--pyalign-captures DIR``; ``board_output`` (conftest.py) is what the board program wrote for it.
"""
import numpy as np


def test_preprocessing(pyalign_case, pyalign_check, board_output):
    # The tensor fed to the model: every element within 1e-4 of the Python (OpenCV) pipeline.
    pyalign_check(board_output, stage="preprocessed")


def test_postprocessing(pyalign_case, pyalign_check, board_output):
    # The detections mapped back to the camera frame: matched order-free, within 1e-3.
    result = pyalign_check(board_output, stage="postprocessed")
    assert result.passed


def test_detections_inside_frame(pyalign_case, board_output):
    # Plain assertions sit next to the alignment checks: here, boxes are clipped to the frame.
    from pyalign.store import read_case

    dets = read_case(board_output).array("postprocessed")
    height, width = pyalign_case.raw_input.shape[:2]
    assert dets.shape[1:] == (6,)
    assert np.all((dets[:, [0, 2]] >= 0) & (dets[:, [0, 2]] <= width))
    assert np.all((dets[:, [1, 3]] >= 0) & (dets[:, [1, 3]] <= height))
