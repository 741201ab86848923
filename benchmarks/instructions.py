"""Instructions per op of the autograd chain, counted by valgrind's callgrind: repeatable on a
noisy shared machine where wall-clock time is not. Counts a run with N chains minus a run with
none (imports and warm-up cancel out).

    python benchmarks/instructions.py [ember|torch|numpy] [N]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def count(framework: str, chains: int) -> int:
    code = (f"import gc, sys; gc.disable(); sys.path.insert(0, {HERE!r}); import chain\n"
            f"fn = {{'ember': chain.ember_chain, 'numpy': chain.numpy_chain}}.get({framework!r})\n"
            f"if fn is None:\n    import torch; fn = lambda: chain.torch_chain(torch)\n"
            f"for _ in range(3): fn()\n"
            f"for _ in range({chains}): fn()\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        sys.executable, "-c", code], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": "0"})
        with open(out) as f:
            text = f.read()
    m = re.search(r"^summary:\s+(\d+)", text, re.M) or re.search(r"^totals:\s+(\d+)", text, re.M)
    return int(m.group(1))


def main() -> None:
    framework = sys.argv[1] if len(sys.argv) > 1 else "ember"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    per_op = (count(framework, n) - count(framework, 0)) / (n * 300)
    print(f"{framework}: {per_op:,.0f} instructions per op")


if __name__ == "__main__":
    main()
