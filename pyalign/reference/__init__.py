"""``pyalign.reference``: the training-side Python pipeline (cv2 + numpy), independent of the C++ core."""
