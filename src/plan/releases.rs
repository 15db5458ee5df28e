//! The Helm releases a profile installs: chart, repo, version, namespace and values file.
use crate::lockfile::Lock;
use crate::profile::Profile;
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

/// Namespace of the TICK stack; in-cluster URLs such as http://influxdb.tick:8086 depend on it.
pub const TICK_NAMESPACE: &str = "tick";

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

/// Releases in install order.
pub fn build(p: &Profile, lock: &Lock) -> Vec<HelmRelease> {
    let c = &p.components;
    let mut v = Vec::new();
    if c.local_path.enabled {
        v.push(release(
            lock,
            "local-path-provisioner",
            "local-path-provisioner",
            &c.local_path.version,
            "local-path-storage",
            "storage",
        ));
    }
    if c.cert_manager.enabled {
        v.push(release(
            lock,
            "cert-manager",
            "cert-manager",
            &c.cert_manager.version,
            "cert-manager",
            "cert-manager",
        ));
    }
    if c.rancher.enabled {
        v.push(release(
            lock,
            "rancher",
            "rancher",
            &c.rancher.version,
            "cattle-system",
            "rancher",
        ));
    }
    if c.tick.enabled {
        let t = &c.tick.versions;
        for (chart, version) in [
            ("influxdb", &t.influxdb),
            ("telegraf", &t.telegraf),
            ("telegraf-ds", &t.telegraf_ds),
            ("kapacitor", &t.kapacitor),
            ("chronograf", &t.chronograf),
        ] {
            v.push(release(lock, chart, chart, version, TICK_NAMESPACE, "tick"));
        }
    }
    v
}
