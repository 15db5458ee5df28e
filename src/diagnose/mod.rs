//! The diagnostics bundle: one `diagnostics-<timestamp>.tar.gz` in the cluster folder with
//! what is needed to understand a failed run, secrets redacted, written atomically.
//!
//! Contents (each missing piece becomes a line in NOTES.txt, never an error): the mlk log,
//! the rke-up stage's output from it, state.json, the rendered files, `vagrant status
//! --machine-readable` and `vagrant ssh-config` when the cluster has a Vagrant machine
//! folder, and `kubectl get nodes,pods -A -o wide`, the events and `helm list -A` run on this
//! host with the cluster's kubeconfig when one exists (local, so it works when SSH does not).
pub mod redact;
mod run;

use crate::layout;
use anyhow::{Context, Result};
use redact::Redactor;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Largest file put into a bundle (a long run's mlk.log is a few MB).
const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Bound on each command the bundle runs.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// The bundle being assembled: (path inside the archive, redacted text) plus notes.
struct Bundle {
    redactor: Redactor,
    files: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Bundle {
    fn add(&mut self, name: &str, text: &str) {
        self.files
            .push((name.to_string(), self.redactor.redact(text)));
    }
    fn note(&mut self, n: impl Into<String>) {
        self.notes.push(n.into());
    }
    fn add_file(&mut self, name: &str, path: &Path) {
        // Regular files only (a FIFO would hang the bundle), and bounded.
        match crate::fsutil::read_input(path, MAX_FILE) {
            Ok(b) => self.add(name, &String::from_utf8_lossy(&b)),
            Err(e) => self.note(format!("{name}: not included ({}: {e})", path.display())),
        }
    }
    fn add_command(&mut self, name: &str, cwd: &Path, cmd: &str, args: &[&str]) {
        match run::capture(cmd, args, cwd, COMMAND_TIMEOUT) {
            Ok(out) => self.add(name, &out),
            Err(e) => self.note(format!(
                "{name}: `{cmd} {}` did not run: {e}",
                args.join(" ")
            )),
        }
    }
}

/// UTC timestamp for file names: 20261123T101500Z.
pub fn stamp(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s.replace(['-', ':'], "")
}

/// Lines of the mlk log that belong to stage `stage` (format `TIME NODE STAGE | LINE`).
pub fn stage_lines(log: &str, stage: &str) -> String {
    log.lines()
        .filter(|l| l.split_whitespace().nth(2) == Some(stage))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Writes the bundle for the cluster in `dir` and returns its path.
pub fn write(dir: &Path) -> Result<PathBuf> {
    anyhow::ensure!(dir.is_dir(), "{} is not a cluster folder", dir.display());
    crate::state::folder::secure(dir);
    let ts = stamp(SystemTime::now());
    let files = layout::of(dir);
    let mut b = Bundle {
        redactor: Redactor::from_secrets_dir(&files.secrets()),
        files: Vec::new(),
        notes: vec![format!(
            "mlk {} diagnostics for {} at {ts}",
            env!("CARGO_PKG_VERSION"),
            dir.display()
        )],
    };
    b.note(format!(
        "secrets: {} value(s) from secrets/ and known patterns replaced by {}",
        b.redactor.known(),
        redact::MASK
    ));
    let log = files.log();
    b.add_file("mlk.log", &log);
    let log_text =
        crate::fsutil::read_input(&log, MAX_FILE).map(|b| String::from_utf8_lossy(&b).into_owned());
    if let Ok(l) = &log_text {
        let hints = crate::advice::hints_for(l);
        if !hints.is_empty() {
            b.add("advice.txt", &hints);
        }
    }
    // The stage that makes the cluster (rke-up or rke2-up): its output, on its own, is what a
    // failure needs.
    let dist = crate::distribution::Distribution::of_cluster(dir);
    let k8s = dist.kubernetes_stage();
    match log_text.map(|l| stage_lines(&l, k8s.as_str())) {
        Ok(out) if !out.is_empty() => b.add(&format!("{k8s}.log"), &out),
        _ => b.note(format!(
            "{k8s}.log: the log has no output of stage {k8s} (it did not run)"
        )),
    }
    // The nodes' own logs stay on the nodes (diagnose connects to none): say where they are.
    b.note(format!(
        "node logs ({}): not collected; on each node (`mlk ssh -c CLUSTER NODE -- COMMAND`):",
        dist.name()
    ));
    for (what, cmd) in dist.node_logs() {
        b.note(format!("  {what}: {cmd}"));
    }
    b.add_file("state.json", &files.state());
    add_tree(&mut b, &files.rendered(), "rendered");
    b.note("cluster.rkestate: never included (it holds the cluster's private keys)");
    host(&mut b, dir);
    vagrant(&mut b, dir);
    kube(&mut b, dir);
    let notes = b.notes.join("\n") + "\n";
    b.files.push(("NOTES.txt".into(), notes));
    // Two bundles in the same second (a failed `up` and a `diagnose`) must both be kept.
    let stem = (1..)
        .map(|n| {
            if n == 1 {
                format!("diagnostics-{ts}")
            } else {
                format!("diagnostics-{ts}-{n}")
            }
        })
        .find(|s| !files.diagnostics(s).exists())
        .unwrap_or_else(|| format!("diagnostics-{ts}"));
    let bytes = archive(&stem, &b.files)?;
    crate::fsutil::write_atomic_new(dir, &stem, "tar.gz", &bytes, 0o600)
}

fn add_tree(b: &mut Bundle, root: &Path, prefix: &str) {
    let mut stack = vec![root.to_path_buf()];
    let mut found = 0;
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            // Vagrant's machine folder holds private keys; its status is collected by command.
            if p.file_name().is_some_and(|n| n == ".vagrant") {
                continue;
            }
            // Half-written files of a killed run, and the render manifest, explain nothing.
            if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                crate::state::folder::is_temp(n) || n == crate::render::manifest::FILE
            }) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            // Never through a symlink: it could loop, or lead out of the cluster folder.
            if meta.file_type().is_symlink() {
                b.note(format!(
                    "{prefix}: {} is a symlink; not followed",
                    p.display()
                ));
                continue;
            }
            if meta.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                b.add_file(&format!("{prefix}/{}", rel.display()), &p);
                found += 1;
            }
        }
    }
    if found == 0 {
        b.note(format!(
            "{prefix}/: no rendered files in {}",
            root.display()
        ));
    }
}

