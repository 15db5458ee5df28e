//! Every rendered Helm values file goes through a real `helm template` (in `unshare -n`, so
//! helm can make no network lookup) against a local test chart made per release from the
//! chart's own Chart.yaml, values.yaml and values.schema.json (tests/fixtures/charts-data).
//!
//! What that proves: helm accepts the file, the charts that ship a schema (cert-manager,
//! Rancher) validate it, and helm's own merge with the chart defaults gives the values checked
//! below (keys exist in the chart, URLs and Secret names agree across releases). What it does
//! not prove: that the real chart templates render (they are not downloadable here); the
//! charts' templates were checked by hand, see docs/development.md.
use crate::tools;
use mlk::plan::releases::HelmRelease;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/charts-data");

/// helm, if it and `unshare -n` are usable here (root); otherwise None after saying why.
fn helm() -> Option<PathBuf> {
    let h = tools::find("helm")?;
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let msg = "`unshare -n` does not work here (needs root)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
        return None;
    }
    Some(h)
}

/// A chart with the real chart's metadata, defaults and schema, whose only template dumps
/// the merged values, so the test sees exactly what the real templates would read.
fn test_chart(dir: &Path, chart: &str) -> PathBuf {
    let src = Path::new(FIXTURES).join(chart);
    let dst = dir.join(chart);
    std::fs::create_dir_all(dst.join("templates")).unwrap();
    for f in ["Chart.yaml", "values.yaml", "values.schema.json"] {
        if src.join(f).exists() {
            std::fs::copy(src.join(f), dst.join(f)).unwrap();
        }
    }
    std::fs::write(
        dst.join("templates/values.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merged-values\ndata:\n  values.json: {{ toJson .Values | quote }}\n",
    )
    .unwrap();
    dst
}

/// `helm template` of `values` on the test chart; Ok(merged values) or Err(helm's stderr).
fn template(helm: &Path, chart_dir: &Path, r: &HelmRelease, values: &str) -> Result<Value, String> {
    let vf = chart_dir.with_extension("values.yaml");
    std::fs::write(&vf, values).unwrap();
    let out = Command::new("unshare")
        .arg("-n")
        .arg(helm)
        .args(["template", &r.release])
        .arg(chart_dir)
        .args(["--namespace", &r.namespace, "-f"])
        .arg(&vf)
        .env("HELM_CACHE_HOME", chart_dir.with_extension("cache"))
        .env("HELM_CONFIG_HOME", chart_dir.with_extension("config"))
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let doc: Value = serde_yaml_ng::from_slice(&out.stdout).unwrap();
    let json = doc["data"]["values.json"].as_str().unwrap().to_string();
    Ok(serde_yaml_ng::from_str(&json).unwrap())
}

fn chart_name(r: &HelmRelease) -> &str {
    r.chart.split_once('/').unwrap().1
}

/// Leaf paths of a values file, as key lists (keys may contain dots: `init.iql`); a list
/// counts as a leaf (its items are chart-specific lists).
fn paths(v: &Value, prefix: &[String], out: &mut Vec<Vec<String>>) {
    match v {
        Value::Mapping(m) if !m.is_empty() => {
            for (k, v) in m {
                let mut p = prefix.to_vec();
                p.push(k.as_str().unwrap().to_string());
                paths(v, &p, out);
            }
        }
        _ => out.push(prefix.to_vec()),
    }
}

fn get_keys<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k.as_str()))
}

fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A key the chart reads is in its values.yaml, as a key or as a documented comment `# key:`
/// under a parent that exists (several charts document optional keys only as comments).
fn documented(chart: &str, defaults: &Value, defaults_text: &str, path: &[String]) -> bool {
    if get_keys(defaults, path).is_some() {
        return true;
    }
    // Free maps: the chart template ranges over every key (read in the chart sources):
    // influxdb-4.12.5 templates/configmap.yaml writes each `config.<section>` map into
    // influxdb.conf; chronograf-1.2.6 templates/deployment.yaml turns `env` into container env.
    let free = match chart {
        "influxdb" if path.len() == 3 && path[0] == "config" => Some(&path[..2]),
        "chronograf" if path.len() == 2 && path[0] == "env" => Some(&path[..1]),
        _ => None,
    };
    if free.is_some_and(|p| get_keys(defaults, p).is_some_and(Value::is_mapping)) {
        return true;
    }
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let parent_ok = parent.is_empty()
        || get_keys(defaults, parent).is_some()
        || documented(chart, defaults, defaults_text, parent);
    parent_ok
        && defaults_text.lines().any(|l| {
            l.trim_start()
                .strip_prefix('#')
                .is_some_and(|c| c.trim_start().starts_with(&format!("{last}:")))
        })
}

