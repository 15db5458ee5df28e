//! Bounds and exact forms of profile values: every number in a sane range (with the range in
//! the error), every version string in its field's exact form, and no control or invisible
//! character in any string (only newlines and tabs, in stage snippets). schema/profile.schema.json
//! states the same bounds and patterns; tests/reliability holds the two together.
use super::types::Profile;
use crate::text::{needs_escape, shown};
use regex::Regex;
use std::sync::OnceLock;

/// An inclusive range for one kind of number, with its unit for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    pub min: u64,
    pub max: u64,
    /// ` MiB`, ` seconds`, or empty.
    pub unit: &'static str,
}

/// vCPUs per node. VirtualBox allows up to 64 per VM; no lab node needs more.
pub const CPUS: Bound = Bound {
    min: 1,
    max: 64,
    unit: "",
};
/// Memory (and Hyper-V's maxmemory) per node: from what a guest boots with to 1 TiB.
pub const MEMORY_MIB: Bound = Bound {
    min: super::requirements::NODE_MIN_MIB as u64,
    max: 1024 * 1024,
    unit: " MiB",
};
/// A custom stage's timeout: one second to one day.
pub const TIMEOUT_SECS: Bound = Bound {
    min: 1,
    max: 86_400,
    unit: " seconds",
};
/// Nodes in one lab; also keeps every node on one /24.
pub const MAX_NODES: usize = 64;
/// Custom stages in one profile.
pub const MAX_STAGES: usize = 100;
/// Longest version string.
pub const MAX_VERSION_LEN: usize = 64;

/// The message for `v` outside `b`, or None when it is inside.
pub fn out_of_range(v: u64, b: &Bound) -> Option<String> {
    let (what, ok) = if v < b.min {
        ("too small", false)
    } else if v > b.max {
        ("too large", false)
    } else {
        ("", true)
    };
    (!ok).then(|| {
        format!(
            "{v}{u} is {what} (out of range: allowed at least {} and at most {}{u})",
            b.min,
            b.max,
            u = b.unit
        )
    })
}

/// Exact form of each kind of version string (anchored; the same text is the schema's pattern).
pub mod forms {
    /// RKE's kubernetes_version: v1.27 to v1.32 (RKE1 never shipped 1.33+), e.g. v1.32.5-rancher1-1.
    pub const KUBERNETES: &str = r"^v1\.(2[7-9]|3[0-2])\.[0-9]{1,3}-rancher[0-9]{1,3}-[0-9]{1,3}$";
    /// RKE2's release: v1.33 to v1.36 (Rancher 2.15 refuses 1.37, cert-manager 1.21 stops at
    /// 1.36; docs/rke2.md), e.g. v1.36.3+rke2r1.
    pub const KUBERNETES_RKE2: &str = r"^v1\.3[3-6]\.[0-9]{1,3}\+rke2r[0-9]{1,3}$";
    /// Either distribution's form: the schema's pattern for `kubernetes.version` (the loader
    /// then checks the form of the profile's distribution).
    pub const KUBERNETES_ANY: &str = r"^(v1\.(2[7-9]|3[0-2])\.[0-9]{1,3}-rancher[0-9]{1,3}-[0-9]{1,3}|v1\.3[3-6]\.[0-9]{1,3}\+rke2r[0-9]{1,3})$";
    /// A Helm chart version: SemVer 2 (Helm requires it), with the `v` some charts use.
    pub const CHART: &str = r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$";
    /// A kubeflow/manifests release tag, e.g. v1.11.0 or v1.10.0-rc.1, or since 2026 the
    /// calendar form, e.g. 26.03.
    pub const KUBEFLOW: &str = r"^(v[0-9]{1,4}\.[0-9]{1,4}\.[0-9]{1,4}(-rc\.[0-9]{1,3})?|[0-9]{2}\.[0-9]{2}(\.[0-9]{1,3})?(-rc\.[0-9]{1,3})?)$";
    /// A Vagrant box version or constraint: `202510.26.0`, `>= 4.3, < 5`, `~> 1.0`.
    pub const BOX_VERSION: &str = r"^(=|!=|>|<|>=|<=|~>)? ?[0-9]{1,10}(\.[0-9]{1,10}){0,3}(, ?(=|!=|>|<|>=|<=|~>)? ?[0-9]{1,10}(\.[0-9]{1,10}){0,3}){0,3}$";
    /// A Vagrant box name: `org/name` or a local name.
    pub const BOX_NAME: &str =
        r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(/[A-Za-z0-9][A-Za-z0-9._-]{0,63})?$";
}

