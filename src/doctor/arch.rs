//! Host architecture. Every binary mlk pins is a linux-amd64 build (versions.lock.yaml), and
//! Vagrant picks a box of the host's architecture, so on an arm64 host (Apple Silicon) the
//! VMs are arm64 and the first pinned binary fails with "exec format error". `mlk up` refuses
//! such a host before it creates anything; docs/architecture.md says what arm64 would need.
use super::Check;
use super::facts::Facts;
use crate::exit::{Class, classify};
use crate::provider::ProviderKind;
use anyhow::Result;

/// The one architecture mlk's pinned binaries and boxes are built for (Rust's name for amd64).
pub const SUPPORTED: &str = "x86_64";

/// What is missing for any other architecture.
pub const MISSING: &str = "every binary mlk pins (rke, kubectl, helm, kustomize in versions.lock.yaml) is a linux-amd64 build with an amd64 sha256, the profiles' boxes are amd64, and the component images were not checked for arm64 (docs/architecture.md)";

/// This host's architecture as Rust names it (`x86_64`, `aarch64`); `MLK_HOST_ARCH` pretends
/// another one, so tests can drive `mlk up` and `mlk doctor` as an arm64 host would.
pub fn host_arch() -> String {
    std::env::var("MLK_HOST_ARCH").unwrap_or_else(|_| std::env::consts::ARCH.to_string())
}

/// `aarch64 (arm64)`: Rust's name and, where it differs, the Debian/Docker one.
fn named(arch: &str) -> String {
    match arch {
        "aarch64" => "aarch64 (arm64)".into(),
        "x86_64" => "x86_64 (amd64)".into(),
        a => a.to_string(),
    }
}

/// The doctor's `arch` check.
pub fn check(target: ProviderKind, f: &Facts) -> Check {
    let id = "arch";
    match target {
        ProviderKind::Ssh => Check::pass(
            id,
            format!(
                "host {}; the nodes are existing machines, and os-prep checks that each is x86_64",
                named(&f.arch)
            ),
        ),
        ProviderKind::Vagrant(_) if f.arch == SUPPORTED => {
            Check::pass(id, format!("host {}", named(&f.arch)))
        }
        ProviderKind::Vagrant(p) => Check::fail(
            id,
            format!(
                "host {}: Vagrant would make {} VMs of this architecture, but {MISSING}; the nodes would fail with \"exec format error\"",
                named(&f.arch),
                p.as_str()
            ),
            "use an x86_64 host, or existing x86_64 machines with `mlk up --provider ssh --inventory FILE`",
        ),
    }
}

/// What `mlk up` runs first, even with `--skip-preflight`: no run can succeed on another
/// architecture, and failing later would leave half-made VMs behind.
pub fn require(target: ProviderKind, arch: &str) -> Result<()> {
    if matches!(target, ProviderKind::Ssh) || arch == SUPPORTED {
        return Ok(());
    }
    Err(classify(
        Class::Preflight,
        format!(
            "this host is {}, and mlk supports only x86_64 (amd64) hosts for VMs: {MISSING}.\n  fix: use an x86_64 host, or existing x86_64 machines with `mlk up --provider ssh --inventory FILE`",
            named(arch)
        ),
    ))
}
