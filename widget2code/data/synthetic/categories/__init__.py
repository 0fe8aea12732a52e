"""Category builders; importing this package registers all of them in `REGISTRY`."""

from __future__ import annotations

from widget2code.data.synthetic.categories import ambient, data, forms, media, personal  # noqa: F401  (registers its categories)
from widget2code.data.synthetic.categories.registry import REGISTRY, Category

__all__ = ["REGISTRY", "Category"]
