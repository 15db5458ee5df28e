//! Provider `vagrant`: VMs made by the real `vagrant` CLI from the rendered Vagrantfile, with
//! VirtualBox, Hyper-V or libvirt underneath.
//!
//! How `up` brings several nodes up (see docs/vagrant.md):
//! - libvirt: one `vagrant up --parallel` (vagrant-libvirt declares `parallel: true`);
//! - VirtualBox and Hyper-V: one `vagrant up --no-parallel` by default. Vagrant's own providers do
//!   not declare parallel support, so Vagrant runs them one by one anyway. `MLK_VAGRANT_UP=
//!   first-then-rest` brings node 1 up alone (box import, linked-clone master, host-only
//!   network are created once), then the other nodes as concurrent `vagrant up NODE`
//!   processes; it is off by default because it could not be measured here (no VirtualBox).
pub mod cli;
pub mod key;
pub mod machine;

use super::addresses::{self, Addresses};
use super::{MachineStatus, Provider, Up};
use crate::exit::{Class, classify};
use crate::inventory::{self, Endpoint};
use crate::layout;
use crate::profile::{Hypervisor, Profile};
use crate::remote::Connector;
use crate::remote::{RemoteError, Runner};
use anyhow::{Context, Result};
use cli::Vagrant;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Whether Vagrant ever created a machine of the cluster in `cluster_dir`: it keeps each
/// machine's id in `rendered/.vagrant/machines/<node>/<provider>/id` from creation until
/// destroy. Read without running vagrant, so `mlk down` of a never-created cluster needs
/// neither Vagrant nor a hypervisor.
pub fn any_machine_created(cluster_dir: &Path) -> bool {
    let machines = layout::of(cluster_dir).vagrant_machines();
    std::fs::read_dir(machines)
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|node| {
            std::fs::read_dir(node.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .any(|prov| {
            std::fs::metadata(prov.path().join("id")).is_ok_and(|m| m.is_file() && m.len() > 0)
        })
}

/// `eps` as ssh_config text that `inventory::parse` reads back the same.
pub fn ssh_config(eps: &[Endpoint]) -> String {
    let mut s = String::new();
    for e in eps {
        s.push_str(&format!(
            "Host {}\n  HostName {}\n  Port {}\n  User {}\n  IdentitiesOnly yes\n",
            e.name, e.host, e.port, e.user
        ));
        for k in &e.identity_files {
            s.push_str(&format!("  IdentityFile \"{}\"\n", k.display()));
        }
        if let Some(p) = &e.proxy_command {
            s.push_str(&format!("  ProxyCommand {p}\n"));
        }
    }
    s
}

/// How `up` starts several machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpMode {
    Parallel,
    Sequential,
    FirstThenRest,
}

impl UpMode {
    /// The default for a hypervisor, unless `MLK_VAGRANT_UP` says otherwise.
    pub fn choose(h: Hypervisor, env: Option<&str>) -> Result<UpMode> {
        match env.unwrap_or("") {
            "" => Ok(match h {
                Hypervisor::Libvirt => UpMode::Parallel,
                Hypervisor::Virtualbox | Hypervisor::Hyperv => UpMode::Sequential,
            }),
            "parallel" => Ok(UpMode::Parallel),
            "sequential" => Ok(UpMode::Sequential),
            "first-then-rest" => Ok(UpMode::FirstThenRest),
            other => Err(classify(
                Class::Usage,
                format!("MLK_VAGRANT_UP=`{other}`; allowed: parallel, sequential, first-then-rest"),
            )),
        }
    }

    /// The vagrant argument lists to run, one batch after another; the runs of a batch go
    /// at once.
    pub fn batches(self, h: Hypervisor, nodes: &[String]) -> Vec<Vec<Vec<String>>> {
        let up = |extra: &[&str]| -> Vec<String> {
            // Failed machines are kept for inspection (`mlk up --destroy-on-failure` is for CI).
            let mut v: Vec<String> = ["up", "--provider", h.as_str(), "--no-destroy-on-error"]
                .map(String::from)
                .to_vec();
            v.extend(extra.iter().map(|s| s.to_string()));
            v
        };
        match self {
            UpMode::Parallel => vec![vec![up(&["--parallel"])]],
            UpMode::Sequential => vec![vec![up(&["--no-parallel"])]],
            UpMode::FirstThenRest => {
                let mut b = vec![vec![up(&[nodes[0].as_str()])]];
                if nodes.len() > 1 {
                    b.push(nodes[1..].iter().map(|n| up(&[n.as_str()])).collect());
                }
                b
            }
        }
    }
}

/// The box a hypervisor's machines are made from: name and version (or constraint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxPin {
    pub name: String,
    pub version: Option<String>,
}