struct Rendered {
    merged: BTreeMap<String, Value>,
    releases: Vec<HelmRelease>,
    files: mlk::render::Rendered,
    profile: mlk::profile::Profile,
}

fn render_and_template(profile: &str) -> Option<Rendered> {
    let helm = helm()?;
    let p = crate::secrets_host::profile(profile);
    let files = mlk::render::render_all(&p).unwrap();
    let plan = mlk::plan::build(&p, "");
    let tmp = tempfile::tempdir().unwrap();
    let mut merged = BTreeMap::new();
    for r in &plan.helm_releases {
        let chart = chart_name(r);
        let dir = test_chart(tmp.path(), chart);
        let values = &files[&r.values];
        let m = template(&helm, &dir, r, values)
            .unwrap_or_else(|e| panic!("{profile}: helm rejected {}: {e}", r.values));
        // Every key mlk sets is one the chart knows.
        let ours: Value = serde_yaml_ng::from_str(values).unwrap();
        let text =
            std::fs::read_to_string(Path::new(FIXTURES).join(chart).join("values.yaml")).unwrap();
        let defaults: Value = serde_yaml_ng::from_str(&text).unwrap();
        let mut ps = Vec::new();
        paths(&ours, &[], &mut ps);
        for path in ps {
            let shown = path.join(".");
            assert!(
                documented(chart, &defaults, &text, &path),
                "{profile}: {} sets `{shown}`, unknown to chart {chart}",
                r.values
            );
            assert_eq!(
                get_keys(&m, &path),
                get_keys(&ours, &path),
                "{profile}: helm did not keep `{shown}` of {}",
                r.values
            );
        }
        merged.insert(r.release.clone(), m);
    }
    Some(Rendered {
        merged,
        releases: plan.helm_releases,
        files,
        profile: p,
    })
}

fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    get(v, path)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {path}"))
}

