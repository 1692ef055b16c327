"""``--malloc``: the policies change how often freed tensor memory is faulted in again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from halite.training.malloc import POLICIES, _glibc, set_malloc_policy, user_tunables

#: in a fresh Python: apply a policy, then allocate, touch and free 32 MiB tensors; page faults per round
PROBE = """
import json, resource, sys
from halite.training.malloc import set_malloc_policy
applied = set_malloc_policy(sys.argv[1])
import torch
warm, rounds, before = 16, 8, None  # glibc's heap settles over the first rounds
for i in range(warm + rounds):
    if i == warm:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    x = torch.empty(8 << 20).fill_(1.0)  # 32 MiB, written: every page touched
    del x
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / rounds
print(json.dumps({"applied": applied, "faults": faults}))
"""


def probe(policy: str, **env: str) -> dict[str, float]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, policy],
        capture_output=True,
        text=True,
        env={**clean, **env},
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.skipif(_glibc() is None, reason="mallopt is glibc's")
def test_reuse_stops_page_faults_release_keeps_them_and_env_settings_win() -> None:
    reuse, release = probe("reuse"), probe("release")
    assert reuse["applied"] and release["applied"]
    pages = (32 << 20) / 4096
    assert release["faults"] > 0.5 * pages  # unmapped on free: every page faulted again
    assert reuse["faults"] < 0.05 * pages  # heap memory, kept and reused
    # a MALLOC_* setting in the environment is the user's: the policy leaves it alone
    assert not probe("reuse", MALLOC_MMAP_THRESHOLD_="131072")["applied"]
    assert not probe("system")["applied"]


def test_unknown_policy_names_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="--malloc.*system, reuse, release"):
        set_malloc_policy("fast")
    assert POLICIES == ("system", "reuse", "release")
    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert user_tunables() == ["GLIBC_TUNABLES"]
    assert set_malloc_policy("reuse") is False
