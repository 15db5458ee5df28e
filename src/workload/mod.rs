//! `mlk run-workload`: the sample TensorFlow workload's manifests (or the user's), what to wait
//! for, and running it on the cluster through kubectl on the first controlplane node.
pub mod kube;
pub mod prepare;
pub mod run;
pub mod status;
pub mod tf_config;
pub mod window;

use crate::exit::{Class, classify};
use crate::profile::{Profile, Role};
use anyhow::{Context, Result};
use serde::Serialize;
use serde_yaml_ng::Value;

/// Namespace of the built-in workload.
pub const NAMESPACE: &str = "mlk-workloads";
/// TensorFlow 2.15 is the last release whose `tf.keras` is Keras 2, which the
/// parameter-server path (DatasetCreator) needs. CPU image.
pub const TF_IMAGE: &str = "tensorflow/tensorflow:2.15.0";
const SCRIPT: &str = include_str!("../../templates/workloads/mnist.py");
/// Where the staged dataset folder (`/opt/mlk/datasets` on every node) appears in the pods.
pub const DATA_MOUNT: &str = "/mlk-data";
/// The label every object of a built-in run carries; its pods are found by it.
pub const RUN_LABEL: &str = "mlk.io/run";

/// How the built-in workload spreads over the cluster.
///
/// Every layout uses built-in kinds only (batch/v1 Job, v1 Service, v1 ConfigMap): Kubeflow
/// manifests v1.11.0 ship Trainer v2 and no TFJob CRD (docs/measurement.md, "Layouts"), and
/// the same controller path on one and on three nodes keeps the comparison fair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One Job, one pod (a single worker node).
    Single,
    /// Plain Jobs and Services: chief, ps and one worker per worker node, TF_CONFIG set by mlk.
    ParameterServer,
}

pub fn layout(p: &Profile) -> Layout {
    match worker_count(p) {
        0 | 1 => Layout::Single,
        _ => Layout::ParameterServer,
    }
}

pub fn worker_count(p: &Profile) -> usize {
    p.nodes
        .iter()
        .filter(|n| n.roles.contains(&Role::Worker))
        .count()
}

/// The training's size: the same in every layout, so every layout does the same work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Training {
    pub epochs: u32,
    pub steps_per_epoch: u32,
    /// Examples per training step (one step = one batch on one worker in every layout).
    pub batch: u32,
}

impl Default for Training {
    /// 10 × 1000 steps of 128 examples: 1 280 000 examples, 21 passes over MNIST's 60 000;
    /// 3 to 17 minutes on a shared 2-core machine (docs/measurement.md), minutes on the lab's
    /// VMs, so the figures rest on hundreds of 1 s node samples.
    fn default() -> Self {
        Training {
            epochs: 10,
            steps_per_epoch: 1000,
            batch: 128,
        }
    }
}

impl Training {
    pub fn describe(&self) -> String {
        format!(
            "{} epochs × {} steps × batch {} = {} examples",
            self.epochs,
            self.steps_per_epoch,
            self.batch,
            u64::from(self.epochs) * u64::from(self.steps_per_epoch) * u64::from(self.batch)
        )
    }
}

/// A Job (or a user's TFJob) the run waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `Job` or `TFJob`.
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// Label selector of its pods.
    pub pods: String,
    /// Serves until deleted (ps, worker): it must not fail, but is never "done".
    pub serves: bool,
    /// `single`, `chief`, `ps`, `worker`; empty for user manifests.
    pub role: String,
}

/// Manifests to apply, what to wait for, and what to prepare on the nodes first.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub yaml: String,
    pub targets: Vec<Target>,
    /// (namespace, label selector) of everything of the run to delete once it is done.
    pub cleanup: Option<(String, String)>,
    /// Images to pre-pull on every node before the run.
    pub images: Vec<String>,
    /// Whether the built-in dataset must be staged on every node.
    pub dataset: bool,
    /// CustomResourceDefinitions the manifests need (checked before applying).
    pub crds: Vec<String>,
}

#[derive(Serialize)]
struct Ctx<'a> {
    run: &'a str,
    prefix: String,
    namespace: &'static str,
    layout: Layout,
    image: &'static str,
    script: &'static str,
    epochs: String,
    steps: String,
    batch: String,
    data_dir: String,
    data_mount: &'static str,
    dataset_path: String,
    tasks: Vec<tf_config::Task>,
}

