"""The reference steps the bench times our compiled steps against.

``numpy_*``: each tutorial's training step written by hand in plain numpy
(matrix products through numpy's BLAS; the batch-1 steps as BLAS-2 calls,
matrix-vector products and in-place rank-1 updates): the floor a compiled
graph can hope to reach.  :func:`torch_steps`: the same steps in idiomatic
PyTorch, when PyTorch is installed (it is not a dependency).  Each
``numpy_*`` function returns ``step(i)``, which does the ``i``-th update.
"""

import os

import numpy
import scipy.linalg.blas
from numpy.lib.stride_tricks import sliding_window_view


def _sigmoid(a):
    return 1.0 / (1.0 + numpy.exp(-a))


def _softmax_grad(logits, labels):
    """Gradient of the mean NLL of a softmax layer with respect to its logits."""
    p = numpy.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[numpy.arange(len(labels)), labels] -= 1
    return p / len(labels)


def numpy_logistic(x, y, batch_size, lr=0.13):
    W, b = numpy.zeros((x.shape[1], 10), x.dtype), numpy.zeros(10, x.dtype)

    def step(i):
        xb, yb = x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        d = _softmax_grad(xb @ W + b, yb)
        W.__isub__(lr * (xb.T @ d))
        b.__isub__(lr * d.sum(0))
    return step


def numpy_mlp(x, y, batch_size, n_hidden=500, lr=0.01, L2=1e-4):
    rng = numpy.random.RandomState(1234)
    bound = numpy.sqrt(6.0 / (x.shape[1] + n_hidden))
    W1 = rng.uniform(-bound, bound, (x.shape[1], n_hidden)).astype(x.dtype)
    b1, W2, b2 = numpy.zeros(n_hidden, x.dtype), numpy.zeros((n_hidden, 10), x.dtype), numpy.zeros(10, x.dtype)

    def step(i):
        xb, yb = x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        h = numpy.tanh(xb @ W1 + b1)
        d2 = _softmax_grad(h @ W2 + b2, yb)
        d1 = (d2 @ W2.T) * (1 - h * h)
        W2.__isub__(lr * (h.T @ d2 + 2 * L2 * W2))
        b2.__isub__(lr * d2.sum(0))
        W1.__isub__(lr * (xb.T @ d1 + 2 * L2 * W1))
        b1.__isub__(lr * d1.sum(0))
    return step


def _blas(array):
    """gemv and ger for ``array``'s dtype (in-place rank-1 updates need Fortran order)."""
    return scipy.linalg.blas.get_blas_funcs(("gemv", "ger"), (array,))


def numpy_dA(x, n_hidden=1000, corruption=0.1, lr=0.001):
    """The batch-1 dA step with BLAS-2 calls: matrix-vector products and in-place rank-1 updates."""
    rng = numpy.random.RandomState(1)
    W = numpy.asfortranarray(rng.uniform(-0.1, 0.1, (x.shape[1], n_hidden)).astype(x.dtype))
    b, bp = numpy.zeros(n_hidden, x.dtype), numpy.zeros(x.shape[1], x.dtype)
    gemv, ger = _blas(W)

    def step(i):
        xi = x[i]
        tx = xi * (rng.uniform(size=xi.shape) > corruption)
        h = _sigmoid(gemv(1.0, W, tx, trans=1) + b)
        z = _sigmoid(gemv(1.0, W, h) + bp)
        dz = z - xi  # gradient of the cross-entropy with respect to z's logits
        dh = gemv(1.0, W, dz, trans=1) * h * (1 - h)
        ger(-lr, tx, dh, a=W, overwrite_a=1)
        ger(-lr, dz, h, a=W, overwrite_a=1)
        b.__isub__(lr * dh)
        bp.__isub__(lr * dz)
    return step


def numpy_rbm(x, batch_size, n_hidden, k, persistent, lr=0.1):
    """The RBM's CD-k (or PCD-k) step: k Gibbs steps, then the free-energy gradient."""
    rng = numpy.random.RandomState(1)
    bound = 4 * numpy.sqrt(6.0 / (x.shape[1] + n_hidden))
    W = rng.uniform(-bound, bound, (x.shape[1], n_hidden)).astype(x.dtype)
    hbias, vbias = numpy.zeros(n_hidden, x.dtype), numpy.zeros(x.shape[1], x.dtype)
    chain = numpy.zeros((batch_size, n_hidden), x.dtype)

    def sample(mean):
        return (rng.random_sample(mean.shape) < mean).astype(x.dtype)

    def step(i):
        v0 = x[i * batch_size:(i + 1) * batch_size]
        h0_mean = _sigmoid(v0 @ W + hbias)
        h = chain if persistent else sample(h0_mean)
        for _ in range(k):
            v = sample(_sigmoid(h @ W.T + vbias))
            h_mean = _sigmoid(v @ W + hbias)
            h = sample(h_mean)
        if persistent:
            chain[...] = h
        W.__iadd__(lr / batch_size * (v0.T @ h0_mean - v.T @ h_mean))
        hbias.__iadd__(lr * (h0_mean - h_mean).mean(axis=0))
        vbias.__iadd__(lr * (v0 - v).mean(axis=0))
    return step


