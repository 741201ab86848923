"""ember.viz: the autograd graph as DOT text and as a text tree."""

import re
import shutil

import pytest

import ember


def two_layer_mlp():
    ember.manual_seed(0)
    params = {
        "layer1.weight": ember.randn(4, 3, requires_grad=True),
        "layer1.bias": ember.zeros(4, requires_grad=True),
        "layer2.weight": ember.randn(2, 4, requires_grad=True),
        "layer2.bias": ember.zeros(2, requires_grad=True),
    }
    x = ember.randn(5, 3)
    y = ember.randn(5, 2)
    h = ember.relu(x @ params["layer1.weight"].T + params["layer1.bias"])
    out = h @ params["layer2.weight"].T + params["layer2.bias"]
    loss = ((out - y) ** 2).mean()
    return loss, params


def parse_dot(source):
    labels = dict(re.findall(r'^\s*(\w+) \[label="([^"]*)"', source, re.M))
    edges = re.findall(r"^\s*(\w+) -> (\w+);", source, re.M)
    return labels, edges


def test_draw_graph_of_an_mlp_has_every_op_and_parameter():
    loss, params = two_layer_mlp()
    labels, edges = parse_dot(draw := ember.viz.draw_graph(loss, params=params).source)
    assert draw.startswith("digraph autograd {")
    ops = sorted(v for k, v in labels.items() if k.startswith("op"))
    assert ops == sorted(["MeanBackward0", "PowBackward0", "SubBackward0", "AddBackward0",
                          "MatmulBackward0", "PermuteBackward0", "AddBackward0",
                          "ReluBackward0", "MatmulBackward0", "PermuteBackward0"])
    leaves = [v.split("\\n")[0] for k, v in labels.items() if k.startswith("leaf")]
    assert sorted(leaves) == sorted(params)
    for name, label in labels.items():
        if name.startswith("leaf"):
            assert "float32" in label and "requires_grad" in label
    # every leaf feeds an op, and the data flows down to the output
    sources = {s for s, _ in edges}
    assert all(k in sources for k in labels if k.startswith("leaf"))
    assert any(t == "output" for _, t in edges)
    # the edge from the first layer's weight goes into its transpose (a permute)
    w1 = next(k for k, v in labels.items() if v.startswith("layer1.weight"))
    assert [labels[t] for s, t in edges if s == w1] == ["PermuteBackward0"]


def test_draw_graph_shows_values_when_asked():
    a = ember.tensor([1.5, 2.0], requires_grad=True)
    source = ember.viz.draw_graph((a * 2).sum(), show_values=True).source
    assert "[1.5, 2]" in source and "[7]" in source


def test_print_graph_tree():
    a = ember.ones(2, requires_grad=True)
    b = ember.ones(2, requires_grad=True)
    c = ember.ones(2, requires_grad=True)
    text = ember.viz.print_graph((a * b + c).sum(), params={"a": a, "b": b, "c": c})
    assert text == (
        "SumBackward0\n"
        "└── AddBackward0\n"
        "    ├── MulBackward0\n"
        "    │   ├── a (2,) float32 requires_grad\n"
        "    │   └── b (2,) float32 requires_grad\n"
        "    └── c (2,) float32 requires_grad")


def test_print_graph_marks_shared_nodes_once():
    x = ember.ones(2, requires_grad=True)
    x.name = "x"
    h = x * 2
    text = ember.viz.print_graph(h + h)
    assert text.count("MulBackward0") == 2 and "(shown above)" in text


def test_render_without_graphviz_raises_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = ember.viz.draw_graph((ember.ones(2, requires_grad=True) * 2).sum())
    with pytest.raises(RuntimeError, match="Graphviz's `dot` program is not installed"):
        g.render(str(tmp_path / "g.svg"))
    assert open(g.render(str(tmp_path / "g.dot"))).read() == g.source


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_render_to_svg_with_graphviz(tmp_path):
    loss, params = two_layer_mlp()
    path = ember.viz.draw_graph(loss, params=params).render(str(tmp_path / "mlp.svg"))
    assert open(path).read().lstrip().startswith(("<?xml", "<svg"))


def test_draw_graph_of_an_nn_mlp_labels_its_parameters_by_dotted_name():
    from ember import nn

    ember.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x, y = ember.randn(5, 3), ember.randn(5, 2)
    loss = nn.functional.mse_loss(model(x), y)
    params = dict(model.named_parameters())
    labels, edges = parse_dot(ember.viz.draw_graph(loss, params=params).source)
    leaves = {v.split("\\n")[0]: k for k, v in labels.items() if k.startswith("leaf")}
    assert sorted(leaves) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert labels[leaves["0.weight"]] == "0.weight\\n4x3 float32\\nrequires_grad"
    ops = sorted(v for k, v in labels.items() if k.startswith("op"))
    assert "ReluBackward0" in ops and "MeanBackward0" in ops
    # each layer's weight and bias feed the same op, and the first layer's op feeds the relu
    targets = {name: [labels[t] for s, t in edges if s == node] for name, node in leaves.items()}
    first = {t for s, t in edges if s == leaves["0.weight"]}
    assert first == {t for s, t in edges if s == leaves["0.bias"]}
    assert [labels[t] for s, t in edges if s in first] == ["ReluBackward0"]
    assert all(len(v) == 1 for v in targets.values())
    # every op is reachable from the leaves and leads to the output
    reach, frontier = set(), set(leaves.values())
    while frontier:
        reach |= frontier
        frontier = {t for s, t in edges if s in frontier} - reach
    assert "output" in reach and all(k in reach for k in labels if k.startswith("op"))


def test_draw_graph_takes_show_values_second_as_in_its_signature():
    a = ember.tensor([1.5, 2.0], requires_grad=True)
    assert "[1.5, 2]" in ember.viz.draw_graph((a * 2).sum(), True).source
    assert "[1.5, 2]" not in ember.viz.draw_graph((a * 2).sum()).source


FAKE_DOT = """#!{python}
import sys
args = sys.argv[1:]
fmt, out = args[0], args[args.index("-o") + 1] if "-o" in args else None
source = sys.stdin.read()
text = "<svg><!-- %s %d edges --></svg>" % (fmt, source.count("->"))
if out is None:
    sys.stdout.write(text)
else:
    open(out, "w").write(text)
"""


def test_render_hands_the_dot_text_to_graphviz(tmp_path, monkeypatch):
    # a stand-in for Graphviz's `dot` on the PATH: it records the format and the edges it got
    import os
    import sys

    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(FAKE_DOT.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ.get("PATH", ""))
    loss, params = two_layer_mlp()
    graph = ember.viz.draw_graph(loss, params=params)
    n_edges = graph.source.count("->")
    for fmt in ("svg", "png"):
        path = graph.render(str(tmp_path / f"mlp.{fmt}"))
        assert open(path).read() == f"<svg><!-- -T{fmt} {n_edges} edges --></svg>"
    ember.viz.draw_graph(loss, params=params, path=str(tmp_path / "direct.svg"))
    assert (tmp_path / "direct.svg").read_text() == f"<svg><!-- -Tsvg {n_edges} edges --></svg>"
    assert graph._repr_svg_() == f"<svg><!-- -Tsvg {n_edges} edges --></svg>"
    with pytest.raises(ValueError, match="unknown format 'jpg'"):
        graph.render(str(tmp_path / "mlp.jpg"))
