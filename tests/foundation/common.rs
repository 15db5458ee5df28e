//! Shared helpers: load and render profiles through the library, find the real binary and tools.
use mlk::profile::{self, Hypervisor, Overrides, Profile, validate::HostRules};
use mlk::render::Rendered;
use std::path::{Path, PathBuf};

pub const PROFILES: [&str; 3] = ["mono", "mono-lite", "distributed"];

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// VirtualBox's default rule, fixed so results do not depend on this host's networks.conf.
pub fn rules() -> HostRules {
    HostRules {
        vbox_ranges: Some(vec!["192.168.56.0/21".parse().unwrap()]),
        vbox_source: "test default".into(),
    }
}

/// An embedded profile (or a path) loaded with an optional provider override.
pub fn load(name: &str, provider: Option<Hypervisor>) -> Profile {
    let src = profile::Source::resolve(name).unwrap();
    profile::load(
        &src,
        &Overrides {
            provider,
            distribution: None,
        },
        &rules(),
    )
    .unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

/// An embedded profile loaded as `mlk up --distribution` would load it.
pub fn load_with(
    name: &str,
    provider: Option<Hypervisor>,
    d: mlk::distribution::Distribution,
) -> Profile {
    let src = profile::Source::resolve(name).unwrap();
    let o = Overrides {
        provider,
        distribution: Some(d),
    };
    profile::load(&src, &o, &rules()).unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

pub fn render(name: &str, provider: Hypervisor) -> Rendered {
    mlk::render::render_all(&load(name, Some(provider))).unwrap()
}

/// The real `mlk` binary cargo built for this test run.
pub fn mlk() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mlk"));
    // A networks.conf on this host must not change what the tests see.
    c.env(
        "MLK_VBOX_NETWORKS_CONF",
        "/nonexistent/mlk-test-networks.conf",
    );
    c
}

/// Whether `tool` is on PATH. Missing tools skip the test with a reason, except in CI
/// (CI=true), where .ci/run installs them and a skip would hide a broken setup.
pub fn have(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is not installed, but CI=true: .ci/run must install it"
        );
        eprintln!("SKIP: {tool} is not installed (apt-get install {tool}; see .ci/apt-packages)");
    }
    found
}

/// All rendered files, concatenated with headers: one reviewable snapshot per render.
pub fn combined(files: &Rendered) -> String {
    let mut s = String::new();
    for (path, text) in files {
        s.push_str(&format!("===== {path} =====\n{text}"));
        if !text.ends_with('\n') {
            s.push('\n');
        }
    }
    s
}
