#!/usr/bin/env bash
# mnist-local.sh [STEPS] - runs templates/workloads/mnist.py on this machine, as mono (one
# process) and as the parameter-server layout (chief, ps, 2 workers on 127.0.0.1), and measures
# the dataset_fn graph the chief ships to workers (scripts/bench/mnist_graph.py). Development
# aid, not run by CI: it needs TensorFlow 2.15 (`pip install tensorflow-cpu==2.15.0` into the
# Python named by MLK_TF_PYTHON, default python3) and NumPy. The data is a synthetic MNIST-shaped
# npz (random uint8 of the real shapes): the real file is downloaded only by run-workload.
set -euo pipefail
cd "$(dirname "$0")/../.."
py=${MLK_TF_PYTHON:-python3}
steps=${1:-200}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$py" - "$work/mnist.npz" <<'PY'
import sys, numpy as np
r = np.random.default_rng(0)
np.savez_compressed(sys.argv[1], x_train=r.integers(0, 256, (60000, 28, 28), dtype=np.uint8),
    y_train=r.integers(0, 10, 60000).astype(np.uint8), x_test=np.zeros((10000, 28, 28), np.uint8),
    y_test=np.zeros(10000, np.uint8))
PY
script=templates/workloads/mnist.py
"$py" scripts/bench/mnist_graph.py "$script" "$work/mnist.npz" 2>/dev/null
export MLK_DATASET=$work/mnist.npz MLK_RAW_DIR=$work/raw MLK_EPOCHS=1 MLK_STEPS_PER_EPOCH=$steps TF_CPP_MIN_LOG_LEVEL=2
t=$(date +%s.%N)
"$py" "$script" 2>&1 | grep 'mlk mnist: done'
echo "single: $(echo "$(date +%s.%N) - $t" | bc) s wall for $steps steps"
base=$((23000 + RANDOM % 5000))
cl="{\"chief\":[\"127.0.0.1:$base\"],\"ps\":[\"127.0.0.1:$((base + 1))\"],\"worker\":[\"127.0.0.1:$((base + 2))\",\"127.0.0.1:$((base + 3))\"]}"
TF_CONFIG="{\"cluster\":$cl,\"task\":{\"type\":\"ps\",\"index\":0}}" "$py" "$script" >"$work/ps.log" 2>&1 &
for i in 0 1; do
  TF_CONFIG="{\"cluster\":$cl,\"task\":{\"type\":\"worker\",\"index\":$i}}" "$py" "$script" >"$work/w$i.log" 2>&1 &
done
t=$(date +%s.%N)
TF_CONFIG="{\"cluster\":$cl,\"task\":{\"type\":\"chief\",\"index\":0}}" timeout 900 "$py" "$script" 2>&1 | grep 'mlk mnist: done'
echo "parameter server (chief, ps, 2 workers on loopback): $(echo "$(date +%s.%N) - $t" | bc) s wall for $steps steps"