fn re(pattern: &'static str) -> &'static Regex {
    static CACHE: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        [
            forms::KUBERNETES,
            forms::KUBERNETES_RKE2,
            forms::KUBERNETES_ANY,
            forms::CHART,
            forms::KUBEFLOW,
            forms::BOX_VERSION,
            forms::BOX_NAME,
        ]
        .into_iter()
        .map(|p| (p, Regex::new(p).expect("constant pattern")))
        .collect()
    });
    &all.iter()
        .find(|(p, _)| *p == pattern)
        .expect("a pattern of forms")
        .1
}

const K8S: &str = "is not an RKE1 Kubernetes version; allowed: v1.27 to v1.32 in RKE's form vX.Y.Z-rancherN-N, e.g. v1.32.5-rancher1-1 (RKE1 never shipped 1.33+)";
const K8S_RKE2: &str = "is not an RKE2 release for this lab; allowed: v1.33 to v1.36 in RKE2's form vX.Y.Z+rke2rN, e.g. v1.36.3+rke2r1 (Rancher 2.15 refuses 1.37)";
const CHART: &str = "is not a chart version; allowed: a SemVer version (Helm needs one), e.g. 1.2.3, v1.20.3 or 2.14.0-rc1";
const KUBEFLOW: &str = "is not a kubeflow/manifests release tag; allowed: vX.Y.Z, vX.Y.Z-rc.N or YY.MM, e.g. v1.11.0 or 26.03";
const BOX_VERSION: &str = "is not a Vagrant box version or constraint; allowed: numbers and dots, with an optional operator (= != > < >= <= ~>), up to 4 joined by commas, e.g. 202510.26.0 or >= 202510, < 202601";
const BOX_NAME: &str = "is not a Vagrant box name; allowed: NAME or ORG/NAME of letters, digits, '.', '_' and '-', e.g. bento/ubuntu-24.04";

/// Every version-like field: (field, value, pattern, what the error says).
fn versioned(p: &Profile) -> Vec<(&'static str, &str, &'static str, &'static str)> {
    let k = &p.components;
    let t = &k.tick.versions;
    let mut v = vec![
        match p.distribution() {
            crate::distribution::Distribution::Rke => (
                "kubernetes.version",
                p.kubernetes.version.as_str(),
                forms::KUBERNETES,
                K8S,
            ),
            crate::distribution::Distribution::Rke2 => (
                "kubernetes.version",
                p.kubernetes.version.as_str(),
                forms::KUBERNETES_RKE2,
                K8S_RKE2,
            ),
        },
        (
            "components.local-path.version",
            k.local_path.version.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.cert-manager.version",
            k.cert_manager.version.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.rancher.version",
            k.rancher.version.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.kubeflow.version",
            k.kubeflow.version.as_str(),
            forms::KUBEFLOW,
            KUBEFLOW,
        ),
        (
            "components.tick.versions.influxdb",
            t.influxdb.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.tick.versions.telegraf",
            t.telegraf.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.tick.versions.telegraf-ds",
            t.telegraf_ds.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.tick.versions.kapacitor",
            t.kapacitor.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "components.tick.versions.chronograf",
            t.chronograf.as_str(),
            forms::CHART,
            CHART,
        ),
        (
            "box.name",
            p.vm_box.name.as_str(),
            forms::BOX_NAME,
            BOX_NAME,
        ),
    ];
    if let Some(b) = &p.vm_box.version {
        v.push(("box.version", b, forms::BOX_VERSION, BOX_VERSION));
    }
    if let Some(b) = &p.vm_box.hyperv {
        v.push(("box.hyperv", b, forms::BOX_NAME, BOX_NAME));
    }
    if let Some(b) = &p.vm_box.hyperv_version {
        v.push(("box.hypervVersion", b, forms::BOX_VERSION, BOX_VERSION));
    }
    v
}

