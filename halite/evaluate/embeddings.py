"""Heat maps of learned categorical embeddings (``CatEmbedder`` / ``CatEmbHead``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from halite.io import atomic_path


def plot_embeds(block: Any, out_dir: str | Path) -> list[Path]:
    """Write ``<out_dir>/embedding_<feature>.png`` for each matrix of ``block.get_embeds()``; return the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, w in block.get_embeds().items():
        fig, ax = plt.subplots(figsize=(1.5 + 0.4 * w.shape[1], 1.5 + 0.25 * w.shape[0]))
        im = ax.imshow(w.numpy(), aspect="auto", cmap="coolwarm")
        ax.set_xlabel("embedding dimension")
        ax.set_ylabel(f"{name} code")
        ax.set_title(name)
        fig.colorbar(im, ax=ax)
        path = out / f"embedding_{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=80, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths
