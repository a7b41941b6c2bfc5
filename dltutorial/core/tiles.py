"""Image helpers: ``tile_raster_images`` lays out many images (one a row) in one grid."""

import numpy


def scale_to_unit_interval(ndar, eps=1e-8):
    """Scale all values of ``ndar`` to lie in [0, 1]."""
    ndar = ndar.copy()
    ndar -= ndar.min()
    ndar *= 1.0 / (ndar.max() + eps)
    return ndar


def tile_raster_images(X, img_shape, tile_shape, tile_spacing=(0, 0),
                       scale_rows_to_unit_interval=True, output_pixel_vals=True):
    """Arrange the rows of ``X`` as images in a grid, e.g. to look at filters.

    :type X: a 2-D ndarray or a tuple of 4 channels (each a 2-D ndarray or None)
    :param X: one flattened image per row
    :param img_shape: (height, width) of each image
    :param tile_shape: number of images to tile (rows, cols)
    :param tile_spacing: pixels between images (rows, cols)
    :param scale_rows_to_unit_interval: scale each image to [0, 1] before plotting
    :param output_pixel_vals: return uint8 pixels (0-255) instead of floats
    :returns: a 2-D array (or, for 4 channels, height x width x 4) ready for
              ``PIL.Image.fromarray``
    """
    assert len(img_shape) == 2
    assert len(tile_shape) == 2
    assert len(tile_spacing) == 2
    out_shape = [(ishp + tsp) * tshp - tsp for ishp, tshp, tsp in zip(img_shape, tile_shape, tile_spacing)]

    if isinstance(X, tuple):
        assert len(X) == 4
        dt = "uint8" if output_pixel_vals else X[0].dtype
        out_array = numpy.zeros((out_shape[0], out_shape[1], 4), dtype=dt)
        channel_defaults = [0, 0, 0, 255] if output_pixel_vals else [0.0, 0.0, 0.0, 1.0]
        for i in range(4):
            if X[i] is None:
                # a missing channel is filled with zeros, or fully opaque for alpha
                out_array[:, :, i] = numpy.zeros(out_shape, dtype=dt) + channel_defaults[i]
            else:
                out_array[:, :, i] = tile_raster_images(
                    X[i], img_shape, tile_shape, tile_spacing,
                    scale_rows_to_unit_interval, output_pixel_vals)
        return out_array

    H, W = img_shape
    Hs, Ws = tile_spacing
    dt = "uint8" if output_pixel_vals else X.dtype
    out_array = numpy.zeros(out_shape, dtype=dt)
    for tile_row in range(tile_shape[0]):
        for tile_col in range(tile_shape[1]):
            index = tile_row * tile_shape[1] + tile_col
            if index < X.shape[0]:
                this_x = X[index]
                this_img = this_x.reshape(img_shape)
                if scale_rows_to_unit_interval:
                    this_img = scale_to_unit_interval(this_img)
                c = 255 if output_pixel_vals else 1
                out_array[tile_row * (H + Hs): tile_row * (H + Hs) + H,
                          tile_col * (W + Ws): tile_col * (W + Ws) + W] = this_img * c
    return out_array