def numpy_finetune(x, y, sizes=(1000, 1000, 1000), lr=0.1):
    """The batch-1 finetuning step (sigmoid layers + softmax) with BLAS-2 calls."""
    rng = numpy.random.RandomState(1)
    dims = [x.shape[1], *sizes, 10]
    Ws = [numpy.asfortranarray(rng.uniform(-0.05, 0.05, (a, b)).astype(x.dtype)) for a, b in zip(dims, dims[1:])]
    bs = [numpy.zeros(d, x.dtype) for d in dims[1:]]
    gemv, ger = _blas(Ws[0])

    def step(i):
        hs = [x[i]]
        for W, b in zip(Ws[:-1], bs[:-1]):
            hs.append(_sigmoid(gemv(1.0, W, hs[-1], trans=1) + b))
        back = _softmax_grad((gemv(1.0, Ws[-1], hs[-1], trans=1) + bs[-1])[None, :], y[i:i + 1])[0]
        for k in reversed(range(len(Ws))):
            below = gemv(1.0, Ws[k], back) * hs[k] * (1 - hs[k]) if k else None
            ger(-lr, hs[k], back, a=Ws[k], overwrite_a=1)
            bs[k].__isub__(lr * back)
            back = below
    return step


def numpy_lenet(x, y, batch_size=500, nkerns=(20, 50), lr=0.1, k=5):
    """LeNet5's SGD step in numpy, batch-first (examples, rows, cols, channels).

    Each convolution is im2col (a sliding-window view copied into a patch
    matrix) and one matrix product; its input gradient adds the patch
    gradients back tap by tap.  Max-pooling by reshape, as in :mod:`dltutorial.core.nnet`.
    """
    rng = numpy.random.RandomState(23455)
    side = int(round(numpy.sqrt(x.shape[1])))

    def uniform(shape, fan_in, fan_out):
        bound = numpy.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, shape).astype(x.dtype)

    Ws = [uniform((nkerns[0], 1, k, k), k * k, nkerns[0] * k * k // 4),
          uniform((nkerns[1], nkerns[0], k, k), nkerns[0] * k * k, nkerns[1] * k * k // 4)]
    n_flat = nkerns[1] * ((side - k + 1) // 2 - k + 1) ** 2 // 4
    W2, W3 = uniform((n_flat, 500), n_flat, 500), numpy.zeros((500, 10), x.dtype)
    bs = [numpy.zeros(n, x.dtype) for n in (*nkerns, 500, 10)]

    def conv_pool(a, W, b):
        n, rows, cols, ch = a.shape
        patches = sliding_window_view(a, (k, k), axis=(1, 2)).reshape(-1, ch * k * k)
        out = patches @ W[:, :, ::-1, ::-1].reshape(len(W), -1).T
        out = out.reshape(n, (rows - k + 1) // 2, 2, (cols - k + 1) // 2, 2, len(W))
        pooled = out.max(axis=(2, 4))
        mask = out == pooled[:, :, None, :, None, :]
        return patches, mask, numpy.tanh(pooled + b)

    def conv_pool_grads(g, h, patches, mask, a_shape, W):
        g = g * (1 - h * h)
        g_out = (mask * g[:, :, None, :, None, :]).reshape(len(patches), len(W))
        dW = (g_out.T @ patches).reshape(W.shape)[:, :, ::-1, ::-1]
        if a_shape is None:
            return dW, g.sum((0, 1, 2)), None
        n, rows, cols, ch = a_shape
        oh, ow = rows - k + 1, cols - k + 1
        g_patches = (g_out @ W[:, :, ::-1, ::-1].reshape(len(W), -1)).reshape(n, oh, ow, ch, k, k)
        g_a = numpy.zeros(a_shape, W.dtype)
        for i in range(k):
            for j in range(k):
                g_a[:, i:i + oh, j:j + ow, :] += g_patches[..., i, j]
        return dW, g.sum((0, 1, 2)), g_a

    def step(i):
        xb = x[i * batch_size:(i + 1) * batch_size].reshape(batch_size, side, side, 1)
        yb = y[i * batch_size:(i + 1) * batch_size]
        p0, m0, h0 = conv_pool(xb, Ws[0], bs[0])
        p1, m1, h1 = conv_pool(h0, Ws[1], bs[1])
        flat = h1.transpose(0, 3, 1, 2).reshape(batch_size, -1)  # the tutorial's (channel, row, col) order
        h2 = numpy.tanh(flat @ W2 + bs[2])
        d3 = _softmax_grad(h2 @ W3 + bs[3], yb)
        d2 = (d3 @ W3.T) * (1 - h2 * h2)
        d_h1 = (d2 @ W2.T).reshape(h1.transpose(0, 3, 1, 2).shape).transpose(0, 2, 3, 1)
        dW1, db1, d_h0 = conv_pool_grads(d_h1, h1, p1, m1, h0.shape, Ws[1])
        dW0, db0, _ = conv_pool_grads(d_h0, h0, p0, m0, None, Ws[0])
        for param, grad in zip(step.params, (h2.T @ d3, d3.sum(0), flat.T @ d2, d2.sum(0), dW1, db1, dW0, db0)):
            param -= lr * grad

    step.params = [W3, bs[3], W2, bs[2], Ws[1], bs[1], Ws[0], bs[0]]  # LeNet5.params' order, updated in place
    return step


def torch_steps(train_x, train_y, codes, device="cpu"):
    """The same steps in idiomatic PyTorch (autograd, torch.optim.SGD) on ``device``: {name: step(i)}.

    Each step returns its loss (a tensor on ``device``).
    """
    import torch
    from torch import nn
    from torch.nn import functional as F

    if os.environ.get("OPENBLAS_NUM_THREADS", "").isdigit():  # the same thread count as numpy's BLAS
        torch.set_num_threads(int(os.environ["OPENBLAS_NUM_THREADS"]))
    x, y, c = (torch.from_numpy(a).to(device) for a in (train_x, train_y, codes))
    torch.set_default_dtype(x.dtype)  # models and parameters in the data's float type
    torch.set_default_device(device)

    def sgd_step(params, lr, loss_fn):
        optimizer = torch.optim.SGD(params, lr=lr)

        def step(i):
            optimizer.zero_grad()
            loss = loss_fn(i)
            loss.backward()
            optimizer.step()
            return loss.detach()
        return step

    def dA_step(data, corruption):
        W = nn.Parameter(torch.empty(data.shape[1], 1000).uniform_(-0.1, 0.1))
        b, bp = nn.Parameter(torch.zeros(1000)), nn.Parameter(torch.zeros(data.shape[1]))

        def loss(i):
            xb = data[i:i + 1]
            h = torch.sigmoid((xb * (torch.rand_like(xb) > corruption)) @ W + b)
            return F.binary_cross_entropy_with_logits(h @ W.T + bp, xb, reduction="sum")
        return sgd_step([W, b, bp], 0.001, loss)

    n_in = x.shape[1]
    side = int(round(n_in ** 0.5))
    lenet = nn.Sequential(nn.Unflatten(1, (1, side, side)), nn.Conv2d(1, 20, 5), nn.MaxPool2d(2), nn.Tanh(),
                          nn.Conv2d(20, 50, 5), nn.MaxPool2d(2), nn.Tanh(), nn.Flatten(),
                          nn.Linear(50 * 4 * 4, 500), nn.Tanh(), nn.Linear(500, 10))
    logistic = nn.Linear(n_in, 10)
    mlp = nn.Sequential(nn.Linear(n_in, 500), nn.Tanh(), nn.Linear(500, 10))
    sda = nn.Sequential(nn.Linear(n_in, 1000), nn.Sigmoid(), nn.Linear(1000, 1000), nn.Sigmoid(),
                        nn.Linear(1000, 1000), nn.Sigmoid(), nn.Linear(1000, 10))
    steps = {
        "logistic_sgd": sgd_step(logistic.parameters(), 0.13,
                                 lambda i: F.cross_entropy(logistic(x[i * 600:(i + 1) * 600]), y[i * 600:(i + 1) * 600])),
        "mlp": sgd_step(mlp.parameters(), 0.01,
                        lambda i: F.cross_entropy(mlp(x[i * 20:(i + 1) * 20]), y[i * 20:(i + 1) * 20])
                        + 1e-4 * (mlp[0].weight.square().sum() + mlp[2].weight.square().sum())),
        "SdA pretrain L0": dA_step(x, 0.1),
        "SdA pretrain L1": dA_step(c, 0.2),
        "SdA finetune": sgd_step(sda.parameters(), 0.1, lambda i: F.cross_entropy(sda(x[i:i + 1]), y[i:i + 1])),
        "lenet5": sgd_step(lenet.parameters(), 0.1,
                           lambda i: F.cross_entropy(lenet(x[i * 500:(i + 1) * 500]), y[i * 500:(i + 1) * 500])),
    }
    torch.set_default_device("cpu")
    return steps
