"""``pyalign.report``: the self-contained HTML report of a comparison (heatmaps, pictures, boxes).

``html.py`` assembles tensor sections and pages (``render_html``, ``write_html``, ``case_html``
for one case of a dataset report); ``pictures.py`` turns arrays into pictures (PNG data URIs,
heatmaps, histograms, boxes); ``dataset.py`` is the first page of a dataset report.
"""
from pyalign.report.html import render_html, write_html

__all__ = ["render_html", "write_html"]
