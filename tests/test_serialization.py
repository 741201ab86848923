"""ember.save / ember.load: safetensors checkpoints (no pickle), nested structures, atomic
writes, and clear errors for truncated or foreign files."""

import json
import os
import struct

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.optim as optim
from ember.serialization import load, save


def _model():
    ember.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                         nn.Linear(8, 3))


def test_model_state_dict_round_trip(tmp_path):
    model = _model()
    model(ember.randn(2, 1, 4, 4))  # moves the batch-norm statistics
    path = tmp_path / "model.safetensors"
    save(model.state_dict(), path)
    loaded = load(path)
    assert list(loaded) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape
        np.testing.assert_array_equal(loaded[k].cpu().numpy(), v.cpu().numpy())
    fresh = _model()
    fresh.load_state_dict(loaded)
    x = ember.randn(2, 1, 4, 4)
    model.eval()
    fresh.eval()
    np.testing.assert_array_equal(model(x).detach().cpu().numpy(), fresh(x).detach().cpu().numpy())


def test_nested_structures_and_plain_values(tmp_path):
    obj = {
        "epoch": 7, "lr": 1e-3, "name": "run", "flag": True, "none": None,
        "history": [1.5, float("inf"), float("nan")], "pair": (1, "a"),
        "by_int": {0: ember.ones(2), 3: {"x": ember.zeros((), dtype=ember.int64)}},
        "by_tuple": {(1, 2): "v"},
        "tensors": [ember.arange(6).reshape(2, 3), ember.tensor([True, False]),
                    ember.tensor([1 + 2j], dtype=ember.complex64), ember.eye(2).t()],
        "dtype": ember.float64,
        "a.b": ember.ones(1), "a": {"b": ember.zeros(1)},  # colliding dotted names
    }
    path = tmp_path / "obj.safetensors"
    save(obj, path)
    got = load(path)
    assert got["epoch"] == 7 and got["lr"] == 1e-3 and got["name"] == "run"
    assert got["flag"] is True and got["none"] is None
    assert got["history"][:2] == [1.5, float("inf")] and np.isnan(got["history"][2])
    assert got["pair"] == (1, "a")
    assert set(got["by_int"]) == {0, 3}
    assert got["by_int"][3]["x"].dtype is ember.int64 and got["by_int"][3]["x"].ndim == 0
    assert got["by_tuple"] == {(1, 2): "v"}
    assert got["tensors"][0].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert got["tensors"][1].tolist() == [True, False]
    assert got["tensors"][2].dtype is ember.complex64
    assert got["tensors"][2].tolist() == [1 + 2j]
    assert got["tensors"][3].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert got["dtype"] is ember.float64
    assert got["a.b"].tolist() == [1.0] and got["a"]["b"].tolist() == [0.0]
    t = load(path)["tensors"][0]
    t.add_(1)  # loaded tensors are writable


def test_user_keys_that_look_like_the_encoding_markers_round_trip(tmp_path):
    obj = {"a": {"__tuple__": [1, 2]}, "b": {"__tensor__": "x"}, "c": {"__dtype__": "int64"},
           "d": {"__dict__": [[1, 2]], "__tensor__": ember.ones(2)}}
    save(obj, tmp_path / "k.safetensors")
    got = load(tmp_path / "k.safetensors")
    assert got["a"] == {"__tuple__": [1, 2]} and got["b"] == {"__tensor__": "x"}
    assert got["c"] == {"__dtype__": "int64"} and got["d"]["__dict__"] == [[1, 2]]
    assert got["d"]["__tensor__"].tolist() == [1.0, 1.0]


def test_metadata_naming_a_missing_tensor_raises_clearly(tmp_path):
    from safetensors.numpy import save_file

    structure = json.dumps({"w": {"__tensor__": "nowhere"}})
    save_file({"w": np.ones(2, np.float32)}, str(tmp_path / "c.safetensors"),
              metadata={"format": "ember", "version": "1", "structure": structure})
    with pytest.raises(RuntimeError, match=r"c\.safetensors' has corrupted ember metadata"):
        load(tmp_path / "c.safetensors")


