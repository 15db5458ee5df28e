//! The kubectl commands `run-workload` runs on the first controlplane node, and how their
//! output is read.
use super::Target;
use crate::render::quote::shell;
use crate::report::locate::KUBE_ENV;

/// Where manifests are uploaded on the node.
pub fn manifest_path(run: &str) -> String {
    format!("/opt/mlk/workloads/{run}.yaml")
}

pub fn apply(path: &str) -> String {
    format!("{KUBE_ENV} kubectl apply -f {}", shell(path))
}

/// Prints `<active>|<type>=<status>,...` for a Job or TFJob.
pub fn status(t: &Target) -> String {
    let resource = if t.kind == "TFJob" { "tfjob" } else { "job" };
    format!(
        "{KUBE_ENV} kubectl -n {} get {resource} {} -o jsonpath='{{.status.active}}|{{range .status.conditions[*]}}{{.type}}={{.status}},{{end}}'",
        shell(&t.namespace),
        shell(&t.name)
    )
}

/// The last lines of every pod of the target, prefixed with pod and container.
pub fn logs(t: &Target) -> String {
    let selector = if t.kind == "TFJob" {
        format!("training.kubeflow.org/job-name={}", t.name)
    } else {
        format!("job-name={}", t.name)
    };
    format!(
        "{KUBE_ENV} kubectl -n {ns} get pods -l {sel} -o wide; kubectl -n {ns} logs -l {sel} --all-containers --prefix --tail=40 --max-log-requests=20",
        ns = shell(&t.namespace),
        sel = shell(&selector)
    )
}

pub fn cleanup(namespace: &str, selector: &str) -> String {
    format!(
        "{KUBE_ENV} kubectl -n {} delete job,service -l {} --wait=false",
        shell(namespace),
        shell(selector)
    )
}

/// Where a Job or TFJob stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not finished; `active` pods running (if known).
    Running {
        active: u32,
    },
    Succeeded,
    /// Finished without success, with the condition text.
    Failed(String),
}

/// Reads the output of [`status`].
pub fn parse_status(out: &str) -> State {
    let (active, conds) = out.trim().split_once('|').unwrap_or(("", out.trim()));
    let active = active.trim().parse().unwrap_or(0);
    let true_conds: Vec<&str> = conds
        .split(',')
        .filter_map(|c| c.strip_suffix("=True"))
        .collect();
    if true_conds.contains(&"Failed") {
        State::Failed("condition Failed=True".into())
    } else if true_conds
        .iter()
        .any(|c| *c == "Complete" || *c == "Succeeded")
    {
        State::Succeeded
    } else {
        State::Running { active }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(parse_status("|"), State::Running { active: 0 });
        assert_eq!(parse_status("2|"), State::Running { active: 2 });
        assert_eq!(
            parse_status("|SuccessCriteriaMet=True,Complete=True,"),
            State::Succeeded
        );
        assert_eq!(
            parse_status("|Created=True,Running=False,Succeeded=True,"),
            State::Succeeded
        );
        assert_eq!(
            parse_status("|FailureTarget=True,Failed=True,"),
            State::Failed("condition Failed=True".into())
        );
        assert_eq!(
            parse_status("1|Created=True,Running=True,"),
            State::Running { active: 1 }
        );
    }
}
