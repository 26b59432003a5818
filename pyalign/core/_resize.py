"""pyalign.core: resize (C++ in cpp/, bound in cpp/python/bind_resize.cpp)."""
from typing import List

__all__: List[str] = []
