//! Everything the checks look at, gathered once; the checks themselves are pure functions of it.
use super::host::{self, CpuFlags, Iface, Route};
use crate::catalogue::StageId;
use crate::profile::{Hypervisor, Profile};
use crate::provider::ProviderKind;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// A tool's version line, or why it could not be read.
pub type ToolFact = Result<String, String>;

#[derive(Debug, Clone, Serialize)]
pub struct Disk {
    /// What lives there: "Vagrant boxes", "VM disks".
    pub what: String,
    pub path: PathBuf,
    /// Free MiB on its file system, None when unknown.
    pub free_mib: Option<u64>,
}

/// Another cluster folder under the same mlk home.
#[derive(Debug, Clone, Serialize)]
pub struct OtherCluster {
    pub name: String,
    pub dir: PathBuf,
    pub ips: Vec<Ipv4Addr>,
    /// Its state records a stage done: it was brought up and not torn down.
    pub active: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    /// std::env::consts::OS.
    pub os: String,
    /// This host's architecture (`arch::host_arch`): x86_64, aarch64, ...
    pub arch: String,
    pub vagrant: ToolFact,
    pub vagrant_plugins: Option<ToolFact>,
    pub vboxmanage: Option<ToolFact>,
    pub libvirt_socket: Option<(PathBuf, Result<(), String>)>,
    pub hyperv: Option<ToolFact>,
    /// /etc/vbox/networks.conf (or MLK_VBOX_NETWORKS_CONF) and its text when it exists.
    pub networks_conf: (String, Option<String>),
    pub interfaces: Result<Vec<Iface>, String>,
    pub routes: Vec<Route>,
    pub mem_total_mib: Option<u64>,
    pub mem_available_mib: Option<u64>,
    pub cpus: usize,
    pub disks: Vec<Disk>,
    pub cpu_flags: Option<CpuFlags>,
    /// The OS's own answer on virtualisation where there is no /proc/cpuinfo (macOS, Windows).
    pub host_virt: Option<crate::platform::host::Virt>,
    pub dev_kvm: bool,
    /// Linux, provider virtualbox: the loaded KVM modules (`virt::kvm_state`).
    pub kvm: Option<super::virt::KvmState>,
    /// This host's fs.inotify.max_user_instances and max_user_watches.
    pub host_inotify: (Option<u64>, Option<u64>),
    /// The os-prep stage script as rendered for this profile (it sets the nodes' sysctls).
    pub os_prep_script: Option<String>,
    pub other_clusters: Vec<OtherCluster>,
}

