"""Pictures the tutorials write: filter tiles, learning curves and scatter plots (PNG files)."""

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402
from PIL import Image  # noqa: E402

from .files import atomic_write  # noqa: E402
from .utils import tile_raster_images  # noqa: E402


def save_filters(W, path, img_shape=None, tile_shape=(10, 10), tile_spacing=(1, 1), scale=1):
    """Save the first columns of a weight matrix ``W`` (n_visible x n_hidden) as image tiles.

    ``img_shape`` defaults to square images (28x28 for MNIST's 784 pixels);
    ``scale`` enlarges each pixel to a ``scale`` x ``scale`` block (small filters).
    """
    if img_shape is None:
        side = int(round(numpy.sqrt(W.shape[0])))
        img_shape = (side, side)
    pixels = tile_raster_images(X=W.T, img_shape=img_shape, tile_shape=tile_shape, tile_spacing=tile_spacing)
    save_image(pixels, path, scale)


def save_image(pixels, path, scale=1):
    """Write a uint8 grey-level array as a PNG, atomically; ``scale`` enlarges each pixel."""
    image = Image.fromarray(pixels)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    with atomic_write(path) as f:
        image.save(f, format="PNG")


def save_curves(curves, path, xlabel="epoch", ylabel="error (%)", title=None):
    """Plot named curves ``{label: (xs, ys)}`` into one PNG."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, (xs, ys) in curves.items():
        ax.plot(xs, ys, marker=".", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)


def save_scatter(panels, path):
    """One scatter plot per named (n, 2) array ``{title: points}``, side by side, into one PNG."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 4), squeeze=False)
    for ax, (title, points) in zip(axes[0], panels.items()):
        ax.scatter(points[:, 0], points[:, 1], s=8)
        ax.set_title(title)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
