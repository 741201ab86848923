"""Module: registration, iteration, state_dict / load_state_dict, repr, hooks, modes,
conversions and the containers."""

import copy
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import Parameter


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 3)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(3, 2)
        self.scale = Parameter(ember.ones(2))
        self.register_buffer("steps", ember.zeros(()))
        self.register_buffer("cache", ember.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


def test_parameter_is_a_tensor_that_requires_grad():
    p = Parameter(ember.zeros(3))
    assert isinstance(p, ember.Tensor)
    assert p.requires_grad and p.is_leaf
    assert not Parameter(ember.zeros(3), requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    with pytest.raises(RuntimeError):
        Parameter(ember.zeros(3, dtype=ember.int64))


def test_parameter_shares_memory_with_its_data():
    t = ember.zeros(3)
    p = Parameter(t)
    t.add_(1.0)
    assert p.tolist() == [1.0, 1.0, 1.0]


def test_registration_by_assignment():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [n for n, _ in net.named_modules()] == ["", "fc1", "act", "fc2"]
    assert len(list(net.parameters(recurse=False))) == 1
    assert net.get_submodule("fc1") is net.fc1
    assert net.get_parameter("fc2.bias") is net.fc2.bias
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        net.get_submodule("nope")


def test_register_parameter_add_module_and_the_plain_iterators():
    m = nn.Module()
    w = Parameter(ember.ones(2))
    m.register_parameter("w", w)
    m.register_parameter("b", None)  # declared but absent, like a missing bias
    m.add_module("lin", nn.Linear(2, 1))
    m.add_module("nothing", None)
    m.register_buffer("count", ember.zeros(()))
    assert m.w is w and m.b is None and m.nothing is None
    assert [n for n, _ in m.named_parameters()] == ["w", "lin.weight", "lin.bias"]
    assert list(m.parameters())[0] is w
    assert list(m.buffers()) == [m.count]
    assert list(m.children()) == [m.lin]
    assert list(m.modules()) == [m, m.lin]
    assert list(m.state_dict()) == ["w", "count", "lin.weight", "lin.bias"]
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("v", ember.ones(2))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("training", Parameter(ember.ones(1)))
    with pytest.raises(KeyError, match="already exists"):
        m.add_module("w", nn.ReLU())
    with pytest.raises(TypeError, match="not a Module subclass"):
        m.add_module("x", ember.ones(1))
    with pytest.raises(TypeError, match="Tensor or None"):
        m.register_buffer("y", [1.0])
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Early(nn.Module):
            def __init__(self):
                self.register_parameter("w", Parameter(ember.ones(1)))
        Early()


def test_float_converts_floating_parameters_and_buffers_only():
    net = Net().double()
    net.register_buffer("index", ember.tensor([1, 2]))
    net.float()
    assert net.fc1.weight.dtype is ember.float32 and net.steps.dtype is ember.float32
    assert net.index.dtype is ember.int64


def test_reassignment_and_deletion():
    net = Net()
    with pytest.raises(TypeError):
        net.scale = ember.ones(2)  # a plain tensor cannot replace a parameter
    net.scale = None
    assert "scale" not in dict(net.named_parameters())
    del net.fc2
    assert [n for n, _ in net.named_children()] == ["fc1", "act"]
    net.extra = nn.Buffer(ember.ones(1))
    assert "extra" in dict(net.named_buffers())


def test_shared_parameters_come_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_state_dict_keys_values_and_persistence():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"].data_ptr() == net.fc1.weight.data_ptr()  # shares the memory
    assert net.state_dict(keep_vars=True)["fc1.weight"] is net.fc1.weight


def test_load_state_dict_round_trip_and_numpy_values():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (_, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.detach().cpu().numpy(), pb.detach().cpu().numpy())
    arrays = {k: v.cpu().numpy().copy() + 1.0 for k, v in a.state_dict().items()}
    result = b.load_state_dict(arrays)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(b.fc1.weight.detach().cpu().numpy(), arrays["fc1.weight"])


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["fc3.weight"] = ember.zeros(1)
    sd["fc2.weight"] = ember.zeros(5, 5)
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "fc3.weight"' in msg
    assert ("size mismatch for fc2.weight: copying a param with shape ember.Size([5, 5]) from "
            "checkpoint, the shape in current model is ember.Size([2, 3])") in msg


def test_load_state_dict_non_strict_still_rejects_shape_mismatch():
    net = Net()
    sd = net.state_dict()
    del sd["fc1.bias"]
    sd["other"] = ember.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc1.bias"]
    assert result.unexpected_keys == ["other"]
    sd["fc1.weight"] = ember.zeros(1)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        net.load_state_dict(sd, strict=False)


def test_repr_is_pytorchs_tree():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.1, inplace=False)\n"
        "  )\n"
        ")")
    assert repr(nn.Conv2d(1, 2, 3, stride=2, padding=1, bias=False)) == (
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)")