impl BoxPin {
    /// The profile's box for `h`: Hyper-V's own when the profile names one.
    pub fn of(p: &Profile, h: Hypervisor) -> BoxPin {
        match (&p.vm_box.hyperv, h) {
            (Some(name), Hypervisor::Hyperv) if *name != p.vm_box.name => BoxPin {
                name: name.clone(),
                version: p.vm_box.hyperv_version.clone(),
            },
            _ => BoxPin {
                name: p.vm_box.name.clone(),
                version: p.vm_box.version.clone(),
            },
        }
    }

    /// Whether `installed` holds it for `provider`. An exact version must be there; a
    /// constraint or no version is met by any installed version (Vagrant then picks one,
    /// or downloads a matching one itself during `up`).
    pub fn installed_in(&self, installed: &[machine::InstalledBox], provider: Hypervisor) -> bool {
        let exact = self
            .version
            .as_deref()
            .filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
        installed.iter().any(|b| {
            b.name == self.name
                && b.provider == provider.as_str()
                && exact.is_none_or(|v| b.version == v)
        })
    }

    /// `vagrant box add` arguments for it.
    pub fn add_args(&self, provider: Hypervisor) -> Vec<String> {
        let mut a: Vec<String> = ["box", "add", &self.name, "--provider", provider.as_str()]
            .map(String::from)
            .to_vec();
        if let Some(v) = &self.version {
            a.extend(["--box-version".to_string(), v.clone()]);
        }
        a
    }

    pub fn shown(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        }
    }
}

pub struct VagrantProvider {
    vagrant: Vagrant,
    vm_box: BoxPin,
    cluster: String,
    cluster_dir: PathBuf,
    nodes: Vec<String>,
    mode: UpMode,
    connect: Box<Connector>,
}

impl VagrantProvider {
    /// `cluster_dir/rendered` must hold the rendered Vagrantfile by the time `up` runs.
    /// Fails (class 3) when vagrant is not installed.
    pub fn new(
        p: &Profile,
        cluster_dir: &Path,
        connect: Box<Connector>,
    ) -> Result<VagrantProvider> {
        let mode = UpMode::choose(p.provider, std::env::var("MLK_VAGRANT_UP").ok().as_deref())?;
        Ok(VagrantProvider {
            vagrant: Vagrant {
                program: cli::locate()?,
                dir: layout::of(cluster_dir).rendered(),
                provider: p.provider,
            },
            vm_box: BoxPin::of(p, p.provider),
            cluster: p.name.clone(),
            cluster_dir: cluster_dir.to_path_buf(),
            nodes: p.nodes.iter().map(|n| n.name.clone()).collect(),
            mode,
            connect,
        })
    }

    fn check_vagrantfile(&self) -> Result<()> {
        if cli::has_vagrantfile(&self.vagrant.dir) {
            return Ok(());
        }
        Err(classify(
            Class::Provider,
            format!(
                "no Vagrantfile in {}; run `mlk up` (or `mlk render --out {}`) first",
                self.vagrant.dir.display(),
                self.vagrant.dir.display()
            ),
        ))
    }

    /// What `vagrant ssh-config` says, with Vagrant's own keys.
    fn vagrant_endpoints(&self) -> Result<Vec<Endpoint>> {
        self.check_vagrantfile()?;
        let out = self.vagrant.run(&["ssh-config"], &mut |_| {})?;
        let text = machine::ssh_config_text(&out.lines);
        let eps = inventory::parse(&text, "vagrant ssh-config")?;
        let missing: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| !eps.iter().any(|e| &e.name == *n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(classify(
                Class::Provider,
                format!(
                    "`vagrant ssh-config` has no entry for {}",
                    missing.join(", ")
                ),
            ));
        }
        Ok(eps)
    }

    /// Connects, retrying while the node still boots.
    fn connect_retrying(&self, ep: &Endpoint) -> Result<Arc<dyn Runner>> {
        let mut last = None;
        for _ in 0..20 {
            match (self.connect)(ep) {
                Ok(r) => return Ok(r),
                Err(e) if e.is_transient() => {
                    last = Some(e);
                    std::thread::sleep(Duration::from_secs(3));
                }
                Err(e) => return Err(remote(e)),
            }
        }
        Err(remote(last.unwrap_or_else(|| RemoteError::Fatal {
            node: ep.name.clone(),
            message: "no connection".into(),
        })))
    }

