//! The kubectl commands `run-workload` runs on the first controlplane node. Their answers are
//! read in `status` (JSON, the shape of the Kubernetes API objects).
use super::Target;
use crate::layout::node;
use crate::quote::shell;

/// Where manifests are uploaded on the node.
pub fn manifest_path(run: &str) -> String {
    node::workload(run)
}

/// Separates the Job's JSON from its pods' JSON in the output of [`status`].
pub const MARK: &str = "---mlk-pods---";

pub fn apply(path: &str) -> String {
    let env = node::kube_env();
    format!("{env} kubectl apply -f {}", shell(path))
}

/// Prints `customresourcedefinition.apiextensions.k8s.io/<name>` when the CRD exists.
pub fn crd(name: &str) -> String {
    let env = node::kube_env();
    format!("{env} kubectl get crd {} -o name", shell(name))
}

/// The node's clock, epoch seconds: the clock Telegraf stamps that node's samples with.
pub fn node_clock() -> &'static str {
    "date -u +%s"
}

fn resource(t: &Target) -> &'static str {
    if t.kind == "TFJob" {
        "tfjobs.kubeflow.org"
    } else {
        "job"
    }
}

/// The target object as JSON (nothing while it does not exist yet), [`MARK`], then its pods
/// as a JSON List.
pub fn status(t: &Target) -> String {
    let env = node::kube_env();
    let ns = shell(&t.namespace);
    format!(
        "{env} kubectl -n {ns} get {} {} --ignore-not-found -o json && echo {MARK} && kubectl -n {ns} get pods -l {} -o json",
        resource(t),
        shell(&t.name),
        shell(&t.pods)
    )
}

/// The pods of `selector` as a JSON List (for the run record).
pub fn pods(namespace: &str, selector: &str) -> String {
    let env = node::kube_env();
    format!(
        "{env} kubectl -n {} get pods -l {} -o json",
        shell(namespace),
        shell(selector)
    )
}

/// Every pod of `selector` and all of its log lines, prefixed with pod and container.
/// (`kubectl logs -l` defaults to the last 10 lines; `--tail=-1` takes them all.)
pub fn logs(namespace: &str, selector: &str) -> String {
    let env = node::kube_env();
    let (ns, sel) = (shell(namespace), shell(selector));
    format!(
        "{env} kubectl -n {ns} get pods -l {sel} -o wide; kubectl -n {ns} logs -l {sel} --all-containers --prefix --tail=-1 --max-log-requests=20"
    )
}

/// Deletes everything of the run: Jobs (and with them their pods), Services, the ConfigMap.
pub fn cleanup(namespace: &str, selector: &str) -> String {
    let env = node::kube_env();
    format!(
        "{env} kubectl -n {} delete job,service,configmap -l {} --wait=false",
        shell(namespace),
        shell(selector)
    )
}
