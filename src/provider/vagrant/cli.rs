//! Runs the `vagrant` CLI in the cluster's render folder, always `--machine-readable`, and turns
//! its failures into provider errors (exit class 3) that say what to do.
use super::machine::{self, ErrorExit, Line};
use crate::exit::{Class, classify};
use crate::profile::Hypervisor;
use anyhow::{Context, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;

/// The `vagrant` program and the folder holding the rendered Vagrantfile.
#[derive(Debug, Clone)]
pub struct Vagrant {
    pub program: PathBuf,
    pub dir: PathBuf,
    pub provider: Hypervisor,
}

/// What one vagrant run printed.
#[derive(Debug, Default)]
pub struct Output {
    pub lines: Vec<Line>,
    pub stderr: String,
}

/// How to install Vagrant on this OS (the message of a "vagrant not found" error).
pub fn install_hint() -> &'static str {
    if cfg!(target_os = "windows") {
        "install Vagrant with `winget install Hashicorp.Vagrant` (or the installer from \
         developer.hashicorp.com/vagrant/install), then open a new terminal"
    } else if cfg!(target_os = "macos") {
        "install Vagrant with `brew install --cask hashicorp-vagrant` (or the installer from \
         developer.hashicorp.com/vagrant/install)"
    } else {
        "install Vagrant: Debian/Ubuntu `sudo apt-get install vagrant` (Debian 12 ships 2.3.4), \
         Fedora `sudo dnf install vagrant`, or HashiCorp's package from \
         developer.hashicorp.com/vagrant/install"
    }
}

/// How to get a usable `provider` on this OS.
pub fn provider_hint(provider: Hypervisor) -> &'static str {
    match provider {
        Hypervisor::Virtualbox => {
            "install VirtualBox (virtualbox.org/wiki/Downloads) so that `VBoxManage` is on PATH, \
             or pick another provider with --provider libvirt|hyperv"
        }
        Hypervisor::Libvirt => {
            "install the vagrant-libvirt plugin and a running libvirtd with QEMU: Debian/Ubuntu \
             `sudo apt-get install vagrant-libvirt libvirt-daemon-system qemu-system-x86` \
             (elsewhere `vagrant plugin install vagrant-libvirt`), and make sure \
             `virsh -c qemu:///system version` works for your user"
        }
        Hypervisor::Hyperv => {
            "Hyper-V works only on Windows (Pro/Enterprise/Education): enable it with \
             `Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All` and run \
             mlk from an Administrator terminal; elsewhere use --provider virtualbox|libvirt"
        }
    }
}

/// Finds `vagrant`: `$MLK_VAGRANT`, else the first `vagrant` on PATH.
pub fn locate() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("MLK_VAGRANT").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Ok(p);
        }
        return Err(classify(
            Class::Provider,
            format!("MLK_VAGRANT={} is not a file", p.display()),
        ));
    }
    let exe = if cfg!(windows) {
        "vagrant.exe"
    } else {
        "vagrant"
    };
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join(exe))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            classify(
                Class::Provider,
                format!("`vagrant` was not found on PATH; {}", install_hint()),
            )
        })
}

/// A provider error for what Vagrant exited with, with advice where the cause is known.
pub fn explain(provider: Hypervisor, args: &[&str], e: &ErrorExit) -> anyhow::Error {
    let short = e.class.rsplit("::").next().unwrap_or(&e.class);
    let advice = match short {
        "NoDefaultProvider" | "ProviderNotUsable" => Some(provider_hint(provider).to_string()),
        "BoxNotFound"
        | "BoxAddShortNotFound"
        | "BoxNotFoundWithProvider"
        | "BoxAddNoMatchingProvider"
        | "BoxAddNoMatchingVersion"
        | "DownloaderError" => Some(format!(
            "the profile's box is not available for provider {}: check `box.name`/`box.version` \
             in the profile, or add it first with `vagrant box add NAME` (`vagrant box list` \
             shows what is installed)",
            provider.as_str()
        )),
        "MachineLocked" | "EnvironmentLockedError" => Some(
            "another vagrant command is running on this cluster; wait for it, then retry".into(),
        ),
        "UIExpectsTTY" => Some(
            "Vagrant asked a question and mlk runs it without a terminal. Under Hyper-V that \
             is the virtual switch: set `hyperv: {switch: NAME}` in the profile to a switch \
             `Get-VMSwitch` lists (default \"Default Switch\")"
                .into(),
        ),
        "FogLibvirtConnectionError" => Some(format!(
            "libvirtd is not reachable: {}",
            provider_hint(Hypervisor::Libvirt)
        )),
        _ => None,
    };
    let mut msg = format!(
        "`vagrant {}` failed ({}): {}",
        args.join(" "),
        short,
        e.message.trim()
    );
    if let Some(a) = advice {
        msg.push_str(&format!("\nhint: {a}"));
    }
    classify(Class::Provider, msg)
}

