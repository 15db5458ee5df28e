//! Every rendered YAML file parses; every rendered script passes `bash -n` and shellcheck.
use super::common::{PROFILES, have, load, render};
use mlk::profile::Hypervisor;
use std::collections::BTreeMap;
use std::process::Command;

/// Every distinct rendered file across both profiles, all providers and the full fixture.
fn all_files() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in PROFILES {
        for prov in Hypervisor::ALL {
            for (path, text) in render(p, prov) {
                out.insert(format!("{p}-{}/{path}", prov.as_str()), text);
            }
            // RKE2's files too: its config.yaml, HelmChartConfig, registries.yaml, rke2-up.sh.
            let q = super::common::load_with(p, Some(prov), mlk::distribution::Distribution::Rke2);
            for (path, text) in mlk::render::render_all(&q).unwrap() {
                out.insert(format!("rke2-{p}-{}/{path}", prov.as_str()), text);
            }
        }
    }
    let full = super::common::fixture("profiles/good/full.yaml");
    for (path, text) in mlk::render::render_all(&load(full.to_str().unwrap(), None)).unwrap() {
        out.insert(format!("full/{path}"), text);
    }
    out
}

#[test]
fn every_rendered_yaml_file_parses() {
    let mut n = 0;
    for (path, text) in all_files() {
        if path.ends_with(".yaml") || path.ends_with(".yml") {
            // One document, or several (kubeflow/certificate.yaml of a 26.03 overlay), each a
            // mapping.
            for doc in serde_yaml_ng::Deserializer::from_str(&text) {
                let v = <serde_yaml_ng::Value as serde::Deserialize>::deserialize(doc)
                    .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{text}"));
                assert!(v.is_mapping(), "{path} is not a mapping");
            }
            n += 1;
        }
    }
    assert!(n >= 2 * 3 * 10, "only {n} YAML files rendered");
}

fn scripts() -> Vec<(String, String)> {
    let mut seen = std::collections::HashSet::new();
    all_files()
        .into_iter()
        .filter(|(p, t)| p.ends_with(".sh") && seen.insert(t.clone()))
        .collect()
}

#[test]
fn every_rendered_script_passes_bash_n() {
    let scripts = scripts();
    assert!(scripts.len() >= 8);
    for (path, text) in scripts {
        assert!(
            text.starts_with("#!/usr/bin/env bash\n"),
            "{path} has no bash shebang"
        );
        let out = Command::new("bash")
            .args(["-n", "-c", &text])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_rendered_script_passes_shellcheck() {
    if !have("shellcheck") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (i, (path, text)) in scripts().into_iter().enumerate() {
        let f = dir.path().join(format!("{i}-{}", path.replace('/', "_")));
        std::fs::write(&f, text).unwrap();
        paths.push(f);
    }
    let out = Command::new("shellcheck")
        .args(["--shell=bash", "--severity=info"])
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "shellcheck findings:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Negative control: the same check catches a real problem.
#[test]
fn shellcheck_and_bash_n_reject_broken_scripts() {
    let bad = "#!/usr/bin/env bash\nif [ -f x ]; then\n  echo $1\n";
    let out = Command::new("bash")
        .args(["-n", "-c", bad])
        .output()
        .unwrap();
    assert!(!out.status.success(), "bash -n accepted an unclosed if");
    if !have("shellcheck") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.sh");
    std::fs::write(&f, "#!/usr/bin/env bash\necho $1\n").unwrap();
    let out = Command::new("shellcheck").arg(&f).output().unwrap();
    assert!(!out.status.success(), "shellcheck accepted an unquoted $1");
}