def test_modulelist_repr_collapses_runs_of_equal_children_as_pytorch():
    layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
    layers.append(nn.ReLU())
    layers.extend([nn.Sequential(nn.Linear(1, 1)), nn.Sequential(nn.Linear(1, 1))])
    layers.append(nn.Linear(4, 4))  # equal to the first run but not next to it: its own line
    assert repr(layers) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=4, out_features=4, bias=True)\n"
        "  (3): ReLU()\n"
        "  (4-5): 2 x Sequential(\n"
        "    (0): Linear(in_features=1, out_features=1, bias=True)\n"
        "  )\n"
        "  (6): Linear(in_features=4, out_features=4, bias=True)\n"
        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"
    assert repr(nn.ModuleList([nn.ReLU()])) == "ModuleList(\n  (0): ReLU()\n)"

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Tanh(), nn.Tanh()])

    # nested in a module, indented as PyTorch's tree; Sequential does not collapse
    assert repr(Block()) == (
        "Block(\n"
        "  (layers): ModuleList(\n"
        "    (0-1): 2 x Tanh()\n"
        "  )\n"
        ")")
    assert repr(nn.Sequential(nn.ReLU(), nn.ReLU())) == (
        "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)")


def test_forward_pre_hook_and_forward_hook():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(ember.ones(1, 2))
    expected = lin.bias.detach().cpu().numpy()[None] + 1
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected, rtol=1e-6)
    assert calls == [ember.Size([1, 2])]
    h1.remove()
    h2.remove()
    out = lin(ember.ones(1, 2))
    assert len(calls) == 1


def test_forward_hooks_with_kwargs():
    lin = nn.Linear(2, 2)
    seen = {}

    def pre(module, args, kwargs):
        seen["pre"] = dict(kwargs)

    def post(module, args, kwargs, out):
        seen["post"] = out.shape

    lin.register_forward_pre_hook(pre, with_kwargs=True)
    lin.register_forward_hook(post, with_kwargs=True)
    lin(input=ember.ones(3, 2))
    assert "input" in seen["pre"] and seen["post"] == ember.Size([3, 2])


def test_full_backward_hook_sees_and_replaces_gradients():
    lin = nn.Linear(3, 2, dtype=ember.float64)
    seen = {}

    def hook(module, grad_input, grad_output):
        seen["in"] = grad_input
        seen["out"] = grad_output
        return (grad_input[0] * 2,)

    lin.register_full_backward_hook(hook)
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_allclose(seen["out"][0].cpu().numpy(), np.ones((4, 2)))
    expected = np.ones((4, 2)) @ lin.weight.detach().cpu().numpy()
    np.testing.assert_allclose(seen["in"][0].cpu().numpy(), expected)
    np.testing.assert_allclose(x.grad.cpu().numpy(), 2 * expected)


def test_full_backward_hook_on_input_without_grad():
    lin = nn.Linear(3, 2)
    seen = []
    lin.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    lin(ember.randn(4, 3)).sum().backward()
    assert seen and seen[0][0] == (None,) and seen[0][1][0].shape == ember.Size([4, 2])


def test_train_eval_and_requires_grad():
    net = Net()
    assert net.training and net.fc1.training
    net.eval()
    assert not net.training and not net.fc1.training
    net.train()
    assert net.fc2.training
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_zero_grad_and_apply():
    net = Net()
    net(ember.randn(2, 4)).sum().backward()
    assert net.fc1.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert float(net.fc1.weight.grad.abs().sum()) == 0.0
    net.zero_grad()
    assert net.fc1.weight.grad is None
    names = []
    net.apply(lambda m: names.append(type(m).__name__))
    assert names == ["Linear", "ReLU", "Linear", "Net"]


