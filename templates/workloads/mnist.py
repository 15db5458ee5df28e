# mlk's sample workload: a small CPU MNIST classifier with Keras. Reads TF_CONFIG:
#  - none: one process (mono);
#  - worker tasks only (TFJob from Kubeflow's training operator): MultiWorkerMirroredStrategy;
#  - chief + ps + worker (plain Jobs): ps and workers serve, the chief trains with
#    ParameterServerStrategy.
import json
import os

import tensorflow as tf

EPOCHS = int(os.environ.get("MLK_EPOCHS", "3"))
STEPS = int(os.environ.get("MLK_STEPS_PER_EPOCH", "200"))
cfg = json.loads(os.environ.get("TF_CONFIG") or "{}")
cluster = cfg.get("cluster", {})
task = cfg.get("task", {})
role = task.get("type", "")
print(f"mlk mnist: role={role or 'single'} index={task.get('index', 0)} cluster={cluster}", flush=True)

if "chief" in cluster and role in ("ps", "worker"):
    server = tf.distribute.Server(
        tf.train.ClusterSpec(cluster), job_name=role, task_index=task["index"], protocol="grpc", start=True
    )
    server.join()


def dataset(_ctx=None):
    (x, y), _ = tf.keras.datasets.mnist.load_data()
    x = x.reshape(-1, 784).astype("float32") / 255.0
    return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(60000).repeat().batch(128)


if role == "chief":
    strategy = tf.distribute.ParameterServerStrategy(tf.distribute.cluster_resolver.TFConfigClusterResolver())
    data = tf.keras.utils.experimental.DatasetCreator(dataset)
elif "worker" in cluster:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    data = dataset()
else:
    strategy = tf.distribute.get_strategy()
    data = dataset()

with strategy.scope():
    model = tf.keras.Sequential(
        [tf.keras.Input((784,)), tf.keras.layers.Dense(256, activation="relu"), tf.keras.layers.Dense(10)]
    )
    model.compile(
        optimizer="adam",
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
model.fit(data, epochs=EPOCHS, steps_per_epoch=STEPS, verbose=2)
print("mlk mnist: done", flush=True)
