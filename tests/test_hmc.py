"""Hybrid Monte Carlo: the leapfrog integrator, the accept rule, and the tutorial's Gaussian experiment."""

import json

import numpy
import pytensor
import pytensor.tensor as pt
import pytest
from PIL import Image

from dltutorial.core.compile import compile_function
from dltutorial.core.random_init import random_stream
from dltutorial.hmc import HMC_sampler, metropolis_hastings_accept, sampler_on_nd_gaussian, simulate_dynamics, test_hmc

CURVATURE = numpy.array([1.0, 4.0, 0.5])


def quadratic_energy(x):
    return 0.5 * (CURVATURE * x ** 2).sum(axis=1)


def test_leapfrog_nearly_conserves_energy_and_runs_backwards(float64):
    pos, vel = pt.matrix("pos"), pt.matrix("vel")
    final_pos, final_vel = simulate_dynamics(pos, vel, 0.01, 50, quadratic_energy)
    run = compile_function([pos, vel], [final_pos, final_vel])
    rng = numpy.random.RandomState(0)
    x0, v0 = rng.randn(4, 3), rng.randn(4, 3)
    x1, v1 = run(x0, v0)

    def energy(x, v):
        return 0.5 * (CURVATURE * x ** 2).sum(axis=1) + 0.5 * (v ** 2).sum(axis=1)
    assert not numpy.allclose(x1, x0)  # it moved
    numpy.testing.assert_allclose(energy(x1, v1), energy(x0, v0), rtol=1e-3)  # leapfrog's error is O(step^2)
    # exact x(t) = x0 cos(w t) + v0 / w sin(w t), w = sqrt(curvature), t = 50 * 0.01
    w, t = numpy.sqrt(CURVATURE), 0.5
    numpy.testing.assert_allclose(x1, x0 * numpy.cos(w * t) + v0 / w * numpy.sin(w * t), atol=1e-3)
    back_x, back_v = run(x1, -v1)  # time reversal: the same path backwards
    numpy.testing.assert_allclose(back_x, x0, atol=1e-10)
    numpy.testing.assert_allclose(-back_v, v0, atol=1e-10)


def test_a_move_to_lower_energy_is_always_accepted(float64):
    prev, nxt = pt.vector("prev"), pt.vector("next")
    accept = compile_function([prev, nxt], metropolis_hastings_accept(prev, nxt, random_stream(1)))
    ones = numpy.ones(2000)
    assert accept(ones, ones - 1).all()
    # one unit of energy higher: accepted with probability exp(-1)
    assert abs(accept(ones, ones + 1).mean() - numpy.exp(-1)) < 0.03


def test_the_sampler_finds_the_gaussians_moments_and_tracks_its_target_rate(float64, capsys):
    sampler, samples, mu, cov = sampler_on_nd_gaussian(HMC_sampler.new_from_shared_positions, burnin=300,
                                                       n_samples=600, dim=5)
    assert samples.shape == (1800, 5)
    # the step size was tuned so that 90 % of proposals are accepted: count the moves of each particle's chain
    # (the samples are particle by particle, as the original's reshape lays them out)
    moved = (numpy.diff(samples.reshape(3, 600, 5), axis=1) != 0).any(axis=2).mean()
    assert abs(moved - sampler.target_acceptance_rate) < 0.05
    assert abs(sampler.avg_acceptance_rate.get_value() - moved) < 0.1  # the running average follows the accepts
    stepsize = sampler.stepsize.get_value()
    assert stepsize > 5 * 1e-3 and sampler.stepsize_min < stepsize < sampler.stepsize_max  # grew from 1e-3, unclipped
    numpy.testing.assert_allclose(samples.mean(axis=0), mu, atol=0.2)
    numpy.testing.assert_allclose(numpy.cov(samples.T), cov, atol=0.25)
    out = capsys.readouterr().out
    for line in ("****** TARGET VALUES ******", "target mean:", "empirical mean: ", "final stepsize",
                 "final acceptance_rate"):
        assert line in out


def test_entry_point_records_moments_and_draws_the_samples(tmp_path):
    record = test_hmc(burnin=50, n_samples=100, dim=3, output_folder=str(tmp_path))
    assert json.loads((tmp_path / "results.json").read_text()) == json.loads(json.dumps(record))
    assert len(record["empirical_mean"]) == 3 and len(record["target_cov"]) == 3
    assert 0 < record["final_acceptance_rate"] <= 1
    with Image.open(tmp_path / "samples.png") as picture:
        assert picture.size[0] > picture.size[1] and len(numpy.unique(numpy.asarray(picture.convert("L")))) > 2


def test_the_draws_repeat_from_the_seed(float64):
    def chain():
        positions = pytensor.shared(numpy.zeros((2, 3)))
        sampler = HMC_sampler.new_from_shared_positions(positions, quadratic_energy, seed=99)
        return [sampler.draw() for _ in range(3)]
    first, second = chain(), chain()
    numpy.testing.assert_array_equal(first, second)
    assert not numpy.allclose(first[0], first[2])


@pytest.mark.parametrize("bad, message", [({"burnin": -1}, "burnin"), ({"dim": 0}, "dim")])
def test_bad_arguments_are_refused_before_any_work(bad, message, tmp_path):
    from dltutorial.core.errors import ArgumentError
    with pytest.raises(ArgumentError, match=message):
        test_hmc(output_folder=str(tmp_path / "run"), **bad)
