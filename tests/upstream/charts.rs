//! `helm template` of the real vendored charts (tests/fixtures/upstream/charts/<chart>-<version>,
//! the version versions.lock.yaml or the profile pins) with mlk's rendered values, in
//! `unshare -n` so helm can look nothing up, for the profile's Kubernetes version. Renders are
//! cached for the test session: every test that needs a profile's releases shares them.
use crate::tools;
use mlk::manifest::{self, Object};
use mlk::plan::releases::HelmRelease;
use mlk::profile::Profile;
use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

pub const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/upstream");

/// The vendored folder of `chart` at `version` (folder names drop a leading `v`).
pub fn chart_dir(chart: &str, version: &str) -> PathBuf {
    Path::new(ROOT)
        .join("charts")
        .join(format!("{chart}-{}", version.trim_start_matches('v')))
}

/// The chart name of a release (`jetstack/cert-manager` → `cert-manager`).
pub fn chart_name(r: &HelmRelease) -> &str {
    r.chart.split_once('/').map_or(r.chart.as_str(), |(_, n)| n)
}

/// The vendored chart of a release, or why there is none.
pub fn vendored(r: &HelmRelease) -> Result<PathBuf, String> {
    let dir = chart_dir(chart_name(r), &r.version);
    if dir.join("Chart.yaml").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "release {} pins chart {} {}, but {} is not vendored (tests/fixtures/upstream/README.md says how to add it)",
            r.release,
            chart_name(r),
            r.version,
            dir.display()
        ))
    }
}

/// helm, if it and `unshare -n` are usable here (root); otherwise None after saying why.
/// In CI both must work.
pub fn helm() -> Option<PathBuf> {
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

/// `1.32.5`: the profile's Kubernetes version as `--kube-version` takes it.
pub fn kube_version(p: &Profile) -> String {
    let v = p.kubernetes.version.as_str();
    manifest::apis::semver_of(v).unwrap_or_else(|| panic!("kubernetes version {v} has no x.y.z"))
}

/// `helm template` of one release; Ok(manifest text) or Err(helm's stderr).
pub fn template(
    helm: &Path,
    r: &HelmRelease,
    values: &str,
    kube: &str,
    api_versions: &[String],
) -> Result<String, String> {
    let chart = vendored(r)?;
    let tmp = tempfile::tempdir().unwrap();
    let vf = tmp.path().join("values.yaml");
    std::fs::write(&vf, values).unwrap();
    let mut c = Command::new("unshare");
    c.arg("-n")
        .arg(helm)
        .args(["template", &r.release])
        .arg(&chart)
        .args(["--namespace", &r.namespace, "--kube-version", kube, "-f"])
        .arg(&vf)
        .env("HELM_CACHE_HOME", tmp.path().join("cache"))
        .env("HELM_CONFIG_HOME", tmp.path().join("config"))
        .env("HELM_DATA_HOME", tmp.path().join("data"));
    for a in api_versions {
        c.args(["--api-versions", a]);
    }
    let out = c.output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8(out.stdout).unwrap())
}

/// One release rendered by its real chart.
#[derive(Debug)]
pub struct Release {
    pub release: HelmRelease,
    /// Its objects, each with the release namespace filled in where helm leaves it to the
    /// install (`helm template` prints namespaced objects without one).
    pub objects: Vec<Value>,
}

/// The API versions custom resource definitions in `objects` add (what helm's
/// `.Capabilities.APIVersions.Has` sees once an earlier release installed them).
fn crd_api_versions(objects: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for o in objects
        .iter()
        .filter(|o| o["kind"] == "CustomResourceDefinition")
    {
        let group = o["spec"]["group"].as_str().unwrap_or("");
        let kind = o["spec"]["names"]["kind"].as_str().unwrap_or("");
        for v in o["spec"]["versions"].as_sequence().into_iter().flatten() {
            if v["served"].as_bool() == Some(true) {
                let gv = format!("{group}/{}", v["name"].as_str().unwrap_or(""));
                out.push(format!("{gv}/{kind}"));
                out.push(gv);
            }
        }
    }
    out
}

