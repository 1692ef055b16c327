"""GATv2 attention: scores against a hand computation, head checks from the encoder."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch

from halite.nn.layers.attention import key_mask_for_attention
from halite.nn.layers.gatv2 import GATv2Attention
from halite.nn.sets.transformer import TransformerEncoder


def leaky(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def test_scores_and_output_match_hand_computation() -> None:
    torch.manual_seed(0)
    attn = GATv2Attention(embed_dim=4, num_heads=2, negative_slope=0.2).eval()
    x = torch.randn(1, 3, 4)
    mask = torch.tensor([[False, False, True]])  # third slot is padding
    wq, bq = attn.q_proj.weight.detach().numpy(), attn.q_proj.bias.detach().numpy()
    wk, bk = attn.k_proj.weight.detach().numpy(), attn.k_proj.bias.detach().numpy()
    wv, bv = attn.v_proj.weight.detach().numpy(), attn.v_proj.bias.detach().numpy()
    a = attn.att.detach().numpy()
    xn = x[0].numpy()
    q, k, v = xn @ wq.T + bq, xn @ wk.T + bk, xn @ wv.T + bv
    expected = np.zeros((2, 3, 3))
    heads = []
    for h in range(2):
        sl = slice(2 * h, 2 * h + 2)
        for i in range(3):
            for j in range(3):
                expected[h, i, j] = a[h] @ leaky(q[i, sl] + k[j, sl], 0.2)
        logits = expected[h][:, :2]  # padding excluded
        w = np.exp(logits - logits.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        heads.append(w @ v[:2, sl])
    np.testing.assert_allclose(attn.scores(x)[0].detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    concat = np.concatenate(heads, axis=1)
    wo, bo = attn.out_proj.weight.detach().numpy(), attn.out_proj.bias.detach().numpy()
    out = attn(x, attn_mask=key_mask_for_attention(mask))[0].detach().numpy()
    np.testing.assert_allclose(out, concat @ wo.T + bo, rtol=1e-5, atol=1e-5)


def test_scores_depend_on_the_query() -> None:
    """GATv2's point: the key ranking can change with the query (not so in GAT)."""
    torch.manual_seed(2)
    attn = GATv2Attention(embed_dim=8, num_heads=1, negative_slope=0.0)
    rankings = attn.scores(3.0 * torch.randn(1, 30, 8))[0, 0].argmax(dim=-1)
    assert len(set(rankings.tolist())) > 1


def test_encoder_rejects_num_heads_mismatch() -> None:
    with pytest.raises(ValueError, match=r"num_heads=4 but the encoder has num_heads=2"):
        TransformerEncoder(16, 1, num_heads=2, attention=partial(GATv2Attention, num_heads=4))


def test_head_dim_mismatch() -> None:
    with pytest.raises(ValueError, match=r"head_dim=3 with num_heads=2 gives 6 but embed_dim=16"):
        TransformerEncoder(16, 1, num_heads=2, attention=partial(GATv2Attention, num_heads=2, head_dim=3))
    enc = TransformerEncoder(16, 1, num_heads=2, attention=partial(GATv2Attention, num_heads=2, head_dim=8))
    assert enc.layers[0].attention.head_dim == 8
