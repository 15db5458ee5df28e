//! schema/profile.schema.json accepts every profile mlk accepts and rejects unknown fields.
use super::common::{PROFILES, fixture, load, repo};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("schema/profile.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

fn yaml_to_json(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn good_sources() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = PROFILES
        .iter()
        .map(|p| {
            let path = repo().join(format!("profiles/{p}.yaml"));
            (p.to_string(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
    for e in std::fs::read_dir(fixture("profiles/good")).unwrap() {
        let path = e.unwrap().path();
        v.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    assert!(v.len() >= 4, "embedded profiles and good fixtures: {v:?}");
    v
}

#[test]
fn embedded_profiles_and_good_fixtures_match_the_schema() {
    let v = validator();
    for (name, text) in good_sources() {
        let errs = errors(&v, &yaml_to_json(&text));
        assert!(errs.is_empty(), "{name}: {errs:#?}");
    }
}

/// Every field serde writes for a fully resolved profile is in the schema: a field added to
/// src/profile/types.rs but not to the schema fails here (the schema denies extra properties).
#[test]
fn every_field_of_the_profile_type_is_in_the_schema() {
    let v = validator();
    let full = fixture("profiles/good/full.yaml");
    let p = load(full.to_str().unwrap(), None);
    // The fixture sets maxmemory (12288), so the serialized profile has every field.
    assert!(!p.stages.is_empty() && p.nodes[0].maxmemory == 12288);
    let doc = serde_json::to_value(&p).unwrap();
    let errs = errors(&v, &doc);
    assert!(errs.is_empty(), "{errs:#?}\n{doc:#}");
}

type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn the_schema_rejects_unknown_fields_bad_enums_and_missing_fields() {
    let v = validator();
    let base = yaml_to_json(&std::fs::read_to_string(fixture("profiles/good/full.yaml")).unwrap());
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "unknown top-level",
            Box::new(|d| d["colour"] = "red".into()),
        ),
        (
            "unknown in node",
            Box::new(|d| d["nodes"][0]["colour"] = "red".into()),
        ),
        (
            "unknown in stage",
            Box::new(|d| d["stages"][0]["when"] = "x".into()),
        ),
        (
            "unknown in tick versions",
            Box::new(|d| d["components"]["tick"]["versions"]["grafana"] = "1".into()),
        ),
        (
            "bad provider",
            Box::new(|d| d["provider"] = "vmware".into()),
        ),
        (
            "bad role",
            Box::new(|d| d["nodes"][0]["roles"][0] = "master".into()),
        ),
        ("bad kind", Box::new(|d| d["kind"] = "Cluster".into())),
        (
            "bad apiVersion",
            Box::new(|d| d["apiVersion"] = "mlk.io/v1".into()),
        ),
        (
            "cpus as string",
            Box::new(|d| d["nodes"][0]["cpus"] = "four".into()),
        ),
        (
            "bad ip",
            Box::new(|d| d["nodes"][0]["ip"] = "192.168.56.300".into()),
        ),
        (
            "xip.io",
            Box::new(|d| d["ingress"]["domain"] = "10.0.0.1.xip.io".into()),
        ),
        (
            "k8s 1.33",
            Box::new(|d| d["kubernetes"]["version"] = "v1.33.1-rancher1-1".into()),
        ),
        ("no nodes", Box::new(|d| d["nodes"] = Value::Array(vec![]))),
        (
            "missing name",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("name");
            }),
        ),
    ];
    for (what, mutate) in cases {
        let mut doc = base.clone();
        mutate(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "schema accepted: {what}");
    }
}

/// The embedded profiles name the schema for editors (yaml-language-server), by a path that exists.
#[test]
fn embedded_profiles_point_editors_at_the_schema() {
    for p in PROFILES {
        let text = std::fs::read_to_string(repo().join(format!("profiles/{p}.yaml"))).unwrap();
        let first = text.lines().next().unwrap();
        let rel = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| panic!("{p}: first line is `{first}`"));
        assert!(
            repo().join("profiles").join(rel).is_file(),
            "{p}: {rel} does not exist"
        );
    }
}
