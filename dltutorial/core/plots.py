"""Pictures the tutorials write: filter tiles, learning curves, scatter plots and piano-rolls (PNG files).

Figures are drawn on ``matplotlib.figure.Figure`` objects, which need no
display and no pyplot: importing this module leaves matplotlib's backend as
the user has it (a notebook's inline plots keep working).
"""

import numpy
from matplotlib.figure import Figure
from PIL import Image

from .tiles import tile_raster_images
from .files import atomic_write


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
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for label, (xs, ys) in curves.items():
        ax.plot(xs, ys, marker=".", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    save_figure(fig, path)


def save_scatter(panels, path):
    """One scatter plot per named (n, 2) array ``{title: points}``, side by side, into one PNG."""
    fig = Figure(figsize=(4 * len(panels), 4))
    axes = fig.subplots(1, len(panels), squeeze=False)
    for ax, (title, points) in zip(axes[0], panels.items()):
        ax.scatter(points[:, 0], points[:, 1], s=8)
        ax.set_title(title)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(alpha=0.3)
    save_figure(fig, path)


def save_piano_roll(piano_roll, path, r, dt):
    """Draw a (frames x notes) piano-roll: time across (``dt`` seconds a frame), pitch up (MIDI notes ``r``)."""
    fig = Figure(figsize=(8, 4))
    ax = fig.subplots()
    extent = (0, dt * len(piano_roll)) + tuple(r)
    ax.imshow(numpy.asarray(piano_roll).T, origin="lower", aspect="auto", interpolation="nearest", cmap="gray_r",
              extent=extent)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("MIDI note number")
    ax.set_title("generated piano-roll")
    save_figure(fig, path)


def save_figure(fig, path):
    """Lay ``fig`` out and write it as a PNG, atomically."""
    fig.tight_layout()
    with atomic_write(path) as f:
        fig.savefig(f, format="png", dpi=100)