def test_to_double_keeps_parameter_objects():
    net = Net()
    w = net.fc1.weight
    net.double()
    assert net.fc1.weight is w and w.dtype is ember.float64
    assert net.steps.dtype is ember.float64
    net.to(ember.float32)
    assert w.dtype is ember.float32
    net.to("cpu")
    with pytest.raises(TypeError):
        net.to(ember.int64)


def test_sequential_indexing_slicing_and_mutation():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[0], nn.Linear) and isinstance(seq[-1], nn.Linear)
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    del seq[1]
    assert [type(m).__name__ for m in seq] == ["Linear", "Linear", "Sigmoid"]
    seq.insert(1, nn.Tanh())
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError):
        seq[10]
    named = nn.Sequential(OrderedDict([("first", nn.Linear(1, 1))]))
    assert named.first is named[0]
    assert seq(ember.randn(5, 2)).shape == ember.Size([5, 1])


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Tanh())
    ml.extend([nn.Sigmoid()])
    assert len(ml) == 4 and isinstance(ml[-1], nn.Sigmoid)
    assert list(ml.state_dict()) == ["0.weight", "0.bias"]
    md = nn.ModuleDict({"a": nn.Linear(1, 2)})
    md["b"] = nn.Linear(2, 1)
    assert list(md.keys()) == ["a", "b"] and "a" in md
    assert list(md.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_parameter_list_and_dict():
    pl = nn.ParameterList([Parameter(ember.zeros(2)), ember.ones(3)])
    assert isinstance(pl[1], Parameter) and len(pl) == 2
    assert list(pl.state_dict()) == ["0", "1"]
    pd = nn.ParameterDict({"w": ember.zeros(2)})
    pd["v"] = Parameter(ember.ones(1))
    assert list(pd.keys()) == ["w", "v"] and isinstance(pd["w"], Parameter)
    assert list(pd.state_dict()) == ["w", "v"]
    assert len(list(pd.parameters())) == 2


# PyTorch's state_dict layouts (keys and shapes) for the same constructions, from its docs.
PYTORCH_LAYOUTS = [
    (lambda: nn.Linear(4, 3), {"weight": (3, 4), "bias": (3,)}),
    (lambda: nn.Bilinear(2, 3, 4), {"weight": (4, 2, 3), "bias": (4,)}),
    (lambda: nn.Conv1d(2, 4, 3), {"weight": (4, 2, 3), "bias": (4,)}),
    (lambda: nn.Conv2d(4, 6, (3, 2), groups=2), {"weight": (6, 2, 3, 2), "bias": (6,)}),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=2), {"weight": (4, 3, 3, 3), "bias": (6,)}),
    (lambda: nn.BatchNorm1d(5), {"weight": (5,), "bias": (5,), "running_mean": (5,),
                                 "running_var": (5,), "num_batches_tracked": ()}),
    (lambda: nn.BatchNorm2d(3, affine=False), {"running_mean": (3,), "running_var": (3,),
                                               "num_batches_tracked": ()}),
    (lambda: nn.LayerNorm((2, 3)), {"weight": (2, 3), "bias": (2, 3)}),
    (lambda: nn.GroupNorm(2, 4), {"weight": (4,), "bias": (4,)}),
    (lambda: nn.InstanceNorm2d(3), {}),
    (lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
     {"weight": (3,), "bias": (3,), "running_mean": (3,), "running_var": (3,),
      "num_batches_tracked": ()}),
    (lambda: nn.Embedding(10, 3), {"weight": (10, 3)}),
    (lambda: nn.PReLU(3), {"weight": (3,)}),
    (lambda: nn.RNN(3, 4), {"weight_ih_l0": (4, 3), "weight_hh_l0": (4, 4),
                            "bias_ih_l0": (4,), "bias_hh_l0": (4,)}),
    (lambda: nn.GRU(3, 4, bias=False), {"weight_ih_l0": (12, 3), "weight_hh_l0": (12, 4)}),
    (lambda: nn.LSTM(3, 4, num_layers=2, bidirectional=True), {
        "weight_ih_l0": (16, 3), "weight_hh_l0": (16, 4), "bias_ih_l0": (16,),
        "bias_hh_l0": (16,), "weight_ih_l0_reverse": (16, 3), "weight_hh_l0_reverse": (16, 4),
        "bias_ih_l0_reverse": (16,), "bias_hh_l0_reverse": (16,), "weight_ih_l1": (16, 8),
        "weight_hh_l1": (16, 4), "bias_ih_l1": (16,), "bias_hh_l1": (16,),
        "weight_ih_l1_reverse": (16, 8), "weight_hh_l1_reverse": (16, 4),
        "bias_ih_l1_reverse": (16,), "bias_hh_l1_reverse": (16,)}),
    (lambda: nn.LSTMCell(3, 4), {"weight_ih": (16, 3), "weight_hh": (16, 4),
                                 "bias_ih": (16,), "bias_hh": (16,)}),
    (lambda: nn.MultiheadAttention(8, 2), {
        "in_proj_weight": (24, 8), "in_proj_bias": (24,), "out_proj.weight": (8, 8),
        "out_proj.bias": (8,)}),
    (lambda: nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False), {
        "q_proj_weight": (8, 8), "k_proj_weight": (8, 3), "v_proj_weight": (8, 5),
        "out_proj.weight": (8, 8)}),
    (lambda: nn.TransformerEncoderLayer(8, 2, 16), {
        "self_attn.in_proj_weight": (24, 8), "self_attn.in_proj_bias": (24,),
        "self_attn.out_proj.weight": (8, 8), "self_attn.out_proj.bias": (8,),
        "linear1.weight": (16, 8), "linear1.bias": (16,), "linear2.weight": (8, 16),
        "linear2.bias": (8,), "norm1.weight": (8,), "norm1.bias": (8,), "norm2.weight": (8,),
        "norm2.bias": (8,)}),
]


