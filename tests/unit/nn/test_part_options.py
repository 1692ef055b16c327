"""ParticleTransformer's weaver options: batch norms, kinematics kept out of the embedding, triangle pair bias."""

from __future__ import annotations

import pytest
import torch

from halite.nn.layers.pairwise import pair_features
from halite.nn.point.part import ChannelBatchNorm, LastDimBatchNorm, ParticleTransformer

VARS = {"particles": ["a", "b", "pt", "eta", "phi", "energy"]}


def kinematics(b: int = 2, n: int = 5) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    pt = torch.rand(b, n, generator=g) * 50 + 1
    eta, phi = torch.randn(b, n, generator=g) * 0.3, torch.randn(b, n, generator=g) * 0.3
    return pt, eta, phi, pt * torch.cosh(eta)


def test_last_dim_batch_norm_is_batchnorm1d_over_positions() -> None:
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, 6)
    ours, ref = LastDimBatchNorm(6), torch.nn.BatchNorm1d(6)
    torch.testing.assert_close(ours(x), ref(x.reshape(-1, 6)).reshape(x.shape))
    torch.testing.assert_close(ours.running_var, ref.running_var)
    assert ours.state_dict().keys() == ref.state_dict().keys()


@pytest.mark.parametrize("pair_bn", [True, False])
def test_triangle_pair_bias_equals_embedding_every_pair(pair_bn: bool) -> None:
    net = ParticleTransformer(
        embed_dims=[8], pair_embed_dims=[6, 6], num_heads=2, num_layers=1, pair_batch_norm=pair_bn
    )
    net.build_points(VARS, "jets")
    net.eval()
    pt, eta, phi, e = kinematics()
    pad = torch.zeros(2, 5, dtype=torch.bool)
    full = net.embed_pairs(pair_features(pt, eta, phi, e))  # (B, H, N, N): the ONNX path
    tri = net.pair_bias(pt, eta, phi, e, pad)
    assert tri.shape == (2, 2, 5, 5)
    torch.testing.assert_close(tri, full)
    torch.testing.assert_close(tri, tri.transpose(-1, -2))


def test_embedding_columns_and_batch_norms_follow_the_options() -> None:
    weaverlike = ParticleTransformer(embed_dims=[8], pair_embed_dims=[6], num_heads=2, num_layers=1)
    weaverlike.build_points(VARS, "jets")
    assert weaverlike.embed_cols.tolist() == [0, 1]  # pt, eta, phi, energy feed the pair features only
    assert isinstance(weaverlike.embed[0], LastDimBatchNorm) and weaverlike.embed[0].num_features == 2
    assert sum(isinstance(m, ChannelBatchNorm) for m in weaverlike.pair_embed) == 3  # input, hidden, heads
    old = ParticleTransformer(
        embed_dims=[8], pair_embed_dims=[6], num_heads=2, num_layers=1,
        input_batch_norm=False, pair_batch_norm=False, embed_kinematics=True,
    )  # fmt: skip
    old.build_points(VARS, "jets")
    assert old.embed_all and not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in old.modules()
    )
    x = torch.randn(2, 5, 6)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    for net in (weaverlike, old):
        assert net.encode({"particles": x}, {"particles": x.abs()}, {"particles": mask}).shape == (2, 8)


def test_only_kinematics_without_embed_kinematics_is_an_error() -> None:
    net = ParticleTransformer(embed_dims=[8], pair_embed_dims=[6], num_heads=2, num_layers=1)
    with pytest.raises(ValueError, match="embed_kinematics: true"):
        net.build_points({"particles": ["pt", "eta", "phi", "energy"]}, "jets")


def test_pair_bias_in_training_ignores_padded_slots() -> None:
    """Only real pairs are embedded (weaver's sparse PairEmbed): the pair batch norm's statistics and
    the bias of valid pairs do not depend on the values in padded slots; padded keys get NEG."""
    torch.manual_seed(0)
    net = ParticleTransformer(embed_dims=[8], pair_embed_dims=[6, 6], num_heads=2, num_layers=1)
    net.build_points(VARS, "jets")
    net.train()
    pt, eta, phi, e = kinematics(b=3, n=6)
    pad = torch.zeros(3, 6, dtype=torch.bool)
    pad[0, 3:] = True
    pad[2, 1:] = True
    out = []
    for fill in (7.0, -3.0):
        args = [t.masked_fill(pad, fill) for t in (pt, eta, phi, e)]
        out.append(net.pair_bias(*args, pad))
    valid = (~pad).unsqueeze(1).unsqueeze(-1) & (~pad).unsqueeze(1).unsqueeze(-2)
    valid = valid.expand_as(out[0])
    torch.testing.assert_close(out[0][valid], out[1][valid])
    keys = pad.unsqueeze(1).unsqueeze(2).expand_as(out[0])
    assert bool((out[0][keys] < -1e8).all())  # NEG at every padded key
