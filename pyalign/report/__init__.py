"""``pyalign.report``: the self-contained HTML report of a comparison (heatmaps, pictures, boxes)."""
from pyalign.report.html import render_html, write_html

__all__ = ["render_html", "write_html"]
