//! Property test of the YAML path → line index that error messages use: for any nested
//! document, the line recorded for `a.b[2].c` is the line where key `c` is written.
use proptest::prelude::*;
use serde_yaml_ng::{Mapping, Value};

fn key() -> impl Strategy<Value = String> {
    "[a-z]{1,6}"
}

fn doc() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i32>().prop_map(|i| Value::Number(i.into())),
        "[a-z :#'\"-]{0,12}".prop_map(Value::String),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Sequence),
            prop::collection::btree_map(key(), inner, 1..5).prop_map(|m| {
                Value::Mapping(
                    m.into_iter()
                        .map(|(k, v)| (Value::String(k), v))
                        .collect::<Mapping>(),
                )
            }),
        ]
    })
}

/// Every (path, key) of the mappings in `v`.
fn key_paths(v: &Value, base: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let k = k.as_str().unwrap();
                let p = if base.is_empty() {
                    k.to_string()
                } else {
                    format!("{base}.{k}")
                };
                out.push((p.clone(), k.to_string()));
                key_paths(child, &p, out);
            }
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter().enumerate() {
                key_paths(child, &format!("{base}[{i}]"), out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_key_path_maps_to_the_line_of_its_key(top in prop::collection::btree_map(key(), doc(), 1..5)) {
        let v = Value::Mapping(top.into_iter().map(|(k, v)| (Value::String(k), v)).collect());
        let text = serde_yaml_ng::to_string(&v).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let index = mlk::profile::lines::index(&text);
        let mut paths = Vec::new();
        key_paths(&v, "", &mut paths);
        for (path, k) in paths {
            let n = *index.get(&path).unwrap_or_else(|| panic!("no line for {path} in\n{text}"));
            let line = lines[n - 1].trim_start().trim_start_matches("- ");
            prop_assert!(line.starts_with(&format!("{k}:")), "{} -> line {} `{}`\n{}", path, n, line, text);
        }
    }
}
