"""The original's ``utils.py``: ``tile_raster_images`` (written in :mod:`dltutorial.core.tiles`) for code that imports it
from here, as the tutorials' files did (``from utils import tile_raster_images``)."""

from .core.tiles import scale_to_unit_interval, tile_raster_images

__all__ = ["scale_to_unit_interval", "tile_raster_images"]
