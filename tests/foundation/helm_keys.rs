//! Every Helm values key mlk sets exists in that chart's default values, read from the real
//! chart at the pinned version (tests/fixtures/upstream/charts/<chart>-<version>), and
//! cert-manager's and Rancher's values pass the charts' own values.schema.json.
use super::common::{PROFILES, fixture, load, render};
use mlk::profile::Hypervisor;
use serde_yaml_ng::Value;

/// Keys the chart templates read that exist in values.yaml only as comments.
const COMMENTED_KEYS: &[(&str, &str, &str)] = &[
    (
        "rancher",
        "hostname",
        "read by templates/ingress.yaml; values.yaml has `# hostname: rancher.my.org`",
    ),
    (
        "kapacitor",
        "influxURL",
        "templates/deployment.yaml renders only when set; a comment in values.yaml",
    ),
    (
        "kapacitor",
        "existingSecret",
        "auth Secret (keys influxdb-user/-password); a comment in values.yaml",
    ),
    (
        "influxdb",
        "setDefaultUser.user.existingSecret",
        "a comment in values.yaml; read by the StatefulSet template",
    ),
    (
        "chronograf",
        "influxdb.existingSecret",
        "values.yaml has `influxdb: {}` with this key as a comment",
    ),
    (
        "chronograf",
        "persistence.storageClass",
        "commented `# storageClass: \"-\"` in values.yaml",
    ),
    (
        "influxdb",
        "persistence.storageClass",
        "commented `# storageClass: \"-\"` in values.yaml",
    ),
    (
        "kapacitor",
        "persistence.storageClass",
        "commented `# storageClass: \"-\"` in values.yaml",
    ),
    (
        "telegraf-ds",
        "hostNetwork",
        "`## hostNetwork: true` in values.yaml; templates/daemonset.yaml writes it",
    ),
    (
        "telegraf-ds",
        "dnsPolicy",
        "`## dnsPolicy: ClusterFirstWithHostNet` in values.yaml; templates/daemonset.yaml",
    ),
];

/// Maps whose keys are free: the chart copies them through (`*` is one path segment).
const FREE_MAPS: &[(&str, &str, &str)] = &[
    (
        "chronograf",
        "env",
        "every key becomes a container environment variable",
    ),
    (
        "influxdb",
        "config.*",
        "each config section is written into influxdb.conf as is",
    ),
    (
        "*",
        "resources",
        "a Kubernetes ResourceRequirements: the charts write it into the container as is",
    ),
    (
        "*",
        "*.resources",
        "a Kubernetes ResourceRequirements (cert-manager's webhook, cainjector)",
    ),
    (
        "telegraf-ds",
        "podSecurityContext",
        "a Kubernetes PodSecurityContext: templates/daemonset.yaml writes it as the pod's securityContext",
    ),
];

/// Telegraf plugin names mlk may use, beyond those in the chart's default lists.
const TELEGRAF_PLUGINS: &[&str] = &[
    "cpu",
    "disk",
    "diskio",
    "docker",
    "influxdb",
    "kernel",
    "kubernetes",
    "mem",
    "net",
    "processes",
    "statsd",
    "swap",
    "system",
];

/// Lists of a Kubernetes type: their items may use that type's fields, not only the defaults'.
const K8S_LISTS: &[(&str, &[&str])] = &[
    ("env", &["name", "value", "valueFrom"]),
    (
        "tolerations",
        &["key", "operator", "value", "effect", "tolerationSeconds"],
    ),
];

fn matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), path.split('.').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| *a == "*" || a == b)
}

struct Check<'a> {
    chart: &'a str,
    problems: Vec<String>,
}

impl Check<'_> {
    fn walk(&mut self, path: &str, set: &Value, default: Option<&Value>) {
        let join = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        let commented = COMMENTED_KEYS
            .iter()
            .any(|(c, p, _)| *c == self.chart && *p == path);
        let Some(default) = default else {
            if !commented && !path.is_empty() {
                self.problems.push(format!(
                    "{}: `{path}` is not in the chart's values.yaml",
                    self.chart
                ));
            }
            return;
        };
        // `key: null` (or `~`) declares the key without a type, e.g. chronograf's ingress.className.
        if default.is_null() {
            return;
        }
        if FREE_MAPS
            .iter()
            .any(|(c, p, _)| (*c == self.chart || *c == "*") && matches(p, path))
        {
            return;
        }
        match (set, default) {
            (Value::Mapping(s), Value::Mapping(d)) => {
                for (k, v) in s {
                    let k = k.as_str().expect("string keys");
                    self.walk(&join(k), v, d.get(k));
                }
            }
            (Value::Sequence(s), Value::Sequence(d)) => self.list(path, s, d),
            (Value::Mapping(_) | Value::Sequence(_), _)
            | (_, Value::Mapping(_) | Value::Sequence(_)) => {
                self.problems.push(format!(
                    "{}: `{path}` has another shape than the default {default:?}",
                    self.chart
                ));
            }
            (s, d) if std::mem::discriminant(s) != std::mem::discriminant(d) => {
                self.problems.push(format!(
                    "{}: `{path}` is {s:?}, the default is {d:?}",
                    self.chart
                ));
            }
            _ => {}
        }
    }

    /// Lists compare by the keys of their items: telegraf's plugin lists hold one-key maps
    /// named after a plugin; other lists (env, nodePathMap) use the keys the default items use.
    fn list(&mut self, path: &str, set: &[Value], default: &[Value]) {
        let default_keys: Vec<&str> = default
            .iter()
            .filter_map(Value::as_mapping)
            .flat_map(|m| m.keys().filter_map(Value::as_str))
            .collect();
        let plugin_list = path.starts_with("config.") && self.chart.starts_with("telegraf");
        for item in set {
            let Some(m) = item.as_mapping() else {
                self.problems.push(format!(
                    "{}: `{path}` item {item:?} is not a map",
                    self.chart
                ));
                continue;
            };
            if plugin_list && m.len() != 1 {
                self.problems.push(format!(
                    "{}: `{path}` item has {} keys; telegraf wants one plugin per item",
                    self.chart,
                    m.len()
                ));
            }
            let k8s = K8S_LISTS
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, keys)| *keys);
            for k in m.keys().filter_map(Value::as_str) {
                let known = match k8s {
                    Some(keys) => keys.contains(&k),
                    None => {
                        default_keys.contains(&k)
                            || plugin_list && TELEGRAF_PLUGINS.contains(&k)
                            || default.is_empty()
                    }
                };
                if !known {
                    self.problems.push(format!(
                        "{}: `{path}[].{k}` is not a key the default items use ({default_keys:?})",
                        self.chart
                    ));
                }
            }
        }
    }
}

