"""Gradient-descent update rules, as ``updates`` lists for ``pytensor.function``.

Each rule takes a scalar ``cost`` and the shared ``params`` and returns
``[(shared_variable, new_value), ...]``: the parameters' new values and the
rule's own state (velocities, running averages, a step counter), kept in
shared variables of the parameters' shapes and dtypes, so that one call of
the compiled function is one step:

    train = pytensor.function([x, y], cost, updates=adam(cost, params, lr=0.01))

Hyper-parameters are Python numbers or symbolic scalars (to change them
between calls, make them inputs of the function).
"""

import numpy
import pytensor
import pytensor.tensor as pt


def _zeros_like(param, name):
    """A shared array of zeros with ``param``'s shape, dtype and static shape."""
    value = param.get_value(borrow=True)
    return pytensor.shared(numpy.zeros_like(value), name=f"{name}_{param.name or 'param'}", shape=value.shape)


def _cast(value, param):
    """``value`` in the parameter's dtype, so that float32 parameters stay float32."""
    return pt.cast(value, param.dtype)


def sgd(cost, params, lr=0.01):
    """Plain stochastic gradient descent: ``p <- p - lr * g``."""
    return [(p, p - _cast(lr * g, p)) for p, g in zip(params, pt.grad(cost, params))]


def momentum(cost, params, lr=0.01, momentum=0.9):
    """Classical momentum: ``v <- momentum * v - lr * g``, ``p <- p + v``."""
    updates = []
    for p, g in zip(params, pt.grad(cost, params)):
        v = _zeros_like(p, "velocity")
        v_new = _cast(momentum * v - lr * g, p)
        updates += [(v, v_new), (p, p + v_new)]
    return updates


def adagrad(cost, params, lr=0.01, epsilon=1e-6):
    """Adagrad: each coordinate's step shrinks with the sum of its squared gradients."""
    updates = []
    for p, g in zip(params, pt.grad(cost, params)):
        acc = _zeros_like(p, "acc")
        acc_new = acc + g ** 2
        updates += [(acc, _cast(acc_new, p)), (p, p - _cast(lr * g / pt.sqrt(acc_new + epsilon), p))]
    return updates


def adadelta(cost, params, lr=1.0, rho=0.95, epsilon=1e-6):
    """Adadelta (Zeiler, 2012), as the reference text writes it.

    ``acc <- rho acc + (1 - rho) g^2``; ``step = g sqrt(delta_acc + eps) / sqrt(acc + eps)``;
    ``p <- p - lr step``; ``delta_acc <- rho delta_acc + (1 - rho) step^2``.
    """
    updates = []
    for p, g in zip(params, pt.grad(cost, params)):
        acc, delta_acc = _zeros_like(p, "acc"), _zeros_like(p, "delta_acc")
        acc_new = rho * acc + (1 - rho) * g ** 2
        step = g * pt.sqrt(delta_acc + epsilon) / pt.sqrt(acc_new + epsilon)
        updates += [(acc, _cast(acc_new, p)), (p, p - _cast(lr * step, p)),
                    (delta_acc, _cast(rho * delta_acc + (1 - rho) * step ** 2, p))]
    return updates


def rmsprop(cost, params, lr=0.001, rho=0.9, epsilon=1e-6):
    """RMSProp: divide the step by a running root mean square of the gradients."""
    updates = []
    for p, g in zip(params, pt.grad(cost, params)):
        acc = _zeros_like(p, "acc")
        acc_new = rho * acc + (1 - rho) * g ** 2
        updates += [(acc, _cast(acc_new, p)), (p, p - _cast(lr * g / pt.sqrt(acc_new + epsilon), p))]
    return updates


# start-snippet-1
def adam(cost, params, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """Adam (Kingma and Ba, 2015, Algorithm 1): steps scaled by bias-corrected moment estimates.

    ``t <- t + 1``; ``m <- beta1 m + (1 - beta1) g``; ``v <- beta2 v + (1 - beta2) g^2``;
    ``p <- p - lr m_hat / (sqrt(v_hat) + eps)`` with ``m_hat = m / (1 - beta1^t)``,
    ``v_hat = v / (1 - beta2^t)``.  The first step is ``lr`` in every coordinate.
    """
    t = pytensor.shared(numpy.asarray(0.0, dtype=pytensor.config.floatX), name="adam_t")
    t_new = t + 1
    updates = [(t, t_new)]
    for p, g in zip(params, pt.grad(cost, params)):
        m, v = _zeros_like(p, "m"), _zeros_like(p, "v")
        m_new = beta1 * m + (1 - beta1) * g
        v_new = beta2 * v + (1 - beta2) * g ** 2
        m_hat, v_hat = m_new / (1 - beta1 ** t_new), v_new / (1 - beta2 ** t_new)
        updates += [(m, _cast(m_new, p)), (v, _cast(v_new, p)),
                    (p, p - _cast(lr * m_hat / (pt.sqrt(v_hat) + epsilon), p))]
    return updates
    # end-snippet-1