@pytest.mark.parametrize("make, layout", PYTORCH_LAYOUTS)
def test_state_dict_layout_matches_pytorch(make, layout):
    sd = make().state_dict()
    assert list(sd) == list(layout)
    assert {k: tuple(v.shape) for k, v in sd.items()} == layout


def test_pytorch_weights_as_numpy_load_into_the_same_model():
    """A PyTorch state_dict converted with .cpu().numpy() (here: arrays with PyTorch's keys and
    shapes) loads into the ember model, and the model then computes with those weights."""
    rng = np.random.default_rng(0)
    layout = dict(PYTORCH_LAYOUTS[0][1])
    arrays = {k: rng.standard_normal(s).astype(np.float32) for k, s in layout.items()}
    model = nn.Linear(4, 3)
    model.load_state_dict(arrays)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    out = model(ember.tensor(x)).detach().cpu().numpy()
    np.testing.assert_allclose(out, x @ arrays["weight"].T + arrays["bias"], rtol=1e-5)


def test_deepcopy_of_a_model_with_buffers_gives_independent_tensors():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(ember.randn(5, 3))
    clone = copy.deepcopy(model)
    for (k, a), (k2, b) in zip(model.state_dict().items(), clone.state_dict().items()):
        assert k == k2 and a is not b
        np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy())
    assert isinstance(clone[0].weight, nn.Parameter) and clone[0].weight.requires_grad
    clone(ember.randn(5, 3))  # training mode: the clone's running stats move, not the model's
    assert not np.array_equal(model[1].running_mean.cpu().numpy(),
                              clone[1].running_mean.cpu().numpy())
    buf = copy.deepcopy(nn.Buffer(ember.zeros(2), persistent=False))
    assert isinstance(buf, nn.Buffer) and buf.persistent is False


def test_load_state_dict_result_prints_as_pytorchs():
    model = nn.Linear(2, 2)
    assert repr(model.load_state_dict(model.state_dict())) == "<All keys matched successfully>"
    sd = dict(model.state_dict(), extra=ember.zeros(1))
    del sd["bias"]
    result = model.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert repr(result) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])"