impl Vagrant {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.program);
        c.args(args)
            .arg("--machine-readable")
            .current_dir(&self.dir)
            // No update checks against HashiCorp's servers, no colour codes in the stream.
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .env("VAGRANT_NO_COLOR", "1")
            // `status` and `ssh-config` take no --provider; this tells them which one.
            .env("VAGRANT_DEFAULT_PROVIDER", self.provider.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Runs one vagrant command; `ui` lines go to `log` as they come.
    pub fn run(&self, args: &[&str], log: &mut dyn FnMut(&str)) -> Result<Output> {
        let mut outs = self.run_many(&[args.iter().map(|s| s.to_string()).collect()], log)?;
        Ok(outs.remove(0))
    }

    /// Runs several vagrant commands at once (each a separate process) and waits for all.
    /// Fails with the first failing command's error, after every process has ended.
    pub fn run_many(&self, runs: &[Vec<String>], log: &mut dyn FnMut(&str)) -> Result<Vec<Output>> {
        let (tx, rx) = mpsc::channel::<(usize, String)>();
        let mut children = Vec::new();
        for (i, args) in runs.iter().enumerate() {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut child = self.command(&argv).spawn().with_context(|| {
                format!("starting {} {}", self.program.display(), args.join(" "))
            })?;
            let stdout = child.stdout.take().context("vagrant stdout")?;
            let mut stderr = child.stderr.take().context("vagrant stderr")?;
            let tx = tx.clone();
            let out_reader = std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send((i, line)).is_err() {
                        break;
                    }
                }
            });
            let err_reader = std::thread::spawn(move || {
                let mut s = String::new();
                let _ = stderr.read_to_string(&mut s);
                s
            });
            children.push((child, out_reader, err_reader));
        }
        drop(tx);
        let mut outs: Vec<Output> = runs.iter().map(|_| Output::default()).collect();
        for (i, raw) in rx {
            let Some(line) = machine::parse_line(&raw) else {
                continue;
            };
            if let Some((level, text)) = machine::ui_text(&line) {
                let who = if line.target.is_empty() {
                    "vagrant".to_string()
                } else {
                    line.target.clone()
                };
                for t in text.lines().filter(|t| !t.trim().is_empty()) {
                    log(&format!(
                        "{who}: {}{t}",
                        if level == "error" { "error: " } else { "" }
                    ));
                }
            }
            outs[i].lines.push(line);
        }
        let mut first_err = None;
        for (i, (mut child, out_reader, err_reader)) in children.into_iter().enumerate() {
            let status = child.wait().context("waiting for vagrant")?;
            let _ = out_reader.join();
            outs[i].stderr = err_reader.join().unwrap_or_default();
            if !status.success() && first_err.is_none() {
                first_err = Some(self.failure(&runs[i], &outs[i], status.code()));
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(outs),
        }
    }

    fn failure(&self, args: &[String], out: &Output, code: Option<i32>) -> anyhow::Error {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        match machine::error_exit(&out.lines) {
            Some(e) => explain(self.provider, &argv, &e),
            None => {
                let tail: Vec<&str> = out.stderr.lines().rev().take(10).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                classify(
                    Class::Provider,
                    format!(
                        "`vagrant {}` in {} exited with {}: {}",
                        args.join(" "),
                        self.dir.display(),
                        code.map_or("a signal".to_string(), |c| format!("code {c}")),
                        tail.join("\n")
                    ),
                )
            }
        }
    }
}

/// Whether `dir` holds a Vagrantfile (vagrant walks up parent folders otherwise, which could
/// pick some unrelated project's Vagrantfile).
pub fn has_vagrantfile(dir: &Path) -> bool {
    dir.join("Vagrantfile").is_file()
}