/// Where Vagrant keeps boxes: VAGRANT_HOME, else ~/.vagrant.d.
pub fn vagrant_home() -> PathBuf {
    std::env::var_os("VAGRANT_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".vagrant.d")))
        .unwrap_or_else(|| PathBuf::from(".vagrant.d"))
}

/// Where the provider keeps VM disks by default.
pub fn vm_disk_dir(p: Hypervisor) -> Option<PathBuf> {
    match p {
        Hypervisor::Virtualbox => dirs::home_dir().map(|h| h.join("VirtualBox VMs")),
        Hypervisor::Libvirt => Some(PathBuf::from("/var/lib/libvirt/images")),
        Hypervisor::Hyperv => None,
    }
}

/// Gathers the facts the checks for `target` need; `home` is the mlk home (root of cluster
/// folders). Renders the os-prep script alone for the inotify check.
pub fn gather(p: &Profile, target: ProviderKind, home: &Path) -> Facts {
    let os_prep = crate::render::stage_script(p, StageId::OsPrep).ok();
    gather_with(p, target, home, os_prep)
}

/// [`gather`] with the os-prep script already rendered (`mlk up` has the whole render).
pub fn gather_with(
    p: &Profile,
    target: ProviderKind,
    home: &Path,
    os_prep_script: Option<String>,
) -> Facts {
    let vagrant_target = match target {
        ProviderKind::Vagrant(v) => Some(v),
        ProviderKind::Ssh => None,
    };
    let vagrant = if vagrant_target.is_some() {
        host::first_line("vagrant", &["--version"])
    } else {
        Err("not used: the nodes are existing SSH hosts".into())
    };
    let networks_conf_path = std::env::var("MLK_VBOX_NETWORKS_CONF")
        .unwrap_or_else(|_| "/etc/vbox/networks.conf".into());
    let (mem_total_mib, mem_available_mib) = crate::platform::host::memory_mib();
    let mut disks = Vec::new();
    if let Some(v) = vagrant_target {
        let boxes = vagrant_home();
        disks.push(Disk {
            what: "Vagrant boxes".into(),
            free_mib: host::free_mib(&boxes).map(|(_, m)| m),
            path: boxes,
        });
        if let Some(d) = vm_disk_dir(v) {
            disks.push(Disk {
                what: "VM disks".into(),
                free_mib: host::free_mib(&d).map(|(_, m)| m),
                path: d,
            });
        }
    }
    let libvirt_sock = libvirt_socket_path(std::env::var("LIBVIRT_DEFAULT_URI").ok().as_deref());
    Facts {
        os: std::env::consts::OS.to_string(),
        arch: super::arch::host_arch(),
        vagrant_plugins: (vagrant_target == Some(Hypervisor::Libvirt) && vagrant.is_ok())
            .then(|| host::output("vagrant", &["plugin", "list"])),
        vagrant,
        vboxmanage: (vagrant_target == Some(Hypervisor::Virtualbox))
            .then(|| host::first_line("VBoxManage", &["--version"])),
        libvirt_socket: (vagrant_target == Some(Hypervisor::Libvirt)).then(|| {
            let r = host::socket_connects(&libvirt_sock);
            (libvirt_sock, r)
        }),
        hyperv: (vagrant_target == Some(Hypervisor::Hyperv) && cfg!(windows)).then(|| {
            host::first_line(
                "powershell",
                &[
                    "-NoProfile",
                    "-Command",
                    "(Get-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All).State",
                ],
            )
        }),
        networks_conf: (networks_conf_path.clone(), host::read(&networks_conf_path)),
        interfaces: host::interfaces(),
        routes: host::routes(),
        mem_total_mib,
        mem_available_mib,
        cpus: crate::platform::host::cpus(),
        disks,
        cpu_flags: host::read("/proc/cpuinfo").and_then(|t| host::parse_cpuinfo(&t)),
        host_virt: crate::platform::host::virtualisation(),
        dev_kvm: Path::new("/dev/kvm").exists(),
        kvm: (vagrant_target == Some(Hypervisor::Virtualbox) && cfg!(target_os = "linux")).then(
            || super::virt::kvm_state(Path::new("/sys"), host::read("/proc/sys/kernel/osrelease")),
        ),
        host_inotify: (
            host::sysctl("fs/inotify/max_user_instances"),
            host::sysctl("fs/inotify/max_user_watches"),
        ),
        os_prep_script,
        other_clusters: other_clusters(home, &p.name),
    }
}

/// The libvirtd socket: `?socket=` of LIBVIRT_DEFAULT_URI when given, else the system one.
pub fn libvirt_socket_path(uri: Option<&str>) -> PathBuf {
    uri.and_then(|u| u.split_once("socket="))
        .map(|(_, rest)| rest.split('&').next().unwrap_or(rest))
        .map_or_else(
            || PathBuf::from("/var/run/libvirt/libvirt-sock"),
            PathBuf::from,
        )
}

/// Cluster folders under `home` (and, for the default home, `./.mlk`) other than `own`, with
/// the node addresses of their rendered cluster.yml and whether their state records any
/// finished stage. Clusters `mlk down` destroyed use no address and are left out.
pub fn other_clusters(home: &Path, own: &str) -> Vec<OtherCluster> {
    let home = crate::cluster::Home {
        root: home.to_path_buf(),
        is_default: home == crate::cluster::home::default_root(),
    };
    home.clusters()
        .into_iter()
        .filter(|f| f.name != own)
        .filter(|f| {
            crate::cluster::Record::load(&f.dir)
                .ok()
                .flatten()
                .is_none_or(|r| r.destroyed.is_none())
        })
        .filter_map(|f| {
            let dir = f.dir;
            let files = crate::layout::of(&dir);
            // RKE's cluster.yml names every node address.
            let yml = std::fs::read_to_string(files.rendered_file("cluster.yml")).ok()?;
            let ips = cluster_yml_ips(&yml);
            let active = std::fs::read_to_string(files.state())
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .is_some_and(|s| any_done(&s));
            Some(OtherCluster {
                name: f.name,
                dir,
                ips,
                active,
            })
        })
        .collect()
}

/// `nodes[].address` and `internal_address` of an RKE cluster.yml.
pub fn cluster_yml_ips(text: &str) -> Vec<Ipv4Addr> {
    let Ok(doc) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        return Vec::new();
    };
    let mut ips = Vec::new();
    for n in doc["nodes"].as_sequence().into_iter().flatten() {
        for key in ["address", "internal_address"] {
            if let Some(ip) = n[key].as_str().and_then(|s| s.parse().ok())
                && !ips.contains(&ip)
            {
                ips.push(ip);
            }
        }
    }
    ips
}

/// Whether a state.json (stage -> node -> record) has any record with status done.
fn any_done(state: &serde_json::Value) -> bool {
    state["stages"].as_object().is_some_and(|stages| {
        stages.values().any(|nodes| {
            nodes
                .as_object()
                .is_some_and(|n| n.values().any(|r| r["status"] == "done"))
        })
    })
}
