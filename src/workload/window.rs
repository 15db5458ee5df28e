//! The training window from the workload's own containers: from the first container start to
//! the last finish of a container that does not merely serve (ps and workers run until mlk
//! deletes them, after the chief is done). `startedAt`/`finishedAt` come from the kubelet of
//! each node, the same node clocks Telegraf stamps its samples with.
use crate::report::time;
use crate::runs::{PodRecord, Window};

/// Source name of a window taken from the containers.
pub const CONTAINERS: &str = "containers";

/// The window, or why there is none (no container started, or the training never finished).
pub fn training(pods: &[PodRecord]) -> Result<Window, String> {
    let mut start: Option<i64> = None;
    let mut end: Option<i64> = None;
    let mut unfinished = Vec::new();
    for p in pods {
        for c in &p.containers {
            if let Some(s) = c.started_at.as_deref().and_then(|s| time::parse(s).ok()) {
                start = Some(start.map_or(s, |v| v.min(s)));
            }
            if p.serves {
                continue;
            }
            match c.finished_at.as_deref().and_then(|s| time::parse(s).ok()) {
                Some(f) => end = Some(end.map_or(f, |v| v.max(f))),
                None => unfinished.push(format!("{}/{}", p.name, c.name)),
            }
        }
    }
    let Some(start) = start else {
        return Err("no container of the workload started".into());
    };
    if !unfinished.is_empty() {
        return Err(format!(
            "container(s) {} have no finishedAt",
            unfinished.join(", ")
        ));
    }
    match end {
        Some(end) if end > start => Ok(Window {
            start: time::rfc3339(start),
            end: time::rfc3339(end),
            source: CONTAINERS.into(),
        }),
        Some(end) => Err(format!(
            "the last container finished at {} but the first started at {}",
            time::rfc3339(end),
            time::rfc3339(start)
        )),
        None => Err("no training container finished".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::ContainerRecord;

    fn pod(name: &str, serves: bool, s: &str, f: Option<&str>) -> PodRecord {
        PodRecord {
            namespace: "ns".into(),
            name: name.into(),
            node: "n".into(),
            role: String::new(),
            serves,
            containers: vec![ContainerRecord {
                name: "tensorflow".into(),
                started_at: Some(s.into()),
                finished_at: f.map(String::from),
                exit_code: None,
                restarts: 0,
            }],
        }
    }

    #[test]
    fn window_from_containers() {
        let pods = [
            pod("ps", true, "2026-01-01T10:00:05Z", None),
            pod(
                "chief",
                false,
                "2026-01-01T10:00:09Z",
                Some("2026-01-01T10:05:00Z"),
            ),
            pod(
                "worker",
                true,
                "2026-01-01T10:00:02Z",
                Some("2026-01-01T10:05:30Z"),
            ),
        ];
        let w = training(&pods).unwrap();
        assert_eq!(
            (w.start.as_str(), w.end.as_str()),
            ("2026-01-01T10:00:02Z", "2026-01-01T10:05:00Z")
        );
        let e = training(&[pod("chief", false, "2026-01-01T10:00:09Z", None)]).unwrap_err();
        assert!(e.contains("chief/tensorflow"), "{e}");
        assert!(training(&[]).is_err());
    }
}
