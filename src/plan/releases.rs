//! The Helm releases a profile installs: chart, repo, version, namespace and values file.
use crate::addon::Addon;
use crate::lockfile::Lock;
use crate::profile::{Components, Profile};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HelmRelease {
    pub release: String,
    /// `repo/name`, as `helm upgrade --install` takes it after `helm repo add`.
    pub chart: String,
    pub repo_url: String,
    pub version: String,
    pub namespace: String,
    /// Rendered values file, relative to the render folder.
    pub values: String,
    /// The stage that installs it.
    pub stage: String,
}

fn release(
    lock: &Lock,
    chart: &str,
    release: &str,
    version: &str,
    ns: &str,
    stage: &str,
) -> HelmRelease {
    let c = lock.chart(chart);
    HelmRelease {
        release: release.to_string(),
        chart: format!("{}/{chart}", c.repo),
        // A repo URL naming the locked version (a source archive) follows a profile override.
        repo_url: c.repo_url.replace(&c.version, version),
        version: version.to_string(),
        namespace: ns.to_string(),
        values: format!("values/{release}.yaml"),
        stage: stage.to_string(),
    }
}

/// The releases of add-on `a`, in install order.
pub fn of(a: Addon, c: &Components, lock: &Lock) -> Vec<HelmRelease> {
    c.chart_versions(a)
        .into_iter()
        .map(|(chart, version)| {
            release(
                lock,
                chart,
                chart,
                version,
                a.namespace(),
                a.stage().as_str(),
            )
        })
        .collect()
}

/// Releases in install order: each enabled add-on's charts.
pub fn build(p: &Profile, lock: &Lock) -> Vec<HelmRelease> {
    let c = &p.components;
    c.addons().flat_map(|a| of(a, c, lock)).collect()
}