fn check_profile(name: &str) {
    let Some(r) = render_and_template(name) else {
        return;
    };
    let ns = |rel: &str| {
        r.releases
            .iter()
            .find(|x| x.release == rel)
            .unwrap()
            .namespace
            .clone()
    };
    let m = &r.merged;
    // Service names follow each chart's naming rule (charts-data README): influxdb keeps a
    // release name containing "influxdb"; kapacitor and chronograf always append their name.
    let svc = |release: &str, chart: &str, always_append: bool| {
        if !always_append && release.contains(chart) {
            release.to_string()
        } else {
            format!("{release}-{chart}")
        }
    };
    let influx_url = format!(
        "http://{}.{}:8086",
        svc("influxdb", "influxdb", false),
        ns("influxdb")
    );
    let kapacitor_url = format!(
        "http://{}.{}:9092",
        svc("kapacitor", "kapacitor", true),
        ns("kapacitor")
    );
    for t in ["telegraf", "telegraf-ds"] {
        let outputs = get(&m[t], "config.outputs")
            .unwrap()
            .as_sequence()
            .expect("config.outputs must be a list of one-key maps");
        let urls: Vec<&str> = outputs
            .iter()
            .filter_map(|o| o.get("influxdb"))
            .flat_map(|o| {
                o["urls"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|u| u.as_str().unwrap())
            })
            .collect();
        assert_eq!(
            urls,
            vec![influx_url.as_str()],
            "{name}: {t} writes elsewhere"
        );
        // Credentials come from the shared Secret through env, never inline.
        let env = get(&m[t], "env").unwrap().as_sequence().unwrap();
        for (var, key) in [
            ("INFLUX_USER", "influxdb-user"),
            ("INFLUX_PASSWORD", "influxdb-password"),
        ] {
            let e = env
                .iter()
                .find(|e| e["name"].as_str() == Some(var))
                .unwrap();
            assert_eq!(s(e, "valueFrom.secretKeyRef.name"), "influxdb-auth");
            assert_eq!(s(e, "valueFrom.secretKeyRef.key"), key);
        }
    }
    let ds_env: Vec<&str> = get(&m["telegraf-ds"], "env")
        .unwrap()
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    for keep in [
        "HOSTNAME",
        "HOSTIP",
        "HOST_PROC",
        "HOST_SYS",
        "HOST_MOUNT_PREFIX",
    ] {
        assert!(
            ds_env.contains(&keep),
            "{name}: telegraf-ds lost the chart's default env {keep}"
        );
    }
    assert_eq!(s(&m["kapacitor"], "influxURL"), influx_url);
    assert_eq!(s(&m["chronograf"], "env.INFLUXDB_URL"), influx_url);
    assert_eq!(s(&m["chronograf"], "env.KAPACITOR_URL"), kapacitor_url);
    for (rel, path) in [
        ("influxdb", "setDefaultUser.user.existingSecret"),
        ("kapacitor", "existingSecret"),
        ("chronograf", "influxdb.existingSecret"),
    ] {
        assert_eq!(s(&m[rel], path), "influxdb-auth", "{name}: {rel} {path}");
    }
    assert_eq!(
        get(&m["influxdb"], "config.http.auth-enabled"),
        Some(&Value::Bool(true))
    );
    // The stage script creates exactly that Secret with exactly those keys.
    let tick = &r.files["stages/tick.sh"];
    assert!(
        tick.contains("create secret generic influxdb-auth")
            && tick.contains("influxdb-user=admin")
            && tick.contains("influxdb-password=\"$PASSWORD_FILE\"")
    );
    // Ingress hosts are the profile's, on RKE's nginx class.
    let hosts = &r.profile.ingress;
    assert_eq!(
        s(&m["chronograf"], "ingress.hostname"),
        hosts.chronograf.as_deref().unwrap()
    );
    assert_eq!(s(&m["chronograf"], "ingress.className"), "nginx");
    assert_eq!(
        get(&m["chronograf"], "ingress.enabled"),
        Some(&Value::Bool(true))
    );
    assert_eq!(
        s(&m["rancher"], "hostname"),
        hosts.rancher.as_deref().unwrap()
    );
    assert_eq!(s(&m["rancher"], "ingress.ingressClassName"), "nginx");
    assert_eq!(
        s(&m["rancher"], "bootstrapPassword"),
        "",
        "{name}: a password reached a rendered file"
    );
    // PVCs land on the class local-path-provisioner makes the default.
    let sc = s(&m["local-path-provisioner"], "storageClass.name");
    assert_eq!(
        get(&m["local-path-provisioner"], "storageClass.defaultClass"),
        Some(&Value::Bool(true))
    );
    for rel in ["influxdb", "kapacitor", "chronograf"] {
        assert_eq!(s(&m[rel], "persistence.storageClass"), sc, "{name}: {rel}");
    }
    assert_eq!(
        get(&m["cert-manager"], "crds.enabled"),
        Some(&Value::Bool(true))
    );
}

#[test]
fn mono_values_pass_helm_template_and_agree_across_releases() {
    check_profile("mono");
}

#[test]
fn distributed_values_pass_helm_template_and_agree_across_releases() {
    check_profile("distributed");
}

/// The harness is not vacuous: helm does reject what the chart's schema forbids.
#[test]
fn helm_rejects_a_misspelled_cert_manager_key_through_the_same_harness() {
    let Some(helm) = helm() else { return };
    let p = crate::secrets_host::profile("mono");
    let plan = mlk::plan::build(&p, "");
    let r = plan
        .helm_releases
        .iter()
        .find(|r| r.release == "cert-manager")
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = test_chart(tmp.path(), "cert-manager");
    let err = template(&helm, &dir, r, "crds:\n  enable: true\n").unwrap_err();
    assert!(err.contains("enable"), "{err}");
    let rancher = plan
        .helm_releases
        .iter()
        .find(|r| r.release == "rancher")
        .unwrap();
    let dir = test_chart(tmp.path(), "rancher");
    let err = template(&helm, &dir, rancher, "ingress:\n  servicePort: 8443\n").unwrap_err();
    assert!(err.contains("servicePort"), "{err}");
}
