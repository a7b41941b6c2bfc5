"""What the Theano layer does not provide: a one-line error that names the feature and its replacement."""

from ..core.errors import TutorialError

REPLACEMENTS = {  # Theano name -> what to use instead
    "sandbox.cuda": "the GPU is JAX's here: compile with mode='jax' (python -m dltutorial ... --mode jax)",
    "gpuarray": "the GPU is JAX's here: compile with mode='jax'",
    "tensor.nnet.conv3d": "no 3-D convolution: PyTensor has none; dltutorial.core.convolution shows how conv2d is built",
    "tensor.nnet.neighbours": "pytensor.tensor has no images2neibs; dltutorial.core.convolution lays out windows (conv2d)",
    "tensor.nnet.bn": "batch normalisation: write it from pytensor.tensor (mean, var) as the formula says",
    "Param": "theano.Param is theano.In here (In(variable, value=default))",
    "sandbox.rng_mrg.MRG_RandomStreams.multinomial": "not implemented; draw uniform() and compare with cumsum",
    "tests": "Theano's test helpers: check gradients with theano.gradient.verify_grad(op, [values], rng=...)",
}


class TheanoFeatureMissing(TutorialError, AttributeError):
    """A Theano feature the layer does not provide (an AttributeError, so ``hasattr`` still answers False)."""


def missing(module, name):
    """The error for ``module.name`` (module without the leading ``theano.``)."""
    full = f"{module}.{name}" if module else name
    hint = next((text for key, text in REPLACEMENTS.items() if full == key or full.startswith(key + ".")),
                f"PyTensor's name for it may differ: see docs/theano_compat.md")
    return TheanoFeatureMissing(f"theano.{full} is not provided by dltutorial.theano: {hint}")
