"""Chapter 9's computational graph: traced from the autodiff engine, checked against backprop."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import backprop as bp  # noqa: E402
from backprop.figures import graph as gp  # noqa: E402


@pytest.fixture
def chain():
    net = bp.Network((1, 1, 1, 1), seed=3)
    weights = [float(w[0, 0]) for w in net.weights]
    biases = [float(b[0]) for b in net.biases]
    return net, weights, biases


def test_graph_gradients_equal_the_networks_backward_pass(chain):
    net, weights, biases = chain
    nodes, _ = gp.chain_graph(weights, biases, 0.8, 1.0)
    grad = {n.name: n.grad for n in nodes}
    expected = net.gradient(np.array([0.8]), np.array([[1.0]]))
    for layer in range(3):
        assert grad[f"w{layer + 1}"] == pytest.approx(expected.weights[layer][0, 0], rel=1e-12)
        assert grad[f"b{layer + 1}"] == pytest.approx(expected.biases[layer][0], rel=1e-12)
    assert grad["C"] == 1.0


def test_each_node_gradient_is_the_sum_over_its_edges_of_local_derivative_times_child(chain):
    _, weights, biases = chain
    nodes, edges = gp.chain_graph(weights, biases, 0.3, 0.0)
    grad = {n.name: n.grad for n in nodes}
    for node in nodes:
        outgoing = [e for e in edges if e.parent == node.name]
        if outgoing:
            assert node.grad == pytest.approx(
                sum(e.derivative * grad[e.child] for e in outgoing), rel=1e-12)


def test_forward_values_follow_the_neuron_formulas(chain):
    _, weights, biases = chain
    nodes, _ = gp.chain_graph(weights, biases, 0.8, 1.0)
    value = {n.name: n.value for n in nodes}
    a = 0.8
    for layer, (w, b) in enumerate(zip(weights, biases), start=1):
        assert value[f"z{layer}"] == pytest.approx(w * a + b)
        a = float(bp.sigmoid(w * a + b))
        assert value[f"a{layer}"] == pytest.approx(a)
    assert value["C"] == pytest.approx((a - 1.0) ** 2)


def test_backward_passes_each_tensor_back_only_after_everything_that_uses_it(chain):
    _, weights, biases = chain
    named = gp.chain_tensors(weights, biases, 0.8, 1.0)
    order = gp.backward_order(named["C"], named)
    assert sorted(order) == sorted(named) and order[0] == "C"
    _, edges = gp.chain_graph(weights, biases, 0.8, 1.0)
    for edge in edges:
        assert order.index(edge.child) < order.index(edge.parent), edge


def test_backward_order_leaves_the_tensors_as_they_were(chain):
    _, weights, biases = chain
    named = gp.chain_tensors(weights, biases, 0.8, 1.0)
    before = {name: t.pass_back for name, t in named.items()}
    gp.backward_order(named["C"], named)
    assert all(named[name].pass_back is before[name] for name in named)
    first = named["w1"].grad.copy()
    named["C"].backward()
    assert named["w1"].grad == pytest.approx(first)


def test_chain_tensors_needs_one_bias_per_weight():
    with pytest.raises(ValueError, match="as many weights as biases"):
        gp.chain_tensors([1.0, 2.0], [0.0], 0.5, 1.0)


def test_drawing_writes_every_value_and_colours_gradients_by_sign(chain):
    _, weights, biases = chain
    nodes, edges = gp.chain_graph(weights, biases, 0.8, 1.0)
    fig, ax = plt.subplots()
    artists = gp.draw_graph(nodes, edges, ax)
    texts = {t.get_text(): t for t in ax.texts}
    for node in nodes:
        assert any(f"{node.value:.3f}" in s for s in texts)
        shown = texts[f"{-node.grad:+.3g}"]      # minus the derivative: wish, push or nudge
        assert shown.get_color() == (gp.UP_COLOR if -node.grad > 0 else gp.DOWN_COLOR)
    assert all(f"{e.derivative:.3g}" in texts for e in edges)
    where = {n.name: n.position for n in nodes}
    for edge in edges:                            # each label above its arrow's middle
        label = texts[f"{edge.derivative:.3g}"]
        (x0, y0), (x1, y1) = where[edge.parent], where[edge.child]
        assert label.get_position()[1] > (y0 + y1) / 2 + 0.1
    assert min(t.get_fontsize() for t in ax.texts) >= 10
    assert len(artists) == 2 * len(edges) + 2 * len(nodes)
    plt.close(fig)
