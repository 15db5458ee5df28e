//! `mlk run-workload`: the sample TensorFlow workload's manifests (or the user's), what to wait
//! for, and running it on the cluster through kubectl on the first controlplane node.
pub mod kube;
pub mod run;
pub mod tf_config;

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

/// How the built-in workload spreads over the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One Job, one pod (a single worker node).
    Single,
    /// A Kubeflow TFJob with one worker per worker node (Kubeflow enabled).
    TfJob,
    /// Plain Jobs and Services: chief, ps and one worker per worker node, TF_CONFIG set by mlk.
    ParameterServer,
}

pub fn layout(p: &Profile) -> Layout {
    match worker_count(p) {
        0 | 1 => Layout::Single,
        _ if p.components.kubeflow.enabled => Layout::TfJob,
        _ => Layout::ParameterServer,
    }
}

pub fn worker_count(p: &Profile) -> usize {
    p.nodes
        .iter()
        .filter(|n| n.roles.contains(&Role::Worker))
        .count()
}

/// A resource the run waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `Job` or `TFJob`.
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// Manifests to apply and what to wait for.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub yaml: String,
    pub targets: Vec<Target>,
    /// Label selector of servers to delete once the targets are done (ps layout), if any.
    pub cleanup: Option<(String, String)>,
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
    cpu_request: &'static str,
    tfjob: bool,
    workers: usize,
    tasks: Vec<tf_config::Task>,
}

/// Renders the built-in MNIST workload for run `run` on a cluster built from `p`.
pub fn mnist(p: &Profile, run: &str, epochs: u32) -> Result<Manifest> {
    crate::runs::check_name(run)?;
    let layout = layout(p);
    // Kubernetes names must start with a letter; run names may start with a digit.
    let prefix = format!("mnist-{run}");
    let workers = worker_count(p).max(1);
    let tasks = match layout {
        Layout::Single => vec![tf_config::single(&prefix)],
        Layout::TfJob => vec![],
        Layout::ParameterServer => tf_config::ps_layout(&prefix, NAMESPACE, workers),
    };
    let ctx = Ctx {
        run,
        prefix: prefix.clone(),
        namespace: NAMESPACE,
        layout,
        image: TF_IMAGE,
        script: SCRIPT,
        epochs: epochs.to_string(),
        cpu_request: "500m",
        tfjob: layout == Layout::TfJob,
        workers,
        tasks,
    };
    let yaml = crate::render::registry()?
        .render("workloads/mnist.yaml", &ctx)
        .context("rendering workloads/mnist.yaml")?;
    let target = |kind: &str, name: String| Target {
        kind: kind.into(),
        name,
        namespace: NAMESPACE.into(),
    };
    let (targets, cleanup) = match layout {
        Layout::Single => (vec![target("Job", prefix)], None),
        Layout::TfJob => (vec![target("TFJob", prefix)], None),
        Layout::ParameterServer => (
            vec![target("Job", format!("{prefix}-chief-0"))],
            Some((
                NAMESPACE.to_string(),
                format!("mlk.io/run={run},mlk.io/serve=true"),
            )),
        ),
    };
    Ok(Manifest {
        yaml,
        targets,
        cleanup,
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
    let targets = targets_of(&text)
        .map_err(|e| classify(Class::Usage, format!("--workload {file}: {e:#}")))?;
    if targets.is_empty() {
        return Err(classify(
            Class::Usage,
            format!(
                "--workload {file}: no Job or TFJob in it, so there is nothing to wait for (allowed: manifests with at least one batch/v1 Job or kubeflow.org TFJob)"
            ),
        ));
    }
    Ok(Manifest {
        yaml: text,
        targets,
        cleanup: None,
    })
}

/// Jobs and TFJobs in a multi-document YAML text.
pub fn targets_of(text: &str) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v =
            Value::deserialize(doc).with_context(|| format!("document {} is not YAML", i + 1))?;
        if v.is_null() {
            continue;
        }
        let kind = v["kind"]
            .as_str()
            .with_context(|| format!("document {}: no `kind`", i + 1))?;
        if kind == "Job" || kind == "TFJob" {
            let name = v["metadata"]["name"]
                .as_str()
                .with_context(|| format!("document {} ({kind}): no metadata.name", i + 1))?;
            let namespace = v["metadata"]["namespace"].as_str().unwrap_or("default");
            out.push(Target {
                kind: kind.into(),
                name: name.into(),
                namespace: namespace.into(),
            });
        }
    }
    Ok(out)
}

use serde::Deserialize as _;
