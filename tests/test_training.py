from dltutorial.core.training import early_stopping, train_epochs


def scripted(errors):
    """A validate() that returns the next error of a script at each call."""
    calls = iter(errors)
    return lambda: [next(calls)]


def test_stops_when_validation_stops_improving():
    # 10 batches an epoch, patience 20: validation every 10 iterations
    errors = [0.5, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]
    steps = []
    lines = []
    result = early_stopping(lambda i: steps.append(i) or 1.0, 10, scripted(errors), lambda: [0.25],
                            n_epochs=100, patience=20, log=lines.append)
    # best at epoch 3 (iteration 29): patience becomes max(20, 29 * 2) = 58 -> stops at iteration 58
    assert result.best_iter == 29 and result.best_validation_loss == 0.3
    assert len(steps) == 59 and result.epochs == 6
    assert lines[0] == "epoch 1, minibatch 10/10, validation error 50.000000 %"
    assert lines[1] == "     epoch 1, minibatch 10/10, test error of best model 25.000000 %"


def test_small_improvements_do_not_extend_patience():
    errors = [0.5, 0.499, 0.498, 0.497, 0.496]
    result = early_stopping(lambda i: 1.0, 10, scripted(errors), lambda: [0.1],
                            n_epochs=100, patience=20, log=lambda line: None)
    # 0.499 improves on 0.5 by less than 0.5 %: patience stays 20, the run stops at iteration 20
    assert result.epochs == 3 and result.best_validation_loss == 0.499 and result.best_iter == 19


def test_n_epochs_bounds_the_run():
    result = early_stopping(lambda i: 1.0, 10, lambda: [0.1], lambda: [0.1], n_epochs=2, patience=10 ** 6,
                            log=lambda line: None)
    assert result.epochs == 2 and len(result.epoch_costs) == 2


def test_train_epochs_calls_the_step_with_its_arguments_and_logs_each_epoch():
    calls = []
    lines = []

    def step(index, corruption):
        calls.append((index, corruption))
        return float(index)

    costs = train_epochs(step, 3, 2, kwargs={"corruption": 0.3}, layer=1, log=lines.append,
                         line="Pre-training layer {layer}, epoch {epoch}, cost {cost:f}")
    assert costs == [1.0, 1.0]  # the mean of the minibatches' costs 0, 1, 2
    assert calls == [(0, 0.3), (1, 0.3), (2, 0.3)] * 2
    assert lines == ["Pre-training layer 1, epoch 0, cost 1.000000", "Pre-training layer 1, epoch 1, cost 1.000000"]


def test_train_epochs_averages_each_output_of_a_step_of_several():
    costs = train_epochs(lambda index: [index, 2 * index], 4, 1, log=lambda line: None,
                         line="epoch {epoch}: {cost[0]} {cost[1]}")
    assert costs == [[1.5, 3.0]]


def test_validation_frequency_is_half_the_patience_when_smaller_than_an_epoch():
    seen, steps = [], []
    early_stopping(lambda i: steps.append(i) or 1.0, 10, lambda: seen.append(1) or [0.1], lambda: [0.1],
                   n_epochs=1, patience=4, log=lambda line: None)
    # validate every 2 minibatches; the run stops once the iteration reaches the patience (4)
    assert len(seen) == 2 and steps == [0, 1, 2, 3, 4]


def test_shuffler_keeps_examples_with_their_labels_and_restores_an_order():
    import numpy
    import pytensor
    import pytensor.tensor as pt

    from dltutorial.core.minibatches import Shuffler

    x = pytensor.shared(numpy.arange(20.0).reshape(10, 2))
    labels = pytensor.shared(numpy.arange(10.0))
    y = pt.cast(labels, "int32")  # as shared_dataset gives them: the shuffler permutes the vector under the cast
    shuffler = Shuffler(numpy.random.RandomState(0), x, y)
    shuffler.shuffle()
    saved, rows = shuffler.state(), x.get_value().copy()
    assert not numpy.array_equal(labels.get_value(), numpy.arange(10))  # it moved
    numpy.testing.assert_array_equal(x.get_value()[:, 0], 2 * labels.get_value())  # and kept the pairs
    shuffler.shuffle()
    shuffler.restore(saved)  # a resumed run puts the rows back where the checkpoint had them
    numpy.testing.assert_array_equal(x.get_value(), rows)
    shuffler.shuffle()
    again = Shuffler(numpy.random.RandomState(0), x, y)
    again.restore(saved)
    again.shuffle()
    shuffler.restore(saved)
    shuffler.shuffle()  # the generator's state came back too: the next permutation is the same
    numpy.testing.assert_array_equal(x.get_value()[:, 0], 2 * labels.get_value())
