"""PET2 against OmniLearned 0.2.0: state-dict layout, outputs, checkpoints, parameter counts, padding.

The constants in ``omnilearned_small.py`` were measured on OmniLearned's own ``PET2``
(``bench/vs_omnilearned_worker.py --pin``); OmniLearned itself is not needed here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from halite.nn.backbone import InputInfo
from halite.nn.point.pet import PET2, load_omnilearned, parameter_count
from halite.training.checkpoint_io import read_omnilearned
from halite.training.pretrained import load_backbone, load_omnilearned_file, read_state_dict
from tests.unit.nn.pet2 import omnilearned_small as pinned
from tests.unit.nn.pet2 import seeded

#: pinned OmniLearned logits (~0.1) vs halite's: fp32 matrix kernels of different CPUs (AVX2 / AVX-512)
#: sum in different orders, a few 1e-6 apart; a wrong layer or weight is off by far more
PEER_ATOL = 1e-5


def fixture_pet2() -> PET2:
    return PET2(preset="small", **seeded.FIXTURE_ARGS).eval()  # type: ignore[arg-type]


def omnilearned_state() -> dict[str, torch.Tensor]:
    """A state dict with OmniLearned's keys and shapes (``pinned.KEYS``), seeded values."""
    return seeded.seeded_state(pinned.KEYS)


def logits(net: PET2, jets: dict[str, torch.Tensor]) -> torch.Tensor:
    with torch.no_grad():
        return net.classify(jets["x"], jets["cond"], jets["pid"], jets["add_info"])


def test_state_dict_is_omnilearned_and_outputs_match() -> None:
    net = fixture_pet2()
    assert [(k, tuple(v.shape)) for k, v in net.state_dict().items()] == [
        (k, tuple(s)) for k, s in pinned.KEYS
    ]
    net.load_state_dict(omnilearned_state(), strict=True)
    torch.testing.assert_close(
        logits(net, seeded.seeded_jets()), torch.tensor(pinned.LOGITS), atol=PEER_ATOL, rtol=0
    )
    # the mask defaults to OmniLearned's x[..., 2] != 0; an explicit one gives the same
    jets = seeded.seeded_jets()
    with torch.no_grad():
        explicit = net.classify(jets["x"], jets["cond"], jets["pid"], jets["add_info"], mask=jets["valid"])
    torch.testing.assert_close(explicit, logits(net, jets))


def trainer_checkpoint(state: dict[str, torch.Tensor]) -> dict:
    """What ``omnilearned.utils.save_checkpoint`` writes: body, classifier_head, optimizer, scheduler, ..."""
    body = {k[len("body.") :]: v for k, v in state.items() if k.startswith("body.")}
    head = {k[len("classifier.") :]: v for k, v in state.items() if k.startswith("classifier.")}
    return {
        "body": body,
        "classifier_head": head,
        "ema_body": {k: v + 1.0 for k, v in body.items()},
        "optimizer": {"state": {}, "param_groups": [{"lr": 5e-5, "params": [0, 1]}]},
        "epoch": 3,
        "loss": torch.tensor(0.25),
        "sched": {"last_epoch": 3},
    }


@pytest.mark.parametrize("layout", ["trainer", "model_wrapper", "ddp_prefix"])
def test_omnilearned_checkpoint_file_loads_strictly(layout: str, tmp_path: Path) -> None:
    state = omnilearned_state()
    obj = {
        "trainer": trainer_checkpoint(state),
        "model_wrapper": {"model": state},
        "ddp_prefix": {f"module.{k}": v for k, v in state.items()},
    }[layout]
    path = tmp_path / "best_model_test.pt"
    torch.save(obj, path)
    net = load_omnilearned_file(fixture_pet2(), path)
    torch.testing.assert_close(
        logits(net, seeded.seeded_jets()), torch.tensor(pinned.LOGITS), atol=PEER_ATOL, rtol=0
    )
    if layout == "trainer":
        ema = read_omnilearned(path, ema=True)
        torch.testing.assert_close(ema["body.token"], state["body.token"] + 1.0)


