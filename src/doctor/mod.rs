//! `mlk doctor`: host checks before anything is created, each PASS/WARN/FAIL with the fix.
//!
//! Facts are gathered once (`facts::gather`, the only part that touches the host); every check
//! is a pure function of the profile and those facts, so tests feed them real inputs.
//! `mlk up` runs the same checks through [`preflight`] and stops on any FAIL.
pub mod arch;
pub mod capacity;
pub mod facts;
pub mod host;
pub mod network;
pub mod os;
pub mod tools;
pub mod virt;

use crate::exit::{Class, classify};
use crate::profile::{Hypervisor, Profile};
use crate::provider::ProviderKind;
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable id: arch, vagrant, provider, vbox-ranges, host-subnet, memory, cpus, disk, virtualization,
    /// kvm, inotify, other-clusters.
    pub id: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// For every non-pass: the command or setting that fixes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn pass(id: &'static str, detail: impl Into<String>) -> Check {
        Check {
            id,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }
    pub fn warn(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            id,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    pub fn fail(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            id,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// For fixes that edit the profile: how to get an editable copy of an embedded one.
pub fn copy_hint(p: &Profile) -> String {
    if crate::profile::embedded_source(&p.name).is_some() {
        format!(
            " (`{}` is built in: `mlk profile show {} > {}.yaml` gives a copy to edit; then `mlk up -p ./{}.yaml`)",
            p.name, p.name, p.name, p.name
        )
    } else {
        String::new()
    }
}

/// Every check for `p` on `target`, from already gathered facts.
pub fn checks(p: &Profile, target: ProviderKind, f: &facts::Facts) -> Vec<Check> {
    let mut v = vec![arch::check(target, f)];
    if let ProviderKind::Vagrant(provider) = target {
        v.push(tools::vagrant(f, provider));
        v.push(tools::provider(f, provider));
        if provider == Hypervisor::Virtualbox {
            v.push(network::vbox_ranges(p, f));
        }
        v.push(network::host_subnet(p, provider, f));
        v.push(capacity::memory(p, f));
        v.push(capacity::cpus(p, f));
        v.extend(capacity::disks(p, f));
        v.push(virt::virtualization(p, provider, f));
        v.extend(virt::kvm(f));
    }
    v.push(virt::inotify(p, target, f));
    v.push(network::other_clusters(p, f));
    v
}

/// The doctor's full answer.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub cluster: String,
    pub target: String,
    pub checks: Vec<Check>,
    pub pass: usize,
    pub warn: usize,
    pub fail: usize,
}

impl Report {
    pub fn new(p: &Profile, target: ProviderKind, checks: Vec<Check>) -> Report {
        let count = |s| checks.iter().filter(|c| c.status == s).count();
        Report {
            cluster: p.name.clone(),
            target: target.as_str().to_string(),
            pass: count(Status::Pass),
            warn: count(Status::Warn),
            fail: count(Status::Fail),
            checks,
        }
    }

    /// Human-readable lines: status, id, detail, and the fix under each non-pass.
    pub fn to_text(&self) -> String {
        let mut s = format!("mlk doctor: cluster {} on {}\n", self.cluster, self.target);
        for c in &self.checks {
            s.push_str(&format!(
                "{:<4}  {:<15} {}\n",
                c.status.as_str(),
                c.id,
                c.detail
            ));
            if let Some(fix) = &c.fix {
                s.push_str(&format!("      {:<15} fix: {fix}\n", ""));
            }
        }
        s.push_str(&format!(
            "{} passed, {} warning(s), {} failed\n",
            self.pass, self.warn, self.fail
        ));
        s
    }
}

/// Gathers the facts and runs every check.
pub fn run(p: &Profile, target: ProviderKind, home: &Path) -> Report {
    let f = facts::gather(p, target, home);
    Report::new(p, target, checks(p, target, &f))
}

/// [`run`] on the render `mlk up` already made (its os-prep script, for the inotify check):
/// the preflight renders nothing of its own.
pub fn run_with(
    p: &Profile,
    target: ProviderKind,
    home: &Path,
    rendered: &crate::render::Rendered,
) -> Report {
    let os_prep = rendered
        .get(&crate::catalogue::StageId::OsPrep.script_path())
        .cloned();
    let f = facts::gather_with(p, target, home, os_prep);
    Report::new(p, target, checks(p, target, &f))
}

/// What `mlk up` runs first: prints warnings, and fails with class Preflight on any FAIL.
pub fn preflight(p: &Profile, target: ProviderKind, home: &Path) -> Result<()> {
    let report = run(p, target, home);
    preflight_verdict(&report)
}

/// The preflight decision for a finished report (separate so it can be tested on real facts).
pub fn preflight_verdict(report: &Report) -> Result<()> {
    for c in report.checks.iter().filter(|c| c.status == Status::Warn) {
        eprintln!("mlk: preflight warning [{}]: {}", c.id, c.detail);
    }
    let failed: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Fail)
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let mut msg = format!("preflight: {} check(s) failed", failed.len());
    for c in failed {
        msg.push_str(&format!("\n  FAIL [{}] {}", c.id, c.detail));
        if let Some(fix) = &c.fix {
            msg.push_str(&format!("\n       fix: {fix}"));
        }
    }
    msg.push_str("\n  (`mlk doctor` shows every check; `mlk up --skip-preflight` runs anyway)");
    Err(classify(Class::Preflight, msg))
}
