"""Hybrid Monte Carlo: sampling an energy function by simulating Hamiltonian dynamics.

To draw from ``p(x) ∝ exp(-E(x))``, each particle gets a random velocity
``v ~ N(0, I)`` and moves for ``n_steps`` leapfrog steps under the
Hamiltonian ``H(x, v) = E(x) + |v|^2 / 2``; the move is kept with the
Metropolis-Hastings probability ``min(1, exp(H_before - H_after))``.  The
leapfrog integrator nearly conserves ``H``, so long moves are still accepted
often.  The step size adapts so that the average acceptance rate tracks a
target (0.9 by default).

The functions and ``HMC_sampler`` keep the original's names, arguments and
defaults; the sampler's random numbers come from MRG31k3p streams seeded with
``seed`` (:mod:`dltutorial.core.rng_mrg`).  :func:`test_hmc` runs the
tutorial's experiment: a correlated Gaussian in 5 dimensions.
"""

import numpy
import pytensor
import pytensor.tensor as pt

from .core.compile import compile_function
from .core.modes import compile_mode
from .core.plots import save_scatter
from .core.random_init import random_stream
from .core.runs import Run


def sharedX(X, name):
    """A shared variable holding ``X`` in floatX."""
    return pytensor.shared(numpy.asarray(X, dtype=pytensor.config.floatX), name=name)


def kinetic_energy(vel):
    """The kinetic energy ``|v|^2 / 2`` (unit mass) of each row of ``vel``."""
    return 0.5 * (vel ** 2).sum(axis=1)


def hamiltonian(pos, vel, energy_fn):
    """Potential plus kinetic energy, one value per particle (row)."""
    return energy_fn(pos) + kinetic_energy(vel)


# start-snippet-1
def metropolis_hastings_accept(energy_prev, energy_next, s_rng):
    """True where the move from ``energy_prev`` to ``energy_next`` is accepted: ``exp(prev - next) >= u``."""
    ediff = energy_prev - energy_next
    return (pt.exp(ediff) - s_rng.uniform(size=energy_prev.shape)) >= 0
    # end-snippet-1


# start-snippet-2
def simulate_dynamics(initial_pos, initial_vel, stepsize, n_steps, energy_fn, *, mode=None):
    """Positions and velocities after ``n_steps`` leapfrog steps of size ``stepsize``.

    A half step of velocity, then ``n_steps - 1`` full steps of position and
    velocity (a ``scan``), then the last position step and a final half
    step of velocity.
    """

    def leapfrog(pos, vel, step):
        # from pos(t) and vel(t - step/2): vel(t + step/2), then pos(t + step)
        dE_dpos = pt.grad(energy_fn(pos).sum(), pos)
        new_vel = vel - step * dE_dpos
        new_pos = pos + step * new_vel
        return new_pos, new_vel

    initial_energy = energy_fn(initial_pos)
    dE_dpos = pt.grad(initial_energy.sum(), initial_pos)
    vel_half_step = initial_vel - 0.5 * stepsize * dE_dpos
    pos_full_step = initial_pos + stepsize * vel_half_step
    all_pos, all_vel = pytensor.scan(leapfrog, outputs_info=[pos_full_step, vel_half_step],
                                     non_sequences=[stepsize], n_steps=n_steps - 1, mode=compile_mode(mode),
                                     return_updates=False)
    final_pos, final_vel = all_pos[-1], all_vel[-1]
    # the scan's last velocity is vel(t + (n_steps - 1/2) step): one more half step
    energy = energy_fn(final_pos)
    final_vel = final_vel - 0.5 * stepsize * pt.grad(energy.sum(), final_pos)
    return final_pos, final_vel
    # end-snippet-2


# start-snippet-3
def hmc_move(s_rng, positions, energy_fn, stepsize, n_steps, *, mode=None):
    """One HMC proposal: a random velocity, ``n_steps`` of dynamics, Metropolis-Hastings.

    :returns: ``(accept, final_pos)``: which particles accept, and the proposed positions
    """
    initial_vel = s_rng.normal(size=positions.shape)
    final_pos, final_vel = simulate_dynamics(initial_pos=positions, initial_vel=initial_vel, stepsize=stepsize,
                                             n_steps=n_steps, energy_fn=energy_fn, mode=mode)
    accept = metropolis_hastings_accept(energy_prev=hamiltonian(positions, initial_vel, energy_fn),
                                        energy_next=hamiltonian(final_pos, final_vel, energy_fn), s_rng=s_rng)
    return accept, final_pos
    # end-snippet-3


