"""pyalign.core: pipeline (C++ in cpp/, bound in cpp/python/bind_pipeline.cpp)."""
from typing import List

__all__: List[str] = []