/// Puts the release namespace on namespaced objects that have none.
fn fill_namespace(objects: &mut [Value], ns: &str, cluster_scoped_crs: &[(String, String)]) {
    for o in objects {
        let av = o["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = o["kind"].as_str().unwrap_or("").to_string();
        let cluster = if manifest::is_builtin(&av) {
            manifest::CLUSTER_SCOPED_BUILTINS.contains(&kind.as_str())
        } else {
            let g = manifest::group_of(&av).to_string();
            cluster_scoped_crs
                .iter()
                .any(|(cg, ck)| *cg == g && *ck == kind)
        };
        if !cluster && o["metadata"]["namespace"].is_null() {
            o["metadata"]["namespace"] = Value::String(ns.to_string());
        }
    }
}

/// Of everything the vendored charts ask `.Capabilities.APIVersions.Has` about, what the API
/// server of Kubernetes 1.32 serves. On a cluster helm reads this from discovery, which lists
/// every group/version/Kind; `helm template` only knows its own scheme's group/versions (not
/// `networking.k8s.io/v1/Ingress`, so chronograf-1.2.6 would fall back to the removed
/// networking.k8s.io/v1beta1). The harness passes these as `--api-versions`.
/// `asked_capabilities_are_classified` keeps the two lists complete.
pub const SERVED_1_32: &[&str] = &[
    "batch/v1",
    "networking.k8s.io/v1/Ingress",
    "policy/v1",
    "rbac.authorization.k8s.io/v1",
];
/// ...and what 1.32 does not serve: removed (apis.rs) or old cert-manager APIs (cert-manager
/// v1.20.3's CRDs serve only `cert-manager.io/v1` and `acme.cert-manager.io/v1`, which the
/// harness adds from the CRDs once the cert-manager release is rendered).
pub const NOT_SERVED_1_32: &[&str] = &[
    "networking.k8s.io/v1beta1/Ingress",
    "cert-manager.io/v1alpha2",
    "cert-manager.io/v1beta1",
    "certmanager.k8s.io/v1alpha1",
];

type Cache = Mutex<HashMap<String, Arc<Vec<Release>>>>;

/// Every Helm release of the profile (files rendered from it), in install order, rendered
/// by the real charts; each release sees the API versions earlier releases' CRDs added.
/// None when helm is not usable here (outside CI).
pub fn render(p: &Profile, files: &mlk::render::Rendered) -> Option<Arc<Vec<Release>>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let helm = helm()?;
    let plan = mlk::plan::build(p, "");
    let kube = kube_version(p);
    let key = plan
        .helm_releases
        .iter()
        .map(|r| format!("{r:?}\n{}", files[&r.values]))
        .collect::<Vec<_>>()
        .join("\n---\n")
        + &kube;
    // Held while rendering, so parallel tests render each profile once.
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Some(hit.clone());
    }
    // The four capabilities of SERVED_1_32 are served unchanged through 1.36 (RKE2's matrix):
    // none of them was removed (mlk::manifest::apis), and the NOT_SERVED ones stay removed.
    assert!(
        matches!(mlk::manifest::apis::minor_of(&kube), Some(32..=36)),
        "SERVED_1_32 describes Kubernetes 1.32 to 1.36 only: extend it for {kube}"
    );
    let mut out: Vec<Release> = Vec::new();
    let mut api_versions: Vec<String> = SERVED_1_32.iter().map(|s| s.to_string()).collect();
    let mut cluster_scoped: Vec<(String, String)> = Vec::new();
    for r in &plan.helm_releases {
        let values = files[&r.values].clone();
        let text = template(&helm, r, &values, &kube, &api_versions)
            .unwrap_or_else(|e| panic!("{}: helm template of {} failed: {e}", p.name, r.release));
        let mut objects = manifest::parse_all(&text).unwrap();
        for o in objects
            .iter()
            .filter(|o| o["kind"] == "CustomResourceDefinition")
        {
            if o["spec"]["scope"] == "Cluster" {
                cluster_scoped.push((
                    o["spec"]["group"].as_str().unwrap_or("").into(),
                    o["spec"]["names"]["kind"].as_str().unwrap_or("").into(),
                ));
            }
        }
        fill_namespace(&mut objects, &r.namespace, &cluster_scoped);
        api_versions.extend(crd_api_versions(&objects));
        out.push(Release {
            release: r.clone(),
            objects,
        });
    }
    let out = Arc::new(out);
    cache.insert(key, out.clone());
    Some(out)
}

/// The releases' objects as `manifest::Object`s, each preceded by the Namespace that
/// `helm upgrade --install --create-namespace` creates for it.
pub fn objects(releases: &[Release]) -> Vec<Object> {
    let mut v = Vec::new();
    for r in releases {
        let source = format!("helm:{}", r.release.release);
        let ns: Value = serde_yaml_ng::from_str(&format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {}}}\n",
            r.release.namespace
        ))
        .unwrap();
        v.push(Object::new(
            &r.release.stage,
            &format!("{source} --create-namespace"),
            ns,
        ));
        v.extend(
            r.objects
                .iter()
                .map(|o| Object::new(&r.release.stage, &source, o.clone())),
        );
    }
    v
}