def hmc_updates(positions, stepsize, avg_acceptance_rate, final_pos, accept, target_acceptance_rate, stepsize_inc,
                stepsize_dec, stepsize_min, stepsize_max, avg_acceptance_slowness):
    """The updates after one proposal: positions that accept move, the step size and the average acceptance adapt.

    The step size grows by ``stepsize_inc`` while the average acceptance rate
    is above the target and shrinks by ``stepsize_dec`` below it, within
    ``[stepsize_min, stepsize_max]``; the average is an exponential moving
    average, ``avg_acceptance_slowness`` the weight of the old value.
    """
    # start-snippet-4
    accept_matrix = accept.dimshuffle(0, *(("x",) * (final_pos.ndim - 1)))
    new_positions = pt.switch(accept_matrix, final_pos, positions)
    _new_stepsize = pt.switch(avg_acceptance_rate > target_acceptance_rate, stepsize * stepsize_inc,
                              stepsize * stepsize_dec)
    new_stepsize = pt.clip(_new_stepsize, stepsize_min, stepsize_max)
    mean_dtype = pytensor.scalar.upcast(accept.dtype, avg_acceptance_rate.dtype)
    new_acceptance_rate = pt.add(avg_acceptance_slowness * avg_acceptance_rate,
                                 (1.0 - avg_acceptance_slowness) * accept.mean(dtype=mean_dtype))
    return [(positions, new_positions), (stepsize, pt.cast(new_stepsize, stepsize.dtype)),
            (avg_acceptance_rate, pt.cast(new_acceptance_rate, avg_acceptance_rate.dtype))]
    # end-snippet-4


class HMC_sampler:
    """An HMC chain over shared positions: ``draw()`` runs one proposal and returns the positions.

    The hyper-parameters are those of Marc'Aurelio Ranzato's ``train_mcRBM.py``, as in the original.
    """

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    @classmethod
    def new_from_shared_positions(cls, shared_positions, energy_fn, initial_stepsize=0.01, target_acceptance_rate=.9,
                                  n_steps=20, stepsize_dec=0.98, stepsize_min=0.001, stepsize_max=0.25,
                                  stepsize_inc=1.02, avg_acceptance_slowness=0.9, seed=12345, *, mode=None):
        """A sampler for the particles in ``shared_positions`` (one per row) under ``energy_fn``.

        :param energy_fn: symbolic positions -> vector of energies (one per
                          row), whose sum PyTensor can differentiate
        :param avg_acceptance_slowness: 1.0 would not move the average at all
        """
        stepsize = sharedX(initial_stepsize, "hmc_stepsize")
        avg_acceptance_rate = sharedX(target_acceptance_rate, "avg_acceptance_rate")
        s_rng = random_stream(seed)
        # the particles' count and dimension as static sizes: JAX can only shape its draws from those
        positions = pt.specify_shape(shared_positions, shared_positions.get_value(borrow=True).shape)
        accept, final_pos = hmc_move(s_rng, positions, energy_fn, stepsize, n_steps, mode=mode)
        simulate_updates = hmc_updates(shared_positions, stepsize, avg_acceptance_rate, final_pos=final_pos,
                                       accept=accept, stepsize_min=stepsize_min, stepsize_max=stepsize_max,
                                       stepsize_inc=stepsize_inc, stepsize_dec=stepsize_dec,
                                       target_acceptance_rate=target_acceptance_rate,
                                       avg_acceptance_slowness=avg_acceptance_slowness)
        simulate = compile_function([], [], updates=simulate_updates, mode=mode)
        return cls(positions=shared_positions, stepsize=stepsize, stepsize_min=stepsize_min,
                   stepsize_max=stepsize_max, avg_acceptance_rate=avg_acceptance_rate,
                   target_acceptance_rate=target_acceptance_rate, s_rng=s_rng, _updates=simulate_updates,
                   simulate=simulate)

    def draw(self, **kwargs):
        """One proposal; the particles' positions after it (``kwargs`` go to ``get_value``)."""
        self.simulate()
        return self.positions.get_value(borrow=False, **kwargs)


