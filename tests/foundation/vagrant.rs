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

/// Vagrant's own configuration loader (lib/vagrant/vagrantfile.rb, `machine_config` without
/// the provider usability check, so Hyper-V's config loads on Linux) prints what each
/// machine gets under a provider after the provider block's overrides are merged.
const PROBE: &str = r##"
require "vagrant"
env = Vagrant::Environment.new(cwd: Dir.pwd, ui_class: Vagrant::UI::Silent)
env.vagrantfile.machine_names.each do |m|
  cfg = env.vagrantfile.machine_config(m, ARGV[0].to_sym, env.boxes, nil, false)[:config]
  nets = cfg.vm.networks.select { |t, _| t == :private_network }.map { |_, o| "#{o[:ip]}|#{o[:bridge]}" }
  pc = cfg.vm.get_provider_config(ARGV[0].to_sym)
  puts [m, cfg.vm.box, cfg.vm.box_version, nets.join(";"), pc.respond_to?(:maxmemory) ? pc.maxmemory.inspect : "-"].join(" ")
end
"##;

/// Runs [`PROBE`] on `vagrantfile` for `provider`; None when Vagrant's Ruby library is not
/// loadable with the system `ruby` (HashiCorp's packages embed their own).
fn probe(vagrantfile: &str, provider: &str) -> Option<String> {
    let dir = write_vagrantfile(vagrantfile);
    std::fs::write(dir.path().join("probe.rb"), PROBE).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("ruby")
        .args(["probe.rb", provider])
        .current_dir(dir.path())
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .env("VAGRANT_HOME", home.path())
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && err.contains("cannot load such file -- vagrant") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true: Debian's vagrant must be loadable from ruby"
        );
        eprintln!("SKIP: Vagrant's Ruby library is not loadable: {err}");
        return None;
    }
    assert!(out.status.success(), "probe failed: {err}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn vagrant_merges_the_hyperv_overrides_into_one_network_with_the_switch() {
    if !have("vagrant") || !have("ruby") {
        return;
    }
    let vf = render("distributed", Hypervisor::Hyperv)["Vagrantfile"].clone();
    let Some(hv) = probe(&vf, "hyperv") else {
        return;
    };
    // One private network per machine, with its address and the switch (no second one, so
    // no prompt), the pinned Hyper-V box, and no dynamic memory.
    assert_eq!(
        hv.lines().collect::<Vec<_>>(),
        [
            "node1 generic/ubuntu2204 4.3.12 192.168.56.20|Default Switch nil",
            "node2 generic/ubuntu2204 4.3.12 192.168.56.21|Default Switch nil",
            "node3 generic/ubuntu2204 4.3.12 192.168.56.22|Default Switch nil",
        ],
        "{hv}"
    );
    // VirtualBox gets the plain network and the main box.
    let vb = probe(&vf, "virtualbox").unwrap();
    assert!(
        vb.starts_with("node1 bento/ubuntu-24.04 202510.26.0 192.168.56.20| -"),
        "{vb}"
    );
    // The fixture's own switch, and maxmemory where it exceeds memory.
    let p = super::meaning::full_under_hyperv();
    let vf = mlk::render::render_all(&p).unwrap()["Vagrantfile"].clone();
    let hv = probe(&vf, "hyperv").unwrap();
    assert!(
        hv.lines()
            .any(|l| l == "cp1 generic/ubuntu2204 4.3.12 192.168.57.20|mlk-nat 12288"),
        "{hv}"
    );
    assert!(
        hv.lines()
            .any(|l| l == "w1 generic/ubuntu2204 4.3.12 192.168.57.21|mlk-nat nil"),
        "{hv}"
    );
}
