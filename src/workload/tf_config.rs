//! TF_CONFIG for the parameter-server layout: one chief, one ps, one worker per worker node.
//! Every task reaches the others through one ClusterIP Service each, `<job>.<ns>.svc:2222`.
use serde_json::json;

/// One task of the layout: its Job/Service name, TF task type and index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Task {
    pub name: String,
    /// `chief-0`, `ps-0`, `worker-1`...
    pub task: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub index: usize,
    /// The TF_CONFIG JSON of this task; empty for a single process.
    pub tf_config: String,
    /// ps and workers serve forever; mlk deletes them when the chief is done.
    pub serve: String,
    /// Whether the task gets a Service (every task of a distributed layout).
    pub service: bool,
    /// Scheduler requests. The training happens in the single process or the workers; the
    /// chief and the ps coordinate and hold variables, so they ask for less, which is what
    /// lets the distributed layout fit beside the platform (`profile::requirements`).
    pub cpu_request: &'static str,
    pub memory_request: &'static str,
}

/// Requests of a task doing the training (a worker, or the single process).
const TRAIN: (&str, &str) = ("500m", "1Gi");
/// Requests of a coordinating task (chief, ps).
const COORDINATE: (&str, &str) = ("100m", "512Mi");

pub const PORT: u16 = 2222;

/// The tasks of a parameter-server layout for `workers` worker nodes, resources named
/// `<prefix>-<type>-<index>` in `namespace`.
pub fn ps_layout(prefix: &str, namespace: &str, workers: usize) -> Vec<Task> {
    let kinds: Vec<(&'static str, usize)> =
        vec![("chief", 1), ("ps", 1), ("worker", workers.max(1))];
    let addr = |k: &str, i: usize| format!("{prefix}-{k}-{i}.{namespace}.svc:{PORT}");
    let cluster: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .map(|(k, n)| {
            (
                k.to_string(),
                json!((0..*n).map(|i| addr(k, i)).collect::<Vec<_>>()),
            )
        })
        .collect();
    let mut tasks = Vec::new();
    for (k, n) in &kinds {
        for i in 0..*n {
            let cfg = json!({ "cluster": cluster, "task": { "type": k, "index": i } });
            let (cpu_request, memory_request) = if *k == "worker" { TRAIN } else { COORDINATE };
            tasks.push(Task {
                name: format!("{prefix}-{k}-{i}"),
                task: format!("{k}-{i}"),
                kind: k,
                index: i,
                tf_config: cfg.to_string(),
                serve: (*k != "chief").to_string(),
                service: true,
                cpu_request,
                memory_request,
            });
        }
    }
    tasks
}

/// The one task of a single-process run: no TF_CONFIG.
pub fn single(prefix: &str) -> Task {
    Task {
        name: prefix.to_string(),
        task: "single-0".into(),
        kind: "single",
        index: 0,
        tf_config: String::new(),
        serve: "false".into(),
        service: false,
        cpu_request: TRAIN.0,
        memory_request: TRAIN.1,
    }
}