def sampler_on_nd_gaussian(sampler_cls, burnin, n_samples, dim=10):
    """The tutorial's experiment: HMC on a correlated ``dim``-dimensional Gaussian, 3 particles.

    Prints the target and empirical moments and the sampler's final step size
    and acceptance rate, as the original; returns ``(sampler, samples, mu, cov)``.
    """
    batchsize = 3
    rng = numpy.random.RandomState(123)
    floatX = pytensor.config.floatX
    mu = numpy.array(rng.rand(dim) * 10, dtype=floatX)
    cov = numpy.array(rng.rand(dim, dim), dtype=floatX)
    cov = (cov + cov.T) / 2.
    cov[numpy.arange(dim), numpy.arange(dim)] = 1.0
    cov_inv = numpy.linalg.inv(cov)

    def gaussian_energy(x):
        return 0.5 * (pt.dot((x - mu), cov_inv) * (x - mu)).sum(axis=1)

    position = pytensor.shared(rng.randn(batchsize, dim).astype(floatX))
    sampler = sampler_cls(position, gaussian_energy, initial_stepsize=1e-3, stepsize_max=0.5)
    for _ in range(burnin):
        sampler.draw()
    _samples = numpy.asarray([sampler.draw() for _ in range(n_samples)])  # (n_samples, batchsize, dim)
    samples = _samples.T.reshape(dim, -1).T  # (n_samples * batchsize, dim)

    print('****** TARGET VALUES ******')
    print('target mean:', mu)
    print('target cov:\n', cov)
    print('****** EMPIRICAL MEAN/COV USING HMC ******')
    print('empirical mean: ', samples.mean(axis=0))
    print('empirical_cov:\n', numpy.cov(samples.T))
    print('****** HMC INTERNALS ******')
    print('final stepsize', sampler.stepsize.get_value())
    print('final acceptance_rate', sampler.avg_acceptance_rate.get_value())
    return sampler, samples, mu, cov


def test_hmc(burnin=1000, n_samples=1000, dim=5, *, seed=12345, output_folder=None, mode=None, floatX="float32"):
    """Sample the tutorial's 5-dimensional Gaussian with HMC; print and record its moments and the sampler's state.

    Writes ``samples.png`` (the samples in the first two dimensions, beside
    draws from the target) and results.json into the run folder.  ``seed``
    seeds the sampler's random stream (the original's 12345); the target and
    the particles' starting points are the tutorial's, drawn from ``RandomState(123)``.
    """
    with Run("hmc", dict(burnin=burnin, n_samples=n_samples, dim=dim, seed=seed),
             output_folder=output_folder, mode=mode, floatX=floatX) as run:
        def sampler_cls(positions, energy_fn, **kwargs):
            return HMC_sampler.new_from_shared_positions(positions, energy_fn, seed=seed, mode=run.mode, **kwargs)

        sampler, samples, mu, cov = sampler_on_nd_gaussian(sampler_cls, burnin, n_samples, dim=dim)
        target = numpy.random.RandomState(0).multivariate_normal(mu, cov, size=len(samples))
        save_scatter({"HMC samples (dimensions 1 and 2)": samples[:, :2],
                      "exact draws from the target": target[:, :2]}, run.path("samples.png"))
        run.record.update(target_mean=mu.tolist(), target_cov=cov.tolist(),
                          empirical_mean=samples.mean(axis=0).tolist(), empirical_cov=numpy.cov(samples.T).tolist(),
                          final_stepsize=float(sampler.stepsize.get_value()),
                          final_acceptance_rate=float(sampler.avg_acceptance_rate.get_value()),
                          target_acceptance_rate=sampler.target_acceptance_rate)
    return run.record


test_hmc.__test__ = False  # an entry function, not a test: pytest must not collect it
