//! Proof that the rendered Telegraf DaemonSet values feed every measurement the report reads:
//! each queried measurement's input plugin is enabled, `cpu` reports the `cpu-total` series
//! with `usage_active`, the node inputs sample every 1–2 s, and the output writes to the
//! database the report queries. Per distribution: a measurement the report never reads there
//! (`sources::support` says No for all its fields: Docker's on RKE2) needs no input.
use super::queries::{self, ALL};
use super::sources::{Distribution, NODE_INTERVAL_S, Support, support};
use serde_yaml_ng::Value;

/// Seconds of a Telegraf duration such as `1s`, `500ms`, `2m`.
fn seconds(d: &str) -> Option<f64> {
    let d = d.trim();
    let (num, mult) = if let Some(n) = d.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = d.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = d.strip_suffix('m') {
        (n, 60.0)
    } else {
        return None;
    };
    num.parse::<f64>().ok().map(|v| v * mult)
}

/// Whether the report reads measurement `m` on `d` (`data::fetch` skips the unsupported ones).
fn read_on(d: Distribution, m: &str) -> bool {
    ALL.iter()
        .filter(|s| s.measurement == m)
        .flat_map(|s| s.fields.iter())
        .any(|f| !matches!(support(d, &format!("{m}.{f}")), Support::No(_)))
}

/// Problems with `values` (the rendered `telegraf-ds` Helm values of a cluster of `d`); empty
/// when consistent.
pub fn check_telegraf_values(values: &str, d: Distribution) -> Vec<String> {
    let doc: Value = match serde_yaml_ng::from_str(values) {
        Ok(v) => v,
        Err(e) => return vec![format!("not YAML: {e}")],
    };
    let mut problems = Vec::new();
    let mut inputs: Vec<(String, Value)> = doc["config"]["inputs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_mapping())
        .flat_map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
        })
        .collect();
    // The chart adds `[[inputs.docker]]` itself when `config.docker_endpoint` is set
    // (charts/telegraf-ds templates/configmap.yaml).
    if doc["config"]["docker_endpoint"]
        .as_str()
        .is_some_and(|e| !e.is_empty())
    {
        inputs.push(("docker".into(), Value::Null));
    }
    let enabled = |name: &str| inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    for m in queries::measurements()
        .into_iter()
        .filter(|m| read_on(d, m))
    {
        match queries::input_of(m) {
            Some(input) if enabled(input).is_some() => {}
            Some(input) => problems.push(format!(
                "measurement `{m}` is queried but input `{input}` is not enabled in config.inputs"
            )),
            None => problems.push(format!(
                "measurement `{m}`: no known Telegraf input writes it"
            )),
        }
    }
    if let Some(cpu) = enabled("cpu") {
        // The report filters on cpu = 'cpu-total', which only `totalcpu: true` writes, and
        // reads usage_active, which only `report_active: true` writes (plugins/inputs/cpu).
        if cpu["totalcpu"].as_bool() == Some(false) {
            problems.push(
                "input cpu has totalcpu: false, but the report reads the cpu-total series".into(),
            );
        }
        if cpu["report_active"].as_bool() != Some(true) {
            problems.push(
                "input cpu lacks report_active: true, but the report reads usage_active".into(),
            );
        }
    }
    for s in ALL.iter().filter(|s| read_on(d, s.measurement)) {
        let Some(input) = queries::input_of(s.measurement) else {
            continue;
        };
        let Some(cfg) = enabled(input) else { continue };
        if let Some(pass) = cfg["fieldpass"].as_sequence() {
            for f in s.fields {
                if !pass.iter().any(|x| x.as_str() == Some(f)) {
                    problems.push(format!("input {input}: fieldpass drops {f}"));
                }
            }
        }
    }
    for input in queries::NODE_INPUTS {
        let Some(cfg) = enabled(input) else { continue };
        let every = cfg["interval"]
            .as_str()
            .or_else(|| doc["config"]["agent"]["interval"].as_str())
            .and_then(seconds);
        match every {
            Some(s) if s <= 2.0 && s >= f64::from(NODE_INTERVAL_S) => {}
            other => problems.push(format!(
                "input {input} samples every {other:?} s; the report needs {NODE_INTERVAL_S} s (set `interval: \"{NODE_INTERVAL_S}s\"` on it)"
            )),
        }
    }
    let outputs = doc["config"]["outputs"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let dbs: Vec<&str> = outputs
        .iter()
        .filter_map(|o| o["influxdb"]["database"].as_str())
        .collect();
    if !dbs.contains(&super::DATABASE) {
        problems.push(format!(
            "no influxdb output writes database `{}` (found: {dbs:?})",
            super::DATABASE
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations() {
        assert_eq!(super::seconds("1s"), Some(1.0));
        assert_eq!(super::seconds("500ms"), Some(0.5));
        assert_eq!(super::seconds("2m"), Some(120.0));
        assert_eq!(super::seconds("x"), None);
    }
}
