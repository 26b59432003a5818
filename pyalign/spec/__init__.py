"""``pyalign.spec``: what a pipeline is — the spec model, its validation, Pulsar2 import, bundled specs.

Owns the pipeline spec (``docs/pipeline.md``): :func:`load_spec` validates a spec
once and returns a frozen :class:`Spec` that every later stage takes as it is.

* :mod:`pyalign.spec.model` — validation, normalisation and what a spec implies
  (raw-input shape, preprocessed tensor);
* :mod:`pyalign.spec.postprocess` — the registry of postprocess ops: each op's keys,
  defaults, bounds and results, and the kinds of results (detections, classes, mask);
* :mod:`pyalign.spec.arguments` — the argument checks the postprocess kernels share (the
  numpy reference and the C++ binding);
* :mod:`pyalign.spec.fields` — the field checks of spec validation;
* :mod:`pyalign.spec.pulsar2` — a Pulsar2 ``config.json`` turned into a spec;
* :mod:`pyalign.spec.bundled` — the specs shipped in ``pyalign/spec/specs/``.
"""
from pyalign.spec.model import *  # noqa: F401,F403
from pyalign.spec.model import __all__ as _model_all
from pyalign.spec.bundled import bundled_spec, spec_names, spec_path

__all__ = [*_model_all, "bundled_spec", "spec_names", "spec_path"]
