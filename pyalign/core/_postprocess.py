"""pyalign.core: postprocess (C++ in cpp/, bound in cpp/python/bind_postprocess.cpp)."""
from typing import List

__all__: List[str] = []
