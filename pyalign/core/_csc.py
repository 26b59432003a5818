"""pyalign.core: csc (C++ in cpp/, bound in cpp/python/bind_csc.cpp)."""
from typing import List

__all__: List[str] = []
