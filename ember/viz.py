"""Seeing what autograd recorded: the graph of a result as Graphviz DOT text (rendered to SVG or
PNG when Graphviz's `dot` is installed) and as an indented text tree for terminals.

The graph runs in the direction data flows: leaf tensors (parameters, inputs that require grad)
at the top, the ops that used them below, the result at the bottom. Passing a model's
`dict(model.named_parameters())` as `params` labels its parameters with their dotted names.
"""

from __future__ import annotations

import shutil
import subprocess

from .autograd.function import Node
from .tensor import Tensor

__all__ = ["draw_graph", "print_graph", "Graph"]


def _leaf_label(t: Tensor, names: dict, show_values: bool) -> str:
    name = names.get(id(t)) or t.name or "leaf"
    shape = "x".join(str(n) for n in t.shape) if t.ndim else "scalar"
    flag = "requires_grad" if t.requires_grad else "no grad"
    text = f"{name}\n{shape} {t.dtype.name}\n{flag}"
    if show_values:
        text += "\n" + _values(t)
    return text


def _values(t: Tensor) -> str:
    flat = t.detach().reshape(-1)
    items = [f"{v:.4g}" for v in flat[:6].tolist()]
    more = ", ..." if flat.numel() > 6 else ""
    return "[" + ", ".join(items) + more + "]"


def _walk(root: Tensor):
    """Nodes and leaves reachable from root's grad_fn, and the edges (source, target) in the
    direction data flows. Iterative, so deep graphs are fine."""
    nodes, leaves, edges = [], [], []
    seen = set()
    stack = [root.grad_fn] if root.grad_fn is not None else []
    if root.grad_fn is not None:
        seen.add(id(root.grad_fn))
    while stack:
        node = stack.pop()
        nodes.append(node)
        for e in node.next:
            if e is None:
                continue
            source, nr = e
            edges.append((source, node))
            if id(source) in seen:
                continue
            seen.add(id(source))
            if nr < 0:
                leaves.append(source)
            else:
                stack.append(source)
    return nodes, leaves, edges


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Graph:
    """A drawn autograd graph: `.source` is the DOT text; render() writes SVG/PNG via Graphviz."""

    def __init__(self, source: str):
        self.source = source

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<ember.viz.Graph with {self.source.count('->')} edges>"

    def render(self, path: str, format: str | None = None) -> str:
        """Write the graph to `path` (format from the extension: svg, png or pdf); needs
        Graphviz's `dot` program. Returns the path."""
        fmt = format or path.rsplit(".", 1)[-1].lower()
        if fmt not in ("svg", "png", "pdf", "dot", "gv"):
            raise ValueError(f"render: unknown format {fmt!r}; use svg, png, pdf or dot")
        if fmt in ("dot", "gv"):
            with open(path, "w") as f:
                f.write(self.source)
            return path
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError("render: Graphviz's `dot` program is not installed (e.g. `apt "
                               "install graphviz`); the DOT text is in Graph.source")
        subprocess.run([dot, f"-T{fmt}", "-o", path], input=self.source.encode(), check=True)
        return path

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None
        return subprocess.run(["dot", "-Tsvg"], input=self.source.encode(), check=True,
                              capture_output=True).stdout.decode()


def draw_graph(tensor: Tensor, show_values: bool = False, params: dict | None = None,
               path: str | None = None) -> Graph:
    """The autograd graph of `tensor` as Graphviz DOT: op nodes (boxes), leaf tensors (ovals
    with name, shape, dtype and whether they require grad; their first values too with
    show_values=True), edges where data flows. `params` ({name: tensor}, such as
    `dict(model.named_parameters())`) names the leaves. With `path`, the graph is also
    rendered there (see Graph.render)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    nodes, leaves, edges = _walk(tensor)
    ids = {}
    lines = ["digraph autograd {", '  rankdir="TB";',
             '  node [fontname="Helvetica", fontsize=10];']
    for i, leaf in enumerate(leaves):
        ids[id(leaf)] = f"leaf{i}"
        lines.append(f'  leaf{i} [label="{_escape(_leaf_label(leaf, names, show_values))}", '
                     'shape=ellipse, style=filled, fillcolor="#cfe2f3"];')
    for i, node in enumerate(nodes):
        ids[id(node)] = f"op{i}"
        lines.append(f'  op{i} [label="{_escape(node.name())}", shape=box, style=filled, '
                     'fillcolor="#eeeeee"];')
    out_label = "output\n" + ("x".join(str(n) for n in tensor.shape) or "scalar")
    if show_values:
        out_label += "\n" + _values(tensor)
    lines.append(f'  output [label="{_escape(out_label)}", shape=ellipse, style=filled, '
                 'fillcolor="#d9ead3"];')
    for source, target in edges:
        lines.append(f"  {ids[id(source)]} -> {ids[id(target)]};")
    if tensor.grad_fn is not None:
        lines.append(f"  {ids[id(tensor.grad_fn)]} -> output;")
    elif tensor.requires_grad:
        lines.insert(3, f'  leaf_out [label="{_escape(_leaf_label(tensor, names, show_values))}'
                        '", shape=ellipse];')
        lines.append("  leaf_out -> output;")
    lines.append("}")
    graph = Graph("\n".join(lines) + "\n")
    if path is not None:
        graph.render(path)
    return graph


def print_graph(tensor: Tensor, params: dict | None = None, file=None) -> str:
    """The autograd graph of `tensor` as an indented tree, from the result back to the leaves
    (a node reached twice is shown once and then referred to). Prints it (to `file` or
    stdout) and returns the text."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"print_graph: expected a Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    lines = []
    if tensor.grad_fn is None:
        lines.append(_leaf_line(tensor, names) if tensor.requires_grad else
                     "(no graph: the tensor does not require grad)")
    else:
        shown = set()
        # iterative depth-first walk: (item, prefix for its children, connector for itself)
        stack = [(tensor.grad_fn, "", "")]
        while stack:
            item, prefix, connector = stack.pop()
            if isinstance(item, Node):
                if id(item) in shown:
                    lines.append(f"{connector}{item.name()} (shown above)")
                    continue
                shown.add(id(item))
                lines.append(f"{connector}{item.name()}")
                children = [e[0] for e in item.next if e is not None]
                for k in range(len(children) - 1, -1, -1):
                    last = k == len(children) - 1
                    stack.append((children[k], prefix + ("    " if last else "│   "),
                                  prefix + ("└── " if last else "├── ")))
            else:
                lines.append(f"{connector}{_leaf_line(item, names)}")
    text = "\n".join(lines)
    print(text, file=file)
    return text


def _leaf_line(t: Tensor, names: dict) -> str:
    name = names.get(id(t)) or t.name or "leaf"
    shape = tuple(t.shape)
    return f"{name} {shape} {t.dtype.name}" + (" requires_grad" if t.requires_grad else "")
