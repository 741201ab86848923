#!/usr/bin/env bash
# The GPU check of issue 8, for the machine with an NVIDIA GPU (CuPy, NumPy, PyTorch installed):
#   1. what ember sees (ember info),
#   2. the CUDA-only tests, then the whole suite with CUDA as the default device,
#   3. the CPU-vs-GPU benchmark with PyTorch in the same run (benchmarks/gpu.py).
# Logs go to $OUT (default ./gpu_check_out): info.txt, cuda_tests.log, suite.log, bench.log,
# bench.json, summary.txt. Exits non-zero if a test step failed (the benchmark still runs).
#   OUT=/tmp/out scripts/gpu_check.sh [--quick]     (--quick: smaller benchmark sizes)
#   PYTEST_ARGS="tests/ops" scripts/gpu_check.sh     (a part of the suite only)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu_check_out}"
mkdir -p "$OUT"
PY="${PYTHON:-python}"
QUICK=""
[ "${1:-}" = "--quick" ] && QUICK="--quick"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # this checkout's ember, not an installed one
status=0

{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
  "$PY" -c "import cupy, sys; print('CuPy', cupy.__version__, 'CUDA runtime',
cupy.cuda.runtime.runtimeGetVersion())" 2>&1
  "$PY" -m ember info 2>&1
} > "$OUT/info.txt"
cat "$OUT/info.txt"

if ! "$PY" -c "import ember, sys; sys.exit(0 if ember.cuda.is_available() else 1)"; then
  echo "CUDA is unavailable to ember here; see $OUT/info.txt" | tee "$OUT/summary.txt"
  exit 3
fi

echo "== CUDA-only tests" | tee "$OUT/summary.txt"
timeout 300 "$PY" -m pytest tests/test_cuda.py tests/cli/test_bench.py -q -rs -p no:cacheprovider \
  > "$OUT/cuda_tests.log" 2>&1 || status=1
tail -n 3 "$OUT/cuda_tests.log" | tee -a "$OUT/summary.txt"

echo "== the suite on CUDA (EMBER_TEST_DEVICE=cuda)" | tee -a "$OUT/summary.txt"
# -x stops at the first failure (the brief's command); FULL=1 runs everything and lists failures
XFLAG="-x"
[ "${FULL:-0}" = "1" ] && XFLAG=""
# shellcheck disable=SC2086
EMBER_TEST_DEVICE=cuda timeout "${SUITE_TIMEOUT:-420}" "$PY" -m pytest $XFLAG -q -p no:cacheprovider \
  --ignore=tests/cli --durations=15 ${PYTEST_ARGS:-} > "$OUT/suite.log" 2>&1 || status=1
grep -E "^(FAILED|ERROR)" "$OUT/suite.log" | head -n 40 | tee -a "$OUT/summary.txt"
tail -n 3 "$OUT/suite.log" | tee -a "$OUT/summary.txt"

echo "== benchmark" | tee -a "$OUT/summary.txt"
# shellcheck disable=SC2086
timeout "${BENCH_TIMEOUT:-240}" "$PY" benchmarks/gpu.py --device auto $QUICK \
  --json "$OUT/bench.json" > "$OUT/bench.log" 2>&1 || echo "benchmark failed (rc $?)" >> "$OUT/summary.txt"
cat "$OUT/bench.log" | tee -a "$OUT/summary.txt" > /dev/null
tail -n 25 "$OUT/bench.log"
exit $status
