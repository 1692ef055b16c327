"""``RecurrentHead``: lumin 0.9.1's recurrent matrix head (RNN, LSTM or GRU over the objects)."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

from torch import Tensor, nn

from halite.nn.lumin.head_base import AbsMatrixHead, HeadInput

__all__ = ["RecurrentHead"]

RNN_CLASSES: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentHead(AbsMatrixHead):
    """A recurrent network run over the objects of a row-wise matrix ``(B, n_vecs, n_feats_per_vec)``.

    The objects are the sequence (in ``vecs`` order) and their features the input of each step. Flat input is
    gathered into the matrix (features absent from ``cont_feats`` are zero); a 3-d tensor or a
    ``(flat, matrix)`` tuple is taken as the matrix. The recurrent layer is ``rnn(input_size=n_fpv,
    hidden_size=width, num_layers=depth, bias=True, batch_first=True, dropout=do,
    bidirectional=bidirectional)``, given ``nonlinearity=act`` when it takes one (``nn.RNN``); as in lumin,
    biases are zero and weights orthogonal (per gate for LSTM and GRU), the LSTM forget-gate biases are 1
    (in both bias vectors) and the GRU reset-gate biases -1. ``lookup_init`` and the other keyword arguments
    of a lumin model builder are accepted and unused, as in lumin.

    Without ``stateful`` the output is the last step's output ``(B, width)`` (``(B, 2 * width)``
    bidirectional); with it, every step's ``(B, n_vecs, width)`` (or ``2 * width``).

    lumin 0.9.1 fails to build with ``stateful=True`` (its feature map takes ``range`` of the output
    shape); here the feature map covers the ``n_vecs * width`` output elements.

    Parameters
    ----------
    cont_feats
        The matrix features present in the flat input, in column order, named ``{vec}_{feat}``.
    vecs
        The objects (feature-name prefixes), in sequence order.
    feats_per_vec
        The features of each object (feature-name suffixes).
    depth
        Number of recurrent layers.
    width
        Size of the hidden state.
    bidirectional
        Run the sequence both ways (the output concatenates the two directions).
    rnn
        Recurrent class (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``), or its name ``'rnn'``, ``'lstm'``, ``'gru'``
        (halite addition, for YAML).
    do
        Dropout between recurrent layers.
    act
        Nonlinearity of ``nn.RNN`` (``'tanh'`` or ``'relu'``); unused by classes that take none.
    stateful
        Return every step's output instead of the last step's.
    freeze
        Start with every parameter untrainable.
    final_state
        halite option, not in lumin (default False: lumin's output). Without ``stateful``, return the final
        hidden state of each direction of the last layer instead of the output at the last object: the same
        for one direction, but bidirectional the reverse direction's final state is after the FIRST object
        (lumin's last-step output holds the reverse direction after reading only the last object).

    Examples
    --------
    >>> rnn = RecurrentHead(cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs, depth=1, width=20)
    >>> lstm = RecurrentHead(cont_feats=matrix_feats, feats_per_vec=feats_per_vec, vecs=vecs,
    ...                      depth=1, width=10, rnn=nn.LSTM)
    """

    def __init__(
        self,
        cont_feats: list[str],
        vecs: list[str],
        feats_per_vec: list[str],
        depth: int,
        width: int,
        bidirectional: bool = False,
        rnn: type[nn.RNNBase] | str = nn.RNN,
        do: float = 0.0,
        act: str = "tanh",
        stateful: bool = False,
        freeze: bool = False,
        final_state: bool = False,
        **kargs: Any,
    ) -> None:
        super().__init__(
            cont_feats=cont_feats, vecs=vecs, feats_per_vec=feats_per_vec, row_wise=True, freeze=freeze
        )
        self.stateful, self.width, self.bidirectional = stateful, width, bidirectional
        self.final_state = final_state
        make: Callable[..., nn.RNNBase] = partial(
            _rnn_class(rnn),
            input_size=self.n_fpv,
            hidden_size=width,
            num_layers=depth,
            bias=True,
            batch_first=True,
            dropout=do,
            bidirectional=bidirectional,
        )
        try:
            self.rnn: nn.RNNBase = make(nonlinearity=act)
        except TypeError:  # LSTM, GRU: no nonlinearity argument
            self.rnn = make()
        self._init_rnn(width)
        self._map_outputs()
        if self.freeze:
            self.freeze_layers()

    def _init_rnn(self, width: int) -> None:
        """lumin's initialisation: zero biases, orthogonal weights (per gate for LSTM / GRU), gate biases."""
        gates = 4 if isinstance(self.rnn, nn.LSTM) else 3 if isinstance(self.rnn, nn.GRU) else 0
        for name, param in self.rnn.named_parameters():
            t = param.data
            if "bias" in name:
                nn.init.zeros_(t)
                if isinstance(self.rnn, nn.LSTM):
                    t[width : 2 * width].fill_(1)  # forget gate
                elif isinstance(self.rnn, nn.GRU):
                    t[:width].fill_(-1)  # reset gate
            elif "weight_ih" in name:
                nn.init.orthogonal_(t)
            if "weight_hh" in name:
                if isinstance(self.rnn, nn.RNN):
                    nn.init.orthogonal_(t)
                elif gates:
                    for i in range(gates):
                        nn.init.orthogonal_(t[i * width : (i + 1) * width])

    def _map_outputs(self) -> None:
        out = self.get_out_size()
        n_out = math.prod(out) if isinstance(out, tuple) else out
        self.feat_map = {f: list(range(n_out)) for f in self.cont_feats}

    def forward(self, x: HeadInput) -> Tensor:
        """Flat input, matrix ``(B, n_v, n_fpv)`` or ``(flat, matrix)`` -> ``(B, out)`` or ``(B, n_v, out)``."""
        mat = self._process_input(x)
        out, h = self.rnn(mat)
        if self.stateful:
            return out  # type: ignore[no-any-return]
        if self.final_state:
            h_n = h[0] if isinstance(h, tuple) else h  # (depth * dirs, B, width); LSTM: (h_n, c_n)
            dirs = 2 if self.bidirectional else 1
            return h_n[-dirs:].transpose(0, 1).reshape(mat.size(0), -1)  # type: ignore[no-any-return]
        return out[:, -1]  # type: ignore[no-any-return]

    def get_out_size(self) -> int | tuple[int, int]:  # type: ignore[override]
        """Width of the output, or ``(n_vecs, width)`` with ``stateful`` (``2 * width`` bidirectional)."""
        w = 2 * self.width if self.bidirectional else self.width
        return (self.n_v, w) if self.stateful else w


def _rnn_class(rnn: type[nn.RNNBase] | str) -> type[nn.RNNBase]:
    if not isinstance(rnn, str):
        return rnn
    if rnn.lower() not in RNN_CLASSES:
        msg = f"RecurrentHead: unknown rnn '{rnn}'; valid names: {list(RNN_CLASSES)} (or a torch.nn.RNNBase class)."
        raise ValueError(msg)
    return RNN_CLASSES[rnn.lower()]
