//! Where a run stands, from the JSON kubectl prints for its Jobs and pods (the fields of the
//! Kubernetes API types: Job `status.conditions`, Pod `status.phase` and
//! `status.containerStatuses[].state`, k8s.io/api core/v1 and batch/v1).
use crate::runs::{ContainerRecord, PodRecord};
use serde_json::Value;

/// Where one Job (or TFJob) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Not created yet (right after apply), or created and not finished.
    Running,
    Succeeded,
    /// Finished without success, with the condition's reason and message.
    Failed(String),
}

/// One pod, as far as progress and failure detection need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodState {
    pub name: String,
    pub phase: String,
    /// A container problem that will not heal by waiting (e.g. CrashLoopBackOff), if any.
    pub fatal: Option<String>,
    /// Why a Pending pod waits (e.g. `Unschedulable`, `ContainerCreating`).
    pub waiting: Option<String>,
}

/// Container waiting reasons that mean the pod will not run as submitted. The image is
/// pulled before the run, so a pull error here is not a slow network but a broken run.
const FATAL_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

fn condition_true(obj: &Value, types: &[&str]) -> Option<String> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["status"] == "True" && types.iter().any(|t| c["type"].as_str() == Some(t)))
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            let (ty, reason, msg) = (s("type"), s("reason"), s("message"));
            match (reason.is_empty(), msg.is_empty()) {
                (true, _) => format!("condition {ty}=True"),
                (false, true) => format!("condition {ty}=True ({reason})"),
                (false, false) => format!("condition {ty}=True ({reason}: {msg})"),
            }
        })
}

/// A Job's (batch/v1: `Complete`, `Failed`; since 1.31 also `SuccessCriteriaMet`,
/// `FailureTarget`) or a TFJob's (`Succeeded`, `Failed`) state from its JSON; an empty text is
/// a Job that does not exist yet.
pub fn job_state(json: &str) -> Result<JobState, String> {
    if json.trim().is_empty() {
        return Ok(JobState::Running);
    }
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    if let Some(why) = condition_true(&v, &["Failed", "FailureTarget"]) {
        return Ok(JobState::Failed(why));
    }
    if condition_true(&v, &["Complete", "SuccessCriteriaMet", "Succeeded"]).is_some() {
        return Ok(JobState::Succeeded);
    }
    Ok(JobState::Running)
}

fn items(json: &str) -> Result<Vec<Value>, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON: {e}"))?;
    Ok(v["items"].as_array().cloned().unwrap_or_default())
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

/// The pods of a `kubectl get pods -o json` List.
pub fn pod_states(json: &str) -> Result<Vec<PodState>, String> {
    let mut out = Vec::new();
    for p in items(json)? {
        let name = str_of(&p["metadata"]["name"]);
        let phase = str_of(&p["status"]["phase"]);
        let mut fatal = None;
        let mut waiting = None;
        for c in p["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let cname = str_of(&c["name"]);
            if let Some(reason) = c["state"]["waiting"]["reason"].as_str() {
                if FATAL_WAITING.contains(&reason) {
                    let msg = str_of(&c["state"]["waiting"]["message"]);
                    fatal = Some(format!("container {cname}: {reason} {msg}").trim().into());
                } else {
                    waiting = Some(reason.to_string());
                }
            }
            if phase == "Failed"
                && let Some(code) = c["state"]["terminated"]["exitCode"].as_i64()
            {
                let reason = str_of(&c["state"]["terminated"]["reason"]);
                fatal = Some(format!("container {cname} exited {code} ({reason})"));
            }
        }
        if phase == "Failed" && fatal.is_none() {
            fatal = Some(format!("phase Failed ({})", str_of(&p["status"]["reason"])));
        }
        if waiting.is_none()
            && phase == "Pending"
            && let Some(c) = p["status"]["conditions"].as_array().and_then(|cs| {
                cs.iter()
                    .find(|c| c["type"] == "PodScheduled" && c["status"] == "False")
            })
        {
            waiting = Some(str_of(&c["reason"]));
        }
        out.push(PodState {
            name,
            phase,
            fatal,
            waiting,
        });
    }
    Ok(out)
}

/// The run record's view of the pods of a `kubectl get pods -o json` List. `role_of` gives a
/// pod's role and whether it serves, from its labels.
pub fn pod_records(
    json: &str,
    role_of: &dyn Fn(&Value) -> (String, bool),
) -> Result<Vec<PodRecord>, String> {
    let mut out = Vec::new();
    for p in items(json)? {
        let (role, serves) = role_of(&p["metadata"]["labels"]);
        let mut containers = Vec::new();
        for c in p["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let st = &c["state"];
            let (started, finished, code) = if st["terminated"].is_object() {
                let t = &st["terminated"];
                (
                    t["startedAt"].as_str(),
                    t["finishedAt"].as_str(),
                    t["exitCode"].as_i64(),
                )
            } else {
                (st["running"]["startedAt"].as_str(), None, None)
            };
            containers.push(ContainerRecord {
                name: str_of(&c["name"]),
                started_at: started.map(String::from),
                finished_at: finished.map(String::from),
                exit_code: code,
                restarts: c["restartCount"].as_u64().unwrap_or(0) as u32,
            });
        }
        out.push(PodRecord {
            namespace: str_of(&p["metadata"]["namespace"]),
            name: str_of(&p["metadata"]["name"]),
            node: str_of(&p["spec"]["nodeName"]),
            role,
            serves,
            containers,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Splits the output of `kube::status` into (job JSON, pods JSON).
pub fn split(out: &str) -> Option<(&str, &str)> {
    out.split_once(super::kube::MARK)
}

/// One line of progress for a target: `Job x: 1 Running, 2 Pending (Unschedulable)`.
pub fn progress(kind: &str, name: &str, pods: &[PodState]) -> String {
    if pods.is_empty() {
        return format!("{kind} {name}: no pods yet");
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for p in pods {
        let label = match &p.waiting {
            Some(w) if !w.is_empty() => format!("{} ({w})", p.phase),
            _ => p.phase.clone(),
        };
        match counts.iter_mut().find(|(l, _)| *l == label) {
            Some(c) => c.1 += 1,
            None => counts.push((label, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(l, n)| format!("{n} {l}")).collect();
    format!("{kind} {name}: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_and_pods() {
        assert_eq!(job_state(""), Ok(JobState::Running));
        let done = r#"{"status":{"conditions":[{"type":"SuccessCriteriaMet","status":"True"},{"type":"Complete","status":"True"}]}}"#;
        assert_eq!(job_state(done), Ok(JobState::Succeeded));
        let failed = r#"{"status":{"conditions":[{"type":"FailureTarget","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}"#;
        assert_eq!(
            job_state(failed),
            Ok(JobState::Failed(
                "condition FailureTarget=True (BackoffLimitExceeded: Job has reached the specified backoff limit)".into()
            ))
        );
        let pods = r#"{"items":[{"metadata":{"name":"a"},"status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable"}]}},
            {"metadata":{"name":"b"},"status":{"phase":"Running","containerStatuses":[{"name":"tensorflow","state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}}}]}}]}"#;
        let p = pod_states(pods).unwrap();
        assert_eq!(p[0].waiting.as_deref(), Some("Unschedulable"));
        assert_eq!(
            p[1].fatal.as_deref(),
            Some("container tensorflow: CrashLoopBackOff back-off")
        );
        assert_eq!(
            progress("Job", "x", &p),
            "Job x: 1 Pending (Unschedulable), 1 Running"
        );
    }
}