/// Every problem of this module: (field, message).
pub fn check(p: &Profile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, n) in p.nodes.iter().enumerate() {
        let f = |k: &str| format!("nodes[{i}].{k}");
        let mut num = |field: String, v: u64, b: &Bound| {
            if let Some(m) = out_of_range(v, b) {
                out.push((field, m));
            }
        };
        num(f("cpus"), n.cpus.into(), &CPUS);
        num(f("memory"), n.memory.into(), &MEMORY_MIB);
        num(f("maxmemory"), n.maxmemory.into(), &MEMORY_MIB);
    }
    for (i, s) in p.stages.iter().enumerate() {
        if let Some(t) = s.timeout
            && let Some(m) = out_of_range(t, &TIMEOUT_SECS)
        {
            out.push((format!("stages[{i}].timeout"), m));
        }
    }
    for (field, n, max) in [
        ("nodes", p.nodes.len(), MAX_NODES),
        ("stages", p.stages.len(), MAX_STAGES),
    ] {
        if n > max {
            out.push((field.into(), format!("{n} {field}; allowed: at most {max}")));
        }
    }
    for (field, v, pattern, what) in versioned(p) {
        // An empty box name has its own message in `validate`.
        if (v.len() > MAX_VERSION_LEN || !re(pattern).is_match(v))
            && !(field == "box.name" && v.trim().is_empty())
        {
            out.push((field.into(), format!("`{}` {what}", shown(v))));
        }
    }
    // Strings reach scripts, the Vagrantfile and the terminal: no control or invisible
    // characters anywhere, except newlines and tabs in the shell snippets of stages.
    if let Ok(doc) = serde_json::to_value(p) {
        control_chars(&doc, String::new(), &mut out);
    }
    out
}

fn control_chars(v: &serde_json::Value, path: String, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            let snippet =
                path.starts_with("stages[") && (path.ends_with(".run") || path.ends_with(".check"));
            if let Some(c) = s
                .chars()
                .find(|&c| needs_escape(c) && !(snippet && (c == '\n' || c == '\t')))
            {
                out.push((
                    path,
                    format!(
                        "`{}` contains the control or invisible character U+{:04X}; allowed: printable text{}",
                        shown(s),
                        u32::from(c),
                        if snippet { ", newlines and tabs" } else { "" }
                    ),
                ));
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                control_chars(x, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                control_chars(x, p, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_messages_name_both_ends() {
        assert_eq!(out_of_range(64, &CPUS), None);
        let m = out_of_range(65, &CPUS).unwrap();
        assert!(m.contains("too large") && m.contains("at most 64"), "{m}");
        let m = out_of_range(256, &MEMORY_MIB).unwrap();
        assert!(
            m.contains("256 MiB is too small") && m.contains("at least 512"),
            "{m}"
        );
    }

    #[test]
    fn forms_accept_the_lock_tables_versions() {
        let lock = crate::lockfile::get();
        assert!(re(forms::KUBERNETES).is_match(&lock.kubernetes));
        assert!(re(forms::KUBEFLOW).is_match(&lock.kubeflow.version));
        let rke2 = crate::lockfile::of(crate::distribution::Distribution::Rke2);
        assert!(re(forms::KUBERNETES_RKE2).is_match(&rke2.kubernetes));
        assert!(re(forms::KUBEFLOW).is_match(&rke2.kubeflow.version));
        assert!(!re(forms::KUBERNETES_RKE2).is_match("v1.37.1+rke2r1"));
        assert!(re(forms::KUBERNETES_ANY).is_match(&lock.kubernetes));
        assert!(re(forms::KUBERNETES_ANY).is_match(&rke2.kubernetes));
        for c in [
            "local-path-provisioner",
            "cert-manager",
            "rancher",
            "influxdb",
            "telegraf",
            "telegraf-ds",
            "kapacitor",
            "chronograf",
        ] {
            assert!(re(forms::CHART).is_match(&lock.chart(c).version), "{c}");
        }
        for ok in ["202510.26.0", ">= 4.3, < 5", "~> 1.0", "1"] {
            assert!(re(forms::BOX_VERSION).is_match(ok), "{ok}");
        }
        for bad in ["1.0 $(id)", "latest", "1.0\n", ""] {
            assert!(!re(forms::BOX_VERSION).is_match(bad), "{bad}");
        }
    }
}
