"""pyalign.core: normalize (C++ in cpp/, bound in cpp/python/bind_normalize.cpp)."""
from typing import List

__all__: List[str] = []