def test_checkpoint_errors_name_the_keys(tmp_path: Path) -> None:
    state = omnilearned_state()
    missing = {k: v for k, v in state.items() if k != "body.local_physics.mlp.fc1.weight"}
    with pytest.raises(ValueError, match=r"missing keys: body\.local_physics\.mlp\.fc1\.weight"):
        load_omnilearned(fixture_pet2(), missing)
    extra = {**state, "body.time_embed.fc1.weight": torch.zeros(2, 2)}
    with pytest.raises(ValueError, match=r"unexpected keys: body\.time_embed\.fc1\.weight"):
        load_omnilearned(fixture_pet2(), extra)
    wrong = {**state, "body.token": torch.zeros(1, 3, 128)}
    with pytest.raises(ValueError, match=r"body\.token: checkpoint \(1, 3, 128\), model \(1, 4, 128\)"):
        load_omnilearned(fixture_pet2(), wrong)
    net = fixture_pet2()
    before = net.state_dict()["body.token"].clone()
    with pytest.raises(ValueError):
        load_omnilearned(net, missing)
    torch.testing.assert_close(net.state_dict()["body.token"], before)  # nothing loaded on an error
    with pytest.raises(FileNotFoundError, match="OmniLearned checkpoint not found"):
        load_omnilearned_file(net, tmp_path / "nope.pt")
    torch.save(missing, tmp_path / "best_model_bad.pt")
    with pytest.raises(ValueError, match=r"best_model_bad\.pt does not fit this PET2 \(missing keys"):
        load_omnilearned_file(net, tmp_path / "best_model_bad.pt")


def test_fine_tune_drops_pretrain_only_keys_and_the_output_layer() -> None:
    state = omnilearned_state()
    pretrained = {k: v for k, v in state.items() if not k.startswith("classifier.out.")}
    pretrained.update(
        {"body.time_embed.fc1.weight": torch.zeros(256, 128), "classifier.out.weight": torch.zeros(9, 512)}
    )
    pretrained["classifier.out.bias"] = torch.zeros(9)
    net = fixture_pet2()
    own_out = net.classifier.out.weight.clone()
    load_omnilearned(net, pretrained, fine_tune=True)
    torch.testing.assert_close(net.classifier.out.weight, own_out)
    torch.testing.assert_close(net.body.token, state["body.token"])
    with pytest.raises(ValueError, match="unexpected keys"):
        load_omnilearned(fixture_pet2(), pretrained)


@pytest.mark.parametrize("preset", ["small", "medium", "large"])
def test_parameter_counts_equal_omnilearned(preset: str) -> None:
    """Classifier mode, counted on the meta device (the large preset is 374M parameters)."""
    plain = parameter_count(preset, use_int=False, local_int=False)  # type: ignore[arg-type]
    fixture = parameter_count(preset, **seeded.FIXTURE_ARGS)  # type: ignore[arg-type]
    assert {"plain": plain, "fixture": fixture} == pinned.COUNTS[preset]


VARS = {"jets": ["pt", "eta", "mass"], "particles": ["deta", "dphi", "log_pt", "log_e", "pid", "a1", "a2"]}
NORM = {s: {v: {"mean": 0.5, "std": 2.0} for v in vs} for s, vs in VARS.items()}


def backbone() -> PET2:
    net = PET2("particles", preset="small", conditional=True, pid=True, pid_idx=4, add_info=True, add_dim=2,
               K=10, num_coord=2)  # fmt: skip
    net.build(InputInfo(VARS, NORM, "jets", ["particles"]))
    return net.eval()