def test_single_tensor_and_file_objects(tmp_path):
    path = tmp_path / "t.safetensors"
    with open(path, "wb") as fh:
        save(ember.tensor([1.0, 2.0]), fh)
    with open(path, "rb") as fh:
        assert load(fh).tolist() == [1.0, 2.0]
    assert load(str(path), map_location="cpu").tolist() == [1.0, 2.0]


def test_optimizer_state_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(ember.randn(4, 3)).sum().backward()
    opt.step()
    save(opt.state_dict(), tmp_path / "opt.safetensors")
    sd = load(tmp_path / "opt.safetensors")
    assert sorted(sd["state"]) == [0, 1]
    assert sd["state"][0]["step"] == 1
    assert sd["param_groups"][0]["betas"] == (0.9, 0.999)
    np.testing.assert_array_equal(sd["state"][1]["exp_avg"].cpu().numpy(),
                                  opt.state_dict()["state"][1]["exp_avg"].cpu().numpy())


def test_the_file_is_plain_safetensors_with_json_metadata(tmp_path):
    from safetensors.numpy import load_file

    path = tmp_path / "m.safetensors"
    save({"w": ember.ones(2, 2), "meta": {"step": 3}}, path)
    arrays = load_file(str(path))
    assert list(arrays) == ["w"] and arrays["w"].shape == (2, 2)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    assert header["__metadata__"]["format"] == "ember"
    assert json.loads(header["__metadata__"]["structure"])["meta"] == {"step": 3}


def test_a_foreign_safetensors_file_loads_as_a_flat_dict(tmp_path):
    from safetensors.numpy import save_file

    save_file({"layer.weight": np.ones((2, 2), np.float32)}, str(tmp_path / "f.safetensors"))
    got = load(tmp_path / "f.safetensors")
    assert list(got) == ["layer.weight"] and got["layer.weight"].shape == ember.Size([2, 2])


def test_unsupported_objects_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        save({"x": object()}, tmp_path / "bad.safetensors")
    assert not (tmp_path / "bad.safetensors").exists()


@pytest.mark.parametrize("cut", [0, 5, 30, -3])
def test_truncated_file_raises_naming_it(tmp_path, cut):
    path = tmp_path / "ckpt.safetensors"
    save({"w": ember.ones(10, 10), "step": 1}, path)
    data = path.read_bytes()
    path.write_bytes(data[:cut] if cut >= 0 else data[:len(data) + cut])
    with pytest.raises(RuntimeError, match=r"ckpt\.safetensors.*not a valid ember checkpoint"):
        load(path)


def test_foreign_file_raises(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"\x80\x04\x95 this is a pickle, which ember never loads" * 3)
    with pytest.raises(RuntimeError, match="model.pt"):
        load(path)


def test_write_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"w": ember.ones(3)}, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        save({"w": ember.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before  # the old checkpoint is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.safetensors"]
    save({"w": ember.zeros(2)}, path)
    assert load(path)["w"].tolist() == [0.0, 0.0]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_file_has_the_permissions_of_a_plainly_written_file(tmp_path):
    """A new checkpoint gets 0o666 less the umask, as open(path, 'wb') (torch.save) gives it,
    not the 0o600 of a private temporary file; overwriting keeps the file's own mode."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "new.safetensors"
        save({"w": ember.ones(2)}, path)
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.chmod(path, 0o640)
        save({"w": ember.zeros(2)}, path)
        assert os.stat(path).st_mode & 0o777 == 0o640
        assert load(path)["w"].tolist() == [0.0, 0.0]
    finally:
        os.umask(old)


def test_save_into_a_missing_directory_names_it(tmp_path):
    """PyTorch says the parent directory does not exist; the error named ember's temporary
    file instead."""
    target = tmp_path / "no" / "such" / "ckpt.safetensors"
    with pytest.raises(FileNotFoundError, match="Parent directory .*such does not exist") as e:
        save({"w": ember.ones(1)}, target)
    assert ".tmp" not in str(e.value)