    /// Installs the cluster key on every node that does not have it yet; returns endpoints
    /// that use it.
    fn switch_keys(&self, eps: &[Endpoint], log: &mut dyn FnMut(&str)) -> Result<Vec<Endpoint>> {
        let key = key::ensure(&self.cluster_dir, &self.cluster)?;
        let todo: Vec<&Endpoint> = eps.iter().filter(|e| !key.installed(&e.name)).collect();
        let results: Vec<(String, Result<()>)> = std::thread::scope(|s| {
            let handles: Vec<_> = todo
                .iter()
                .map(|ep| {
                    let key = &key;
                    s.spawn(move || {
                        let r = self.connect_retrying(ep).and_then(|runner| {
                            key.install(runner.as_ref(), &|| {
                                let mine = self.connect_retrying(&key.endpoint(ep))?;
                                mine.exec("true", Some(Duration::from_secs(30)), &mut |_| {})
                                    .map_err(remote)?;
                                Ok(())
                            })
                        });
                        (ep.name.clone(), r)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        (
                            "?".into(),
                            Err(anyhow::anyhow!("key install thread panicked")),
                        )
                    })
                })
                .collect()
        });
        for (node, r) in results {
            r.with_context(|| format!("{node}: switching to mlk's SSH key"))?;
            log(&format!(
                "{node}: now reached with mlk's key {}",
                key.private.display()
            ));
        }
        Ok(key.endpoints(eps))
    }

    /// Hyper-V: learns each node's real address, and keeps it for later commands. Fails when a
    /// node had another address before (see [`moved`]), keeping the recorded ones.
    fn learn_addresses(&self, eps: &[Endpoint], log: &mut dyn FnMut(&str)) -> Result<Addresses> {
        let before = addresses::load(&self.cluster_dir)?;
        let mut over = Addresses::new();
        for ep in eps {
            let ip = match ep.host.parse::<Ipv4Addr>() {
                Ok(ip) => ip,
                Err(_) => self.address_over_ssh(ep)?,
            };
            log(&format!(
                "{}: address {ip} (Hyper-V ignores the profile's IP)",
                ep.name
            ));
            over.insert(ep.name.clone(), ip);
        }
        moved(&self.cluster, &before, &over)?;
        addresses::save(&self.cluster_dir, &over)?;
        Ok(over)
    }

    fn address_over_ssh(&self, ep: &Endpoint) -> Result<Ipv4Addr> {
        let runner = self.connect_retrying(ep)?;
        let mut lines = Vec::new();
        runner
            .exec(
                "ip -4 -o addr show scope global",
                Some(Duration::from_secs(30)),
                &mut |l| lines.push(l.to_string()),
            )
            .map_err(remote)?;
        first_ipv4(&lines.join("\n")).ok_or_else(|| {
            classify(
                Class::Provider,
                format!("{}: no IPv4 address in `ip -4 addr`", ep.name),
            )
        })
    }
}

/// Refuses addresses that changed since they were recorded. Hyper-V's Default Switch picks a
/// new subnet at every host reboot (hashicorp/vagrant#8384), while the cluster made on the old
/// addresses keeps them: RKE's certificates, the etcd member, cluster.yml, the kubeconfig
/// and the sslip.io dashboard names. Nothing on the new addresses would answer, so `mlk up`
/// and `mlk start` stop here and say what to do (docs/vagrant.md says why mlk does not pin
/// addresses with a NAT switch instead).
pub fn moved(cluster: &str, before: &Addresses, now: &Addresses) -> Result<()> {
    let changes: Vec<String> = now
        .iter()
        .filter_map(|(node, ip)| {
            let old = before.get(node)?;
            (old != ip).then(|| format!("{node} was {old} and is now {ip}"))
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    Err(classify(
        Class::Provider,
        format!(
            "the VMs' addresses changed: {}. Hyper-V's Default Switch hands out addresses from a new range after every host reboot (hashicorp/vagrant#8384), and cluster {cluster} was built on the old ones: its certificates, etcd member, kubeconfig and dashboard names (sslip.io) still name them.\n  fix: rebuild it on the new addresses: `mlk down -c {cluster} --force`, then `mlk up -c {cluster}` (run records are kept); keep the host running while the lab is needed (docs/vagrant.md, \"Hyper-V and host reboots\")",
            changes.join(", ")
        ),
    ))
}

fn remote(e: RemoteError) -> anyhow::Error {
    classify(Class::Remote, e.to_string())
}

/// The first address in `ip -4 -o addr` output (`2: eth0    inet 172.29.80.7/20 brd ...`).
pub fn first_ipv4(text: &str) -> Option<Ipv4Addr> {
    text.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        it.find(|w| *w == "inet")?;
        it.next()?.split('/').next()?.parse().ok()
    })
}

