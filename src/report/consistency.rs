//! Proof that the rendered Telegraf DaemonSet values feed every measurement the report reads:
//! each queried measurement's input plugin is enabled, `cpu` reports the `cpu-total` series,
//! and the output writes to the database the report queries.
use super::queries::{self, METRICS};
use serde_yaml_ng::Value;

/// Problems with `values` (the rendered `telegraf-ds` Helm values); empty when consistent.
pub fn check_telegraf_values(values: &str) -> Vec<String> {
    let doc: Value = match serde_yaml_ng::from_str(values) {
        Ok(v) => v,
        Err(e) => return vec![format!("not YAML: {e}")],
    };
    let mut problems = Vec::new();
    let inputs: Vec<(String, Value)> = doc["config"]["inputs"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_mapping())
        .flat_map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
        })
        .collect();
    let enabled = |name: &str| inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    for m in queries::measurements() {
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
        // The report filters on cpu = 'cpu-total', which only `totalcpu: true` writes.
        if cpu["totalcpu"].as_bool() == Some(false) {
            problems.push(
                "input cpu has totalcpu: false, but the report reads the cpu-total series".into(),
            );
        }
    }
    let uses_field = |meas: &str, field: &str| {
        METRICS
            .iter()
            .any(|m| m.measurement == meas && m.field == field)
    };
    if uses_field("cpu", "usage_idle")
        && enabled("cpu").is_some_and(|c| {
            c["fieldpass"]
                .as_sequence()
                .is_some_and(|f| !f.iter().any(|x| x.as_str() == Some("usage_idle")))
        })
    {
        problems.push("input cpu: fieldpass drops usage_idle".into());
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