/// The vendored chart folder at the version versions.lock.yaml pins.
fn chart_file(chart: &str, file: &str) -> std::path::PathBuf {
    let version = &mlk::lockfile::get().chart(chart).version;
    fixture(&format!(
        "upstream/charts/{chart}-{}/{file}",
        version.trim_start_matches('v')
    ))
}

fn defaults(chart: &str) -> Value {
    let text = std::fs::read_to_string(chart_file(chart, "values.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn problems(chart: &str, values: &str) -> Vec<String> {
    let set: Value = serde_yaml_ng::from_str(values).unwrap();
    let mut c = Check {
        chart,
        problems: Vec::new(),
    };
    c.walk("", &set, Some(&defaults(chart)));
    c.problems
}

#[test]
fn every_values_key_exists_in_the_charts_defaults() {
    let mut checked = 0;
    for p in PROFILES {
        let plan = mlk::plan::build(&load(p, None), p);
        let files = render(p, Hypervisor::Virtualbox);
        for r in &plan.helm_releases {
            let chart = r.chart.split_once('/').unwrap().1;
            let found = problems(chart, &files[&r.values]);
            assert!(found.is_empty(), "{p}: {found:#?}");
            checked += 1;
        }
    }
    // Eight releases in every embedded profile (mono-lite leaves out Kubeflow, no chart).
    assert_eq!(checked, 8 * PROFILES.len());
}

/// Negative control: typos and wrong shapes are caught.
#[test]
fn misspelled_or_misshapen_keys_are_caught() {
    assert!(!problems("cert-manager", "crds:\n  enable: true\n").is_empty());
    assert!(!problems("rancher", "ingress:\n  ingressClass: nginx\n").is_empty());
    assert!(!problems("telegraf-ds", "config:\n  inputs:\n    - cpuu: {}\n").is_empty());
    assert!(!problems("telegraf", "config:\n  outputs:\n    influxdb: {}\n").is_empty());
    assert!(!problems("chronograf", "ingress:\n  ingressClassName: nginx\n").is_empty());
    assert!(!problems("kapacitor", "influxUrl: http://x\n").is_empty());
    assert!(problems("kapacitor", "influxURL: http://x\n").is_empty());
    assert!(!problems("telegraf", "env:\n  - name: A\n    valueFrm: {}\n").is_empty());
    assert!(!problems("telegraf-ds", "tolerations:\n  - operater: Exists\n").is_empty());
}

fn schema_errors(chart: &str, values: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(chart_file(chart, "values.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    // Helm validates the merged values: the chart defaults with mlk's file on top.
    let mut merged = serde_json::to_value(defaults(chart)).unwrap();
    merge(&mut merged, serde_json::to_value(values).unwrap());
    v.iter_errors(&merged)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn merge(base: &mut serde_json::Value, top: serde_json::Value) {
    match (base, top) {
        (serde_json::Value::Object(b), serde_json::Value::Object(t)) => {
            for (k, v) in t {
                merge(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, t) => *b = t,
    }
}

#[test]
fn cert_manager_and_rancher_values_pass_the_chart_schemas() {
    for p in PROFILES {
        let files = render(p, Hypervisor::Virtualbox);
        for chart in ["cert-manager", "rancher"] {
            let values: Value =
                serde_yaml_ng::from_str(&files[&format!("values/{chart}.yaml")]).unwrap();
            let errs = schema_errors(chart, &values);
            assert!(errs.is_empty(), "{p} {chart}: {errs:#?}");
        }
    }
    let typo: Value = serde_yaml_ng::from_str("crds:\n  enable: true\n").unwrap();
    assert!(
        !schema_errors("cert-manager", &typo).is_empty(),
        "schema accepted crds.enable"
    );
}
