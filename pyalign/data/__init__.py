"""Bundled specs and fixtures used by ``pyalign demo`` and the tests."""
