//! Where mlk keeps things: the mlk home, each cluster's folder on this host, and the node
//! folder on every node. Every path into either is built here; other modules name the thing
//! they want (`layout::of(dir).state()`, `layout::node::bin("helm")`), never a file name.
//!
//! A cluster folder (`<mlk home>/<name>`, 0700, files 0600 unless said):
//!
//! | path | what | written by |
//! |---|---|---|
//! | `cluster.json` | the record: provider, profile, lifecycle times | `cluster::record` |
//! | `profile.yaml` | the profile text `mlk up` last ran with | `cluster::target` |
//! | `ssh-config` | every node's endpoint (`--provider ssh`: the inventory's copy) | provider |
//! | `known_hosts` | host keys pinned on first contact | `remote::hostkeys` |
//! | `ssh/` | the cluster's own SSH key, and which nodes have it | `provider::vagrant::key` |
//! | `vagrant-provider`, `addresses.json` | the hypervisor `up` used; learned addresses (Hyper-V) | provider |
//! | `state.json`, `lock`, `mlk.log` | stage records, the cluster lock, every output line | `state`, `progress` |
//! | `rendered/` | the rendered files (and Vagrant's `.vagrant/`) | `render` |
//! | `secrets/` | generated passwords | `stages::secrets`, `login` |
//! | `binaries.sha256`, `cluster.rkestate`, `kubeconfig` | host stages' results | `stages` |
//! | `summary.json`, `mlk-ca.crt`, `rancher-login.json` | the first-log-in report and what it found | `login` |
//! | `runs/`, `reports/`, `diagnostics-*.tar.gz` | run records, reports, bundles | `runs`, `report`, `diagnose` |
use std::path::{Path, PathBuf};

/// The folder of the mlk home under the system's data directory (`~/.local/share/mlk`).
pub const HOME_NAME: &str = "mlk";

/// Where mlk kept cluster folders before it used the data directory: `./.mlk`.
pub const LEGACY_HOME: &str = ".mlk";

/// A cluster's folder on this host.
#[derive(Debug, Clone, Copy)]
pub struct ClusterDir<'a>(&'a Path);

/// The paths of the cluster folder `dir`.
pub fn of(dir: &Path) -> ClusterDir<'_> {
    ClusterDir(dir)
}

impl ClusterDir<'_> {
    fn at(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
    pub fn dir(&self) -> &Path {
        self.0
    }
    pub fn record(&self) -> PathBuf {
        self.at("cluster.json")
    }
    pub fn profile(&self) -> PathBuf {
        self.at("profile.yaml")
    }
    pub fn ssh_config(&self) -> PathBuf {
        self.at(SSH_CONFIG)
    }
    pub fn known_hosts(&self) -> PathBuf {
        self.at("known_hosts")
    }
    /// The cluster's SSH key pair and the marks of the nodes that have it.
    pub fn ssh_keys(&self) -> PathBuf {
        self.at("ssh")
    }
    pub fn vagrant_provider(&self) -> PathBuf {
        self.at("vagrant-provider")
    }
    pub fn addresses(&self) -> PathBuf {
        self.at("addresses.json")
    }
    pub fn state(&self) -> PathBuf {
        self.at("state.json")
    }
    pub fn lock(&self) -> PathBuf {
        self.at("lock")
    }
    pub fn log(&self) -> PathBuf {
        self.at("mlk.log")
    }
    pub fn rendered(&self) -> PathBuf {
        self.at("rendered")
    }
    /// A rendered file, by its path in the render folder.
    pub fn rendered_file(&self, rel: &str) -> PathBuf {
        self.rendered().join(rel)
    }
    /// Folders where Vagrant may keep its `.vagrant` machine folder: `rendered/`, and those
    /// of older mlk versions.
    pub fn vagrant_dirs(&self) -> Vec<PathBuf> {
        vec![self.0.to_path_buf(), self.rendered(), self.at("vagrant")]
    }
    /// Vagrant's machine folders (`.vagrant/machines/<node>/<provider>/id`), in `rendered/`.
    pub fn vagrant_machines(&self) -> PathBuf {
        self.rendered().join(".vagrant/machines")
    }
    pub fn secrets(&self) -> PathBuf {
        self.at("secrets")
    }
    pub fn secret(&self, name: &str) -> PathBuf {
        self.secrets().join(name)
    }
    pub fn binaries_record(&self) -> PathBuf {
        self.at("binaries.sha256")
    }
    /// RKE's cluster state (its CA and certificates).
    pub fn rke_state(&self) -> PathBuf {
        self.at(RKE_STATE)
    }
    pub fn kubeconfig(&self) -> PathBuf {
        self.at("kubeconfig")
    }
    /// Files that may hold the cluster's kubeconfig, in the order to try them (folders of
    /// older mlk versions kept rke's own next to cluster.yml).
    pub fn kubeconfigs(&self) -> Vec<PathBuf> {
        vec![
            self.kubeconfig(),
            self.at("kube_config_cluster.yml"),
            self.rendered_file("kube_config_cluster.yml"),
        ]
    }
    pub fn summary(&self) -> PathBuf {
        self.at("summary.json")
    }
    pub fn ca_cert(&self) -> PathBuf {
        self.at("mlk-ca.crt")
    }
    pub fn rancher_login(&self) -> PathBuf {
        self.at("rancher-login.json")
    }
    pub fn runs(&self) -> PathBuf {
        self.at(RUNS)
    }
    /// A run's record.
    pub fn run(&self, name: &str) -> PathBuf {
        self.runs().join(format!("{name}.json"))
    }
    pub fn reports(&self) -> PathBuf {
        self.at("reports")
    }
    /// A diagnostics bundle, by its name without `.tar.gz`.
    pub fn diagnostics(&self, name: &str) -> PathBuf {
        self.at(&format!("{name}.tar.gz"))
    }
}

