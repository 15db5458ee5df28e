"""Measures what ParameterServerStrategy ships for mlk's sample workload.

Keras traces `dataset_fn` on the chief and sends the traced graph to every worker, so anything
the function captures travels once per worker. This prints the size of the graph traced from
templates/workloads/mnist.py's `dataset`, next to the pattern it replaced (the float32 array
built on the chief, captured through from_tensor_slices). Needs TensorFlow 2.15 (tensorflow-cpu).

    python mnist_graph.py MNIST_PY NPZ
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

script, npz = sys.argv[1], sys.argv[2]
ctx = tf.distribute.InputContext(num_input_pipelines=3, input_pipeline_id=0, num_replicas_in_sync=1)


def graph_bytes(fn):
    traced = tf.function(lambda: fn(ctx)._variant_tensor, autograph=False)
    return traced.get_concrete_function().graph.as_graph_def().ByteSize()


# The workload's own definitions, without running its role-specific start-up or training.
src = open(script).read().split('\nif role == "chief":')[0]
src = src.replace('if role in ("single", "worker"):\n    stage_raw()', "")
ns = {}
exec(compile(src, script, "exec"), ns)


def replaced(_ctx=None):
    # mlk's earlier dataset_fn: the whole training set as float32, built where it is traced.
    with np.load(npz) as f:
        x, y = f["x_train"], f["y_train"]
    x = x.reshape(-1, 784).astype("float32") / 255.0
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(60000).repeat().batch(128)


print(f"dataset_fn graph, mnist.py: {graph_bytes(ns['dataset'])} bytes")
print(f"dataset_fn graph, replaced pattern: {graph_bytes(replaced)} bytes")
