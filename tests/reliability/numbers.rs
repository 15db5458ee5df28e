//! Finding 4: every number a profile (or the command line) accepts is bounded, the bound is in
//! the error, the schema has the same bounds, and no sum of user numbers can overflow.
use super::{mlk, mono_with, run, text};
use serde_json::Value;

fn plan(profile_text: &str) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.yaml");
    std::fs::write(&p, profile_text).unwrap();
    run(&["plan", "-p", p.to_str().unwrap()])
}

fn full() -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/profiles/good/full.yaml");
    serde_yaml_ng::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn a_huge_stage_timeout_is_refused_not_a_panic_at_up() {
    let out = plan(&format!(
        "{}stages:\n  - {{id: s, after: docker, run: 'true', timeout: 18446744073709551615}}\n",
        mlk::profile::embedded_source("mono").unwrap()
    ));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("stages[0].timeout") && err.contains("86400"),
        "{err}"
    );
}

#[test]
fn cpus_and_memory_are_bounded_and_totals_never_wrap() {
    for (from, to, field, bound) in [
        ("cpus: 8", "cpus: 4294967295", "nodes[0].cpus", "64"),
        ("cpus: 8", "cpus: 4294968", "nodes[0].cpus", "64"),
        ("cpus: 8", "cpus: 65", "nodes[0].cpus", "64"),
        (
            "memory: 18432",
            "memory: 4294967295",
            "nodes[0].memory",
            "1048576",
        ),
        (
            "memory: 18432",
            "memory: 18432\n    maxmemory: 1048577",
            "nodes[0].maxmemory",
            "1048576",
        ),
    ] {
        let out = plan(&mono_with(from, to));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.contains(field) && err.contains(bound), "{to}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!err.contains(" 0 CPUs"), "{to}: the total wrapped: {err}");
    }
}

/// Many nodes at the largest CPU and memory counts: the totals are exact, not wrapped.
#[test]
fn requirement_totals_do_not_overflow() {
    let src = mlk::profile::Source::resolve("mono").unwrap();
    let rules = mlk::profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: String::new(),
    };
    let mut p = mlk::profile::load(&src, &Default::default(), &rules).unwrap();
    let n = p.nodes[0].clone();
    p.nodes = (0..2000)
        .map(|i| mlk::profile::Node {
            name: format!("n{i}"),
            cpus: u32::MAX,
            memory: u32::MAX,
            ..n.clone()
        })
        .collect();
    let (cpu, mib) = mlk::profile::requirements::provided(&p);
    assert_eq!(cpu, 2000 * u64::from(u32::MAX) * 1000);
    assert_eq!(mib, 2000 * u64::from(u32::MAX));
}

#[test]
fn node_and_stage_counts_are_bounded() {
    let mut nodes = String::new();
    for i in 0..65 {
        nodes.push_str(&format!(
            "  - {{name: n{i}, ip: 192.168.56.{}, cpus: 1, memory: 512, roles: [worker]}}\n",
            10 + i
        ));
    }
    let out = plan(&mono_with("nodes:\n", &format!("nodes:\n{nodes}")));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("nodes: ") && err.contains("at most 64"),
        "{err}"
    );
    let mut stages = String::from("stages:\n");
    let mut after = "docker".to_string();
    for i in 0..101 {
        stages.push_str(&format!("  - {{id: s{i}, after: {after}, run: 'true'}}\n"));
        after = format!("s{i}");
    }
    let out = plan(&format!(
        "{}{stages}",
        mlk::profile::embedded_source("mono").unwrap()
    ));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        err.contains("stages: ") && err.contains("at most 100"),
        "{err}"
    );
}

/// The pointer of every integer in the schema, with the profile path it describes.
fn integers(
    schema: &Value,
    node: &Value,
    ptr: String,
    path: String,
    out: &mut Vec<(String, String, Value)>,
) {
    let node = match node.get("$ref").and_then(Value::as_str) {
        Some(r) => schema.pointer(r.trim_start_matches('#')).unwrap(),
        None => node,
    };
    if node.get("type").and_then(Value::as_str) == Some("integer") {
        out.push((ptr.clone(), path.clone(), node.clone()));
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, v) in props {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            integers(schema, v, format!("{ptr}/properties/{k}"), p, out);
        }
    }
    if let Some(items) = node.get("items") {
        integers(
            schema,
            items,
            format!("{ptr}/items"),
            format!("{path}[0]"),
            out,
        );
    }
}

fn set(doc: &mut Value, path: &str, v: Value) {
    let mut cur = doc;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, Some(i.trim_end_matches(']').parse::<usize>().unwrap())),
            None => (part, None),
        };
        if cur.get(key).is_none() {
            cur[key] = if index.is_some() {
                Value::Array(vec![Value::Object(Default::default())])
            } else {
                Value::Object(Default::default())
            };
        }
        cur = &mut cur[key];
        if let Some(i) = index {
            cur = &mut cur[i];
        }
    }
    *cur = v;
}

/// Every integer field of the schema has a minimum and a maximum, and mlk refuses exactly
/// what lies outside them, naming the field and the bound.
#[test]
fn the_schema_and_validation_agree_on_every_numeric_bound() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/profile.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut ints = Vec::new();
    integers(&schema, &schema, String::new(), String::new(), &mut ints);
    assert!(ints.len() >= 4, "{ints:?}");
    let tmp = tempfile::tempdir().unwrap();
    for (ptr, path, def) in ints {
        let min = def["minimum"]
            .as_u64()
            .unwrap_or_else(|| panic!("{ptr}: no minimum"));
        let max = def["maximum"]
            .as_u64()
            .unwrap_or_else(|| panic!("{ptr}: no maximum"));
        assert!(
            max < u64::from(u32::MAX),
            "{ptr}: maximum {max} is no real bound"
        );
        let mut probes = vec![(max + 1, false), (max, true), (min, true)];
        if min > 0 {
            probes.push((min - 1, false));
        }
        for (value, ok) in probes {
            let mut doc = full();
            set(&mut doc, &path, Value::from(value));
            let file = tmp.path().join("p.yaml");
            std::fs::write(&file, serde_yaml_ng::to_string(&doc).unwrap()).unwrap();
            let out = mlk()
                .args(["plan", "-p", file.to_str().unwrap()])
                .output()
                .unwrap();
            let err = text(&out.stderr);
            let named = err
                .lines()
                .any(|l| l.contains(&format!(": {path}: ")) && l.contains("out of range"));
            if ok {
                assert!(
                    !named,
                    "{path}={value} is within the schema's bounds: {err}"
                );
            } else {
                assert!(
                    named,
                    "{path}={value} is outside [{min}, {max}] but accepted: {err}"
                );
                let bound = if value > max { max } else { min };
                assert!(
                    err.contains(&bound.to_string()),
                    "{path}={value}: no bound in {err}"
                );
            }
        }
    }
}

#[test]
fn command_line_numbers_are_bounded() {
    for (flag, value) in [
        ("--retry-budget", "18446744073709551615"),
        ("--connect-timeout", "18446744073709551615"),
        ("--connect-timeout", "0"),
    ] {
        let out = mlk()
            .args(["up", "-p", "mono", "--provider", "ssh", flag, value])
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(
            err.contains(flag) && err.contains("1.."),
            "{flag} {value}: {err}"
        );
    }
}