/// `ssh-config`: also the name `vagrant ssh-config` files are known by in bundles.
pub const SSH_CONFIG: &str = "ssh-config";
/// `cluster.rkestate`, the same name on the host and on the node.
pub const RKE_STATE: &str = "cluster.rkestate";
/// The run records' folder, by name (exported samples name it relative to the cluster).
pub const RUNS: &str = "runs";

/// The node folder: what mlk puts on every node, and who it logs in as.
pub mod node {
    /// Where mlk keeps scripts, binaries, secrets and workloads on a node.
    pub const DIR: &str = "/opt/mlk";
    /// The user mlk logs in as; Vagrant boxes use `vagrant`.
    pub const USER: &str = "vagrant";

    /// `rel` inside the node folder.
    pub fn path(rel: &str) -> String {
        format!("{DIR}/{rel}")
    }
    pub fn bin_dir() -> String {
        path("bin")
    }
    pub fn bin(name: &str) -> String {
        path(&format!("bin/{name}"))
    }
    pub fn secrets_dir() -> String {
        path("secrets")
    }
    pub fn secret(name: &str) -> String {
        path(&format!("secrets/{name}"))
    }
    /// The key the first controlplane node reaches every node with (rke's).
    pub fn ssh_dir() -> String {
        path("ssh")
    }
    pub fn ssh_key() -> String {
        path("ssh/id_ed25519")
    }
    pub fn workloads_dir() -> String {
        path("workloads")
    }
    /// A workload's manifest, by run name.
    pub fn workload(run: &str) -> String {
        path(&format!("workloads/{run}.yaml"))
    }
    /// The staged datasets (mounted into the workload's pods).
    pub fn datasets() -> String {
        path("datasets")
    }
    /// The cluster's admin kubeconfig on the first controlplane node: rke writes
    /// `kube_config_<cluster file>` next to cluster.yml (a distribution that writes it
    /// elsewhere copies it here, so every command finds it in one place).
    pub fn kubeconfig() -> String {
        path("kube_config_cluster.yml")
    }
    /// `export PATH=...; KUBECONFIG=...;`: a command after it runs mlk's kubectl and helm
    /// against the cluster (on the first controlplane node).
    pub fn kube_env() -> String {
        format!(
            "export PATH={}:$PATH KUBECONFIG={};",
            bin_dir(),
            kubeconfig()
        )
    }
}