def halite_inputs(jets: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    """The seeded jets as halite's raw streams (pid at column 4, OmniLearned's layout) and pad masks."""
    x, add = jets["x"], jets["add_info"]
    particles = torch.cat([x, jets["pid"].unsqueeze(-1).float(), add], -1)
    return {"particles": particles, "jets": jets["cond"]}, {"particles": ~jets["valid"]}


def test_backbone_reads_omnilearned_inputs_and_loads_its_weights() -> None:
    net = backbone()
    assert set(net.state_dict()) == {k for k, _ in pinned.KEYS}  # the input norms are not in it
    net.load_state_dict(omnilearned_state(), strict=True)
    assert not net.classifier.out.weight.requires_grad  # halite's task heads replace the output layer
    jets = seeded.seeded_jets()
    raw, masks = halite_inputs(jets)
    with torch.no_grad():
        rep = net(raw, masks)
        cond = (jets["cond"] - 0.5) / 2.0  # jet-level features through the norm dict
        want = net.classifier.out(rep)
        ref = net.classify(jets["x"], cond, jets["pid"], jets["add_info"], mask=jets["valid"])
    assert rep.shape == (3, 4 * 128) == (3, net.out_features)
    torch.testing.assert_close(want, ref)


def test_pretrained_option_reads_omnilearned_files(tmp_path: Path) -> None:
    """``--model.pretrained best_model_*.pt``: OmniLearned's tensors under ``backbone.``, by name and shape."""
    state = omnilearned_state()
    path = tmp_path / "best_model_pretrain.pt"
    torch.save(trainer_checkpoint(state), path)
    assert set(read_state_dict(path)) == {f"backbone.{k}" for k in state}
    model = torch.nn.Module()
    model.backbone = backbone()
    report = load_backbone(model, path)
    assert len(report.loaded) == len(state) and not report.mismatched and not report.missing
    key = "body.in_blocks.3.attn.in_proj_weight"
    torch.testing.assert_close(model.backbone.state_dict()[key], state[key])


def test_padding_never_matters_jet_with_three_constituents() -> None:
    torch.manual_seed(0)
    net = backbone()
    jets = seeded.seeded_jets(batch=2, slots=12, lengths=(3, 12))
    raw, masks = halite_inputs(jets)
    with torch.no_grad():
        ref = net(raw, masks)
        for fill in (7.0, -3.0, float("nan")):
            other = {k: v.clone() for k, v in raw.items()}
            other["particles"][masks["particles"]] = fill
            torch.testing.assert_close(net(other, masks), ref, atol=0, rtol=0)
        noisy = {k: v.clone() for k, v in raw.items()}
        pad = masks["particles"]
        noisy["particles"][pad] = torch.randn(int(pad.sum()), len(VARS["particles"])) * 5
        torch.testing.assert_close(net(noisy, masks), ref, atol=0, rtol=0)


def test_knn_picks_valid_neighbours_first() -> None:
    """A jet with more than K valid particles: every valid particle's K neighbours are valid."""
    net = backbone()
    jets = seeded.seeded_jets(batch=1, slots=16, lengths=(13,))
    x, valid = jets["x"], jets["valid"]
    m = valid.float().unsqueeze(-1)
    coords = 999.0 * (1 - m) + x[..., :2]
    idx = net.body.local_physics.neighbours(coords)  # (1, 16, 10)
    assert idx.shape == (1, 16, 10)
    assert (idx[0, :13] < 13).all()
    assert all(i not in row for i, row in enumerate(idx[0, :13].tolist()))  # never itself


def test_argument_errors() -> None:
    with pytest.raises(ValueError, match="mode 'generator' is not supported"):
        PET2(mode="generator")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="preset 'huge'"):
        PET2(preset="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="input_dim=5, but data.variables.particles give 6"):
        PET2(input_dim=5, pid="pid").build_points(VARS, "jets")
    with pytest.raises(ValueError, match="conditional=True needs variables of the global object 'jets'"):
        PET2(conditional=True).build_points({"particles": VARS["particles"]}, "jets")
    with pytest.raises(ValueError, match="norm_layer 'BatchNorm'"):
        PET2(input_dim=4, norm_layer="BatchNorm")  # type: ignore[arg-type]


def test_variant_skip_layernorm_silu_matches_omnilearned() -> None:
    """U-shaped body (skip), LayerNorm, SiLU, no local physics, 3 kNN coordinates: OmniLearned's keys and logits."""
    net = PET2(preset=None, **seeded.VARIANT_ARGS).eval()  # type: ignore[arg-type]
    keys = [(k, tuple(s)) for k, s in pinned.VARIANT_KEYS]
    assert [(k, tuple(v.shape)) for k, v in net.state_dict().items()] == keys
    net.load_state_dict(seeded.seeded_state(pinned.VARIANT_KEYS), strict=True)
    with torch.no_grad():
        out = net.classify(seeded.variant_x(seeded.seeded_jets()))
    torch.testing.assert_close(out, torch.tensor(pinned.VARIANT_LOGITS), atol=PEER_ATOL, rtol=0)


def test_pid_shift_maps_ids_from_zero_onto_omnilearned_ids() -> None:
    """Data ids from 0 with ``pid_shift=1`` give what OmniLearned's ids (0 = padding) give."""
    net = backbone()
    net.load_state_dict(omnilearned_state(), strict=True)
    raw, masks = halite_inputs(seeded.seeded_jets())
    from_zero = {k: v.clone() for k, v in raw.items()}
    from_zero["particles"][..., 4] -= 1.0
    with torch.no_grad():
        ref = net(raw, masks)
        unshifted = net(from_zero, masks)
        net.pid_shift = 1
        shifted = net(from_zero, masks)
    torch.testing.assert_close(shifted, ref)
    assert not torch.allclose(unshifted, ref)


def test_earlier_halite_names_still_configure_pet2() -> None:
    with pytest.warns(
        FutureWarning,
        match=r"earlier argument names; use OmniLearned's \(k -> K, num_blocks -> num_transformers",
    ):
        net = PET2(preset="small", input_dim=4, k=7, num_blocks=3, num_pid=5, use_global=False, dropout=0.1,
                   pid=True)  # fmt: skip
    assert net.K == 7 and len(net.body.in_blocks) == 3 and net.body.pid_embed[0].num_embeddings == 5
    assert not net.conditional and net.mlp_drop == net.attn_drop == 0.1