/// This host at the time of the failure: tools, memory, CPUs, free disk, addresses.
fn host(b: &mut Bundle, dir: &Path) {
    use crate::doctor::host as h;
    let show = |r: Result<String, String>| r.unwrap_or_else(|e| format!("({e})"));
    let (total, avail) = crate::platform::host::memory_mib();
    let mut t = format!(
        "os: {}
vagrant: {}
VBoxManage: {}
memory MiB: total {}, available {}
cpus: {}
",
        std::env::consts::OS,
        show(h::first_line("vagrant", &["--version"])),
        show(h::first_line("VBoxManage", &["--version"])),
        total.map_or("unknown".into(), |v| v.to_string()),
        avail.map_or("unknown".into(), |v| v.to_string()),
        crate::platform::host::cpus(),
    );
    for (what, p) in [
        ("cluster folder", dir.to_path_buf()),
        ("Vagrant boxes", crate::doctor::facts::vagrant_home()),
    ] {
        let free = h::free_mib(&p).map_or("unknown".into(), |(_, m)| format!("{m} MiB"));
        t.push_str(&format!("free disk, {what} ({}): {free}\n", p.display()));
    }
    for i in h::interfaces().unwrap_or_default() {
        t.push_str(&format!("interface {} {}/{}\n", i.name, i.addr, i.prefix));
    }
    b.add("host.txt", &t);
}

fn vagrant(b: &mut Bundle, dir: &Path) {
    let Some(vdir) = layout::of(dir)
        .vagrant_dirs()
        .into_iter()
        .find(|d| d.join(".vagrant").is_dir())
    else {
        b.note("vagrant: no .vagrant machine folder (not a Vagrant cluster, or no VM was created)");
        return;
    };
    b.add_command(
        "vagrant-status.txt",
        &vdir,
        "vagrant",
        &["status", "--machine-readable"],
    );
    b.add_command("vagrant-ssh-config.txt", &vdir, "vagrant", &["ssh-config"]);
}

fn kube(b: &mut Bundle, dir: &Path) {
    let Some(kc) = layout::of(dir)
        .kubeconfigs()
        .into_iter()
        .find(|p| p.is_file())
    else {
        b.note("kubectl/helm: no kubeconfig in the cluster folder yet (the kubeconfig stage did not run)");
        return;
    };
    let kc = kc.display().to_string();
    let base = ["--kubeconfig", kc.as_str(), "--request-timeout=10s"];
    let mut a = base.to_vec();
    a.extend(["get", "nodes,pods", "-A", "-o", "wide"]);
    b.add_command("kubectl-get-nodes-pods.txt", dir, "kubectl", &a);
    let mut a = base.to_vec();
    a.extend(["get", "events", "-A", "--sort-by=.lastTimestamp"]);
    b.add_command("kubectl-events.txt", dir, "kubectl", &a);
    b.add_command(
        "helm-list.txt",
        dir,
        "helm",
        &["list", "-A", "--kubeconfig", kc.as_str()],
    );
}

/// A gzipped tar of `files` under folder `top`, every entry 0600.
pub fn archive(top: &str, files: &[(String, String)]) -> Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(mtime);
        h.set_cksum();
        tar.append_data(&mut h, format!("{top}/{name}"), text.as_bytes())
            .with_context(|| format!("adding {name} to the bundle"))?;
    }
    let gz = tar.into_inner().context("finishing the tar")?;
    gz.finish().context("finishing the gzip stream")
}