/// Renders the built-in MNIST workload for run `run` on a cluster built from `p`.
pub fn mnist(p: &Profile, run: &str, training: &Training) -> Result<Manifest> {
    crate::runs::check_name(run)?;
    let layout = layout(p);
    // Kubernetes names must start with a letter; run names may start with a digit.
    let prefix = format!("mnist-{run}");
    let workers = worker_count(p).max(1);
    let tasks = match layout {
        Layout::Single => vec![tf_config::single(&prefix)],
        Layout::ParameterServer => tf_config::ps_layout(&prefix, NAMESPACE, workers),
    };
    let ctx = Ctx {
        run,
        prefix: prefix.clone(),
        namespace: NAMESPACE,
        layout,
        image: TF_IMAGE,
        script: SCRIPT,
        epochs: training.epochs.to_string(),
        steps: training.steps_per_epoch.to_string(),
        batch: training.batch.to_string(),
        data_dir: prepare::remote_dir(),
        data_mount: DATA_MOUNT,
        dataset_path: format!("{DATA_MOUNT}/{}", prepare::MNIST.file),
        tasks: tasks.clone(),
    };
    let yaml = crate::render::registry_of(&["workloads/mnist.yaml"])?
        .render("workloads/mnist.yaml", &ctx)
        .context("rendering workloads/mnist.yaml")?;
    let selector = format!("{RUN_LABEL}={run}");
    let targets = tasks
        .iter()
        .map(|t| Target {
            kind: "Job".into(),
            name: t.name.clone(),
            namespace: NAMESPACE.into(),
            pods: format!("{selector},mlk.io/task={}", t.task),
            serves: t.serve == "true",
            role: t.kind.to_string(),
        })
        .collect();
    Ok(Manifest {
        yaml,
        targets,
        cleanup: Some((NAMESPACE.to_string(), selector)),
        images: vec![TF_IMAGE.to_string()],
        dataset: true,
        crds: vec![],
    })
}

/// The user's manifest file: every Job and TFJob in it is waited for.
pub fn user_file(path: &std::path::Path) -> Result<Manifest> {
    let file = path.display().to_string();
    // A regular file of at most 1 MiB, nested no deeper than a profile may be.
    let text = crate::fsutil::read_input_text(path, crate::fsutil::MAX_INPUT)
        .map_err(|e| classify(Class::Usage, format!("--workload {file}: {e}")))?;
    if let Some(p) = crate::profile::depth::check(&text) {
        return Err(classify(
            Class::Usage,
            format!("--workload {file}: {}", p.message),
        ));
    }
    let (targets, images) = targets_of(&text)
        .map_err(|e| crate::exit::tag(Class::Usage, format!("--workload {file}"), e))?;
    if targets.is_empty() {
        return Err(classify(
            Class::Usage,
            format!(
                "--workload {file}: no Job or TFJob in it, so there is nothing to wait for (allowed: manifests with at least one batch/v1 Job or kubeflow.org TFJob)"
            ),
        ));
    }
    let mut crds: Vec<String> = targets
        .iter()
        .filter(|t| t.kind == "TFJob")
        .map(|_| "tfjobs.kubeflow.org".to_string())
        .collect();
    crds.dedup();
    Ok(Manifest {
        yaml: text,
        targets,
        cleanup: None,
        images,
        dataset: false,
        crds,
    })
}

/// The images of a pod template's containers and init containers.
fn images_of(template: &Value, out: &mut Vec<String>) {
    for key in ["initContainers", "containers"] {
        for c in template["spec"][key].as_sequence().into_iter().flatten() {
            if let Some(i) = c["image"].as_str()
                && !out.iter().any(|o| o == i)
            {
                out.push(i.to_string());
            }
        }
    }
}

/// Jobs and TFJobs in a multi-document YAML text, and the images their pods use.
pub fn targets_of(text: &str) -> Result<(Vec<Target>, Vec<String>)> {
    let mut out = Vec::new();
    let mut images = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v =
            Value::deserialize(doc).with_context(|| format!("document {} is not YAML", i + 1))?;
        if v.is_null() {
            continue;
        }
        let kind = v["kind"]
            .as_str()
            .with_context(|| format!("document {}: no `kind`", i + 1))?;
        if kind != "Job" && kind != "TFJob" {
            continue;
        }
        let name = v["metadata"]["name"]
            .as_str()
            .with_context(|| format!("document {} ({kind}): no metadata.name", i + 1))?;
        let namespace = v["metadata"]["namespace"].as_str().unwrap_or("default");
        // The Job controller labels its pods `job-name` (k8s pkg/controller/job); the
        // training operator labels TFJob pods `training.kubeflow.org/job-name`.
        let pods = if kind == "Job" {
            images_of(&v["spec"]["template"], &mut images);
            format!("job-name={name}")
        } else {
            for spec in v["spec"]["tfReplicaSpecs"]
                .as_mapping()
                .into_iter()
                .flatten()
            {
                images_of(&spec.1["template"], &mut images);
            }
            format!("training.kubeflow.org/job-name={name}")
        };
        out.push(Target {
            kind: kind.into(),
            name: name.into(),
            namespace: namespace.into(),
            pods,
            serves: false,
            role: String::new(),
        });
    }
    Ok((out, images))
}

use serde::Deserialize as _;