impl Provider for VagrantProvider {
    fn name(&self) -> String {
        format!("vagrant/{}", self.vagrant.provider.as_str())
    }

    /// Adds the box with `vagrant box add` when it is not installed, as a step of its own:
    /// inside `vagrant up` the download (about a gigabyte) showed only as "provider up".
    fn prepare(&self, note: &mut dyn FnMut(&str), log: &mut dyn FnMut(&str)) -> Result<()> {
        self.check_vagrantfile()?;
        let h = self.vagrant.provider;
        let list = self.vagrant.run(&["box", "list"], &mut |_| {})?;
        let b = &self.vm_box;
        if b.installed_in(&machine::boxes(&list.lines), h) {
            log(&format!("box {} ({}) is installed", b.shown(), h.as_str()));
            return Ok(());
        }
        let args = b.add_args(h);
        note(&format!(
            "box {} ({}) is not installed: `vagrant {}` downloads it once for this host (about {:.1} GiB; {:.0} GiB unpacked)",
            b.shown(),
            h.as_str(),
            args.join(" "),
            crate::doctor::capacity::BOX_DOWNLOAD_MIB as f64 / 1024.0,
            crate::doctor::capacity::BOX_MIB as f64 / 1024.0,
        ));
        let started = std::time::Instant::now();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        self.vagrant.run(&argv, log)?;
        note(&format!(
            "box {} added in {:.0} s",
            b.shown(),
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    fn up(&self, log: &mut dyn FnMut(&str)) -> Result<Up> {
        self.check_vagrantfile()?;
        let h = self.vagrant.provider.as_str();
        crate::fsutil::write_atomic(
            &layout::of(&self.cluster_dir).vagrant_provider(),
            h.as_bytes(),
            Some(0o600),
        )?;
        for batch in self.mode.batches(self.vagrant.provider, &self.nodes) {
            let cmds: Vec<String> = batch
                .iter()
                .map(|a| format!("vagrant {}", a.join(" ")))
                .collect();
            log(&cmds.join(" & "));
            self.vagrant.run_many(&batch, log)?;
        }
        let eps = self.vagrant_endpoints()?;
        let learned = if self.vagrant.provider == Hypervisor::Hyperv {
            self.learn_addresses(&eps, log)?
        } else {
            Addresses::new()
        };
        let eps = self.switch_keys(&eps, log)?;
        crate::fsutil::write_atomic(
            // Every node's endpoint (mlk's key), in ssh_config format: what `mlk report` and
            // `mlk run-workload` read, and what a user can pass to `ssh -F`.
            &layout::of(&self.cluster_dir).ssh_config(),
            ssh_config(&eps).as_bytes(),
            Some(0o600),
        )?;
        Ok(Up {
            endpoints: eps,
            learned,
        })
    }

    fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let eps = self.vagrant_endpoints()?;
        let key = key::ensure(&self.cluster_dir, &self.cluster)?;
        Ok(key.endpoints(&eps))
    }

    fn status(&self) -> Result<Vec<MachineStatus>> {
        self.check_vagrantfile()?;
        let out = self.vagrant.run(&["status"], &mut |_| {})?;
        Ok(machine::machine_states(&out.lines))
    }

    fn halt(&self, log: &mut dyn FnMut(&str)) -> Result<()> {
        self.check_vagrantfile()?;
        log("vagrant halt");
        self.vagrant.run(&["halt"], log)?;
        Ok(())
    }

    fn destroy(&self, log: &mut dyn FnMut(&str)) -> Result<()> {
        let never_created = || {
            self.status()
                .is_ok_and(|m| m.iter().all(|m| m.state == "not_created"))
        };
        if !cli::has_vagrantfile(&self.vagrant.dir) {
            log("no Vagrantfile: no machines to destroy");
        } else if never_created() {
            // `destroy` would still connect to the hypervisor (libvirtd) for nothing.
            log("no machine was created: nothing to destroy");
        } else {
            self.vagrant.run(&["destroy", "-f"], log)?;
        }
        // New machines get new host keys and need the cluster key again.
        key::forget_all(&self.cluster_dir)?;
        addresses::remove(&self.cluster_dir)?;
        match std::fs::remove_file(layout::of(&self.cluster_dir).known_hosts()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
