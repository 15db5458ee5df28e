# mlk's sample workload: a small convolutional MNIST classifier with Keras 2 (TensorFlow 2.15).
# Reads TF_CONFIG:
#  - none: one process (mono);
#  - chief + ps + worker (plain Jobs): ps and workers serve, the chief trains with
#    ParameterServerStrategy.
# Every layout does the same work: EPOCHS x STEPS steps of BATCH examples, one step being one
# batch on one worker. The data is the node-local mnist.npz that mlk staged on every node: the
# processes that feed training turn it into raw uint8 files at start, and the input pipeline reads
# those inside the graph (FixedLengthRecordDataset), shards them per worker, keeps uint8 and casts
# per batch. So no array is ever captured as a graph constant: under ParameterServerStrategy the
# chief traces dataset_fn and sends the graph to the workers, and a captured float32 copy of
# MNIST would travel to every worker.
import json
import os
import time

import numpy as np
import tensorflow as tf

EPOCHS = int(os.environ.get("MLK_EPOCHS", "10"))
STEPS = int(os.environ.get("MLK_STEPS_PER_EPOCH", "1000"))
BATCH = int(os.environ.get("MLK_BATCH", "128"))
DATASET = os.environ.get("MLK_DATASET", "/mlk-data/mnist.npz")
RAW = os.environ.get("MLK_RAW_DIR", "/tmp/mlk-mnist")
X_BIN, Y_BIN = RAW + "/x_train.bin", RAW + "/y_train.bin"
PIXELS = 28 * 28

cfg = json.loads(os.environ.get("TF_CONFIG") or "{}")
cluster = cfg.get("cluster", {})
task = cfg.get("task", {})
role = task.get("type", "") or "single"
print(f"mlk mnist: role={role} index={task.get('index', 0)} cluster={cluster}", flush=True)


def stage_raw():
    """The staged npz as two raw uint8 files (images row-major, labels), once per process."""
    os.makedirs(RAW, exist_ok=True)
    with np.load(DATASET) as f:
        x, y = f["x_train"], f["y_train"]
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28), (x.dtype, x.shape)
    for arr, path in ((x, X_BIN), (y.astype(np.uint8), Y_BIN)):
        arr.tofile(path + ".part")
        os.replace(path + ".part", path)
    print(f"mlk mnist: {len(x)} examples from {DATASET} as raw uint8", flush=True)


if role in ("single", "worker"):
    stage_raw()

if "chief" in cluster and role in ("ps", "worker"):
    server = tf.distribute.Server(
        tf.train.ClusterSpec(cluster), job_name=role, task_index=task["index"], protocol="grpc", start=True
    )
    server.join()


def decode(x, y):
    x = tf.reshape(tf.io.decode_raw(x, tf.uint8), (28, 28, 1))
    y = tf.reshape(tf.io.decode_raw(y, tf.uint8), ())
    return x, y


def to_float(x, y):
    return tf.cast(x, tf.float32) / 255.0, tf.cast(y, tf.int32)


def dataset(ctx=None):
    """One input pipeline: this pipeline's shard of the file, uint8 until batched."""
    n = ctx.num_input_pipelines if ctx else 1
    i = ctx.input_pipeline_id if ctx else 0
    images = tf.data.FixedLengthRecordDataset(X_BIN, PIXELS)
    labels = tf.data.FixedLengthRecordDataset(Y_BIN, 1)
    ds = tf.data.Dataset.zip((images, labels)).shard(n, i).map(decode).cache()
    ds = ds.shuffle(60000 // n, seed=i).repeat().batch(BATCH, drop_remainder=True)
    return ds.map(to_float).prefetch(tf.data.AUTOTUNE)


if role == "chief":
    strategy = tf.distribute.ParameterServerStrategy(tf.distribute.cluster_resolver.TFConfigClusterResolver())
    data = tf.keras.utils.experimental.DatasetCreator(dataset)
else:
    strategy = tf.distribute.get_strategy()
    data = dataset()

with strategy.scope():
    model = tf.keras.Sequential(
        [
            tf.keras.Input((28, 28, 1)),
            tf.keras.layers.Conv2D(32, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(),
            tf.keras.layers.Conv2D(64, 3, activation="relu"),
            tf.keras.layers.MaxPooling2D(),
            tf.keras.layers.Conv2D(64, 3, activation="relu"),
            # Global pooling, not Flatten + Dense: 56k parameters instead of 225k, for the
            # same compute; under ParameterServerStrategy every step moves them both ways.
            tf.keras.layers.GlobalAveragePooling2D(),
            tf.keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
t0 = time.time()
model.fit(data, epochs=EPOCHS, steps_per_epoch=STEPS, verbose=2)
print(f"mlk mnist: done, {EPOCHS * STEPS * BATCH} examples in {time.time() - t0:.1f} s", flush=True)
