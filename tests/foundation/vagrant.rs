//! The real `vagrant validate --ignore-provider` on every rendered Vagrantfile.
use super::common::{PROFILES, have, render};
use mlk::profile::Hypervisor;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `vagrant validate` in `dir`, with its own VAGRANT_HOME and no update checks
/// (nothing leaves the machine).
fn validate(dir: &Path) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new("vagrant")
        .args(["validate", "--ignore-provider"])
        .current_dir(dir)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .env("VAGRANT_HOME", home.path())
        .output()
        .unwrap()
}

fn write_vagrantfile(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Vagrantfile"), text).unwrap();
    dir
}

#[test]
fn vagrant_validates_every_rendered_vagrantfile() {
    if !have("vagrant") {
        return;
    }
    // Vagrant takes ~2 s to start; run the six validations side by side.
    let jobs: Vec<_> = PROFILES
        .iter()
        .flat_map(|p| Hypervisor::ALL.map(|prov| (p.to_string(), prov)))
        .map(|(p, prov)| {
            std::thread::spawn(move || {
                let dir = write_vagrantfile(&render(&p, prov)["Vagrantfile"]);
                (p, prov, validate(dir.path()))
            })
        })
        .collect();
    // The fixture with every option set (qemu driver, no linked clones, maxmemory, Hyper-V box).
    let full = super::common::fixture("profiles/good/full.yaml");
    let jobs = jobs.into_iter().chain([std::thread::spawn(move || {
        let p = super::common::load(full.to_str().unwrap(), None);
        let files = mlk::render::render_all(&p).unwrap();
        let dir = write_vagrantfile(&files["Vagrantfile"]);
        ("full".to_string(), p.provider, validate(dir.path()))
    })]);
    for j in jobs {
        let (p, prov, out) = j.join().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("validated successfully"),
            "{p}/{prov:?}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Negative control: the same validation fails on a broken Vagrantfile, so a pass means something.
#[test]
fn vagrant_validate_rejects_corrupted_vagrantfiles() {
    if !have("vagrant") {
        return;
    }
    let good = render("mono", Hypervisor::Virtualbox)["Vagrantfile"].clone();
    // A Ruby syntax error: the closing `end` of the configure block is gone.
    let syntax = good.trim_end().strip_suffix("end").unwrap().to_string();
    // Valid Ruby, invalid Vagrant configuration: no box.
    let semantic = good.replace(
        "config.vm.box = 'bento/ubuntu-24.04'",
        "config.vm.box = nil",
    );
    assert_ne!(semantic, good);
    for (what, text) in [("syntax", syntax), ("no box", semantic)] {
        let dir = write_vagrantfile(&text);
        let out = validate(dir.path());
        assert!(
            !out.status.success(),
            "vagrant accepted a Vagrantfile with a {what} error"
        );
    }
}
