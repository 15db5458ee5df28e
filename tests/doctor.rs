//! `mlk doctor` on real inputs: a networks.conf in a temp dir, the interface addresses and
//! routes of network namespaces this test creates, other cluster folders made by `mlk render`.
use mlk::doctor::{self, Status, facts};
use mlk::profile::{self, Hypervisor};
use mlk::provider::ProviderKind;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn load(yaml: &str) -> mlk::profile::Profile {
    let src = profile::Source {
        file: "test.yaml".into(),
        text: yaml.into(),
    };
    let rules = profile::validate::HostRules {
        vbox_ranges: None,
        vbox_source: "test".into(),
    };
    profile::load(&src, &profile::Overrides::default(), &rules).expect("profile")
}

/// The embedded mono profile with its node moved to `ip` and renamed `name`.
fn mono_at(name: &str, ip: &str) -> String {
    profile::embedded_source("mono")
        .expect("mono")
        .replace("name: mono", &format!("name: {name}"))
        .replace("192.168.56.10", ip)
}

fn check<'a>(checks: &'a [doctor::Check], id: &str) -> &'a doctor::Check {
    checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {checks:?}"))
}

#[test]
fn vbox_ranges_from_a_real_networks_conf() {
    // The thesis address, outside VirtualBox's default range.
    let p = load(&mono_at("thesis", "192.168.50.6"));
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let conf = dir.path().join("networks.conf");
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let mut f = facts::gather(&p, target, &home);
    let path = conf.display().to_string();

    // No file: VirtualBox's default applies, and the fix must keep it when creating the file.
    f.networks_conf = (path.clone(), std::fs::read_to_string(&conf).ok());
    let c = check(&doctor::checks(&p, target, &f), "vbox-ranges").clone();
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("node1 192.168.50.6"), "{c:?}");
    let fix = c.fix.unwrap();
    assert!(fix.contains("'* 192.168.56.0/21 192.168.50.0/24'"), "{fix}");
    assert!(fix.contains(&format!("sudo tee {path}")), "{fix}");

    // A file that allows other ranges only: append the missing /24.
    std::fs::write(&conf, "* 10.0.0.0/8\n").unwrap();
    f.networks_conf = (path.clone(), std::fs::read_to_string(&conf).ok());
    let c = check(&doctor::checks(&p, target, &f), "vbox-ranges").clone();
    assert_eq!(c.status, Status::Fail);
    assert!(
        c.fix
            .unwrap()
            .contains(&format!("echo '* 192.168.50.0/24' | sudo tee -a {path}"))
    );

    // The documented fix line, applied: now it passes.
    std::fs::write(&conf, "* 10.0.0.0/8\n* 192.168.56.0/21 192.168.50.0/24\n").unwrap();
    f.networks_conf = (path, std::fs::read_to_string(&conf).ok());
    let c = check(&doctor::checks(&p, target, &f), "vbox-ranges").clone();
    assert_eq!(c.status, Status::Pass, "{c:?}");
}

#[test]
fn preflight_stops_on_fail_with_class_preflight_and_the_fix() {
    let p = load(&mono_at("thesis", "192.168.50.6"));
    let dir = tempfile::tempdir().unwrap();
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let mut f = facts::gather(&p, target, dir.path());
    f.networks_conf = ("/nonexistent/networks.conf".into(), None);
    let report = doctor::Report::new(&p, target, doctor::checks(&p, target, &f));
    assert!(report.fail >= 1);
    let err = doctor::preflight_verdict(&report).unwrap_err();
    assert_eq!(mlk::exit::class_of(&err), mlk::exit::Class::Preflight);
    let msg = format!("{err:#}");
    assert!(
        msg.contains("FAIL [vbox-ranges]") && msg.contains("fix: "),
        "{msg}"
    );
    assert!(msg.contains("--skip-preflight"), "{msg}");
}

/// Runs `mlk` with `args` and parses its JSON report; returns (exit code, report).
fn doctor_json(prefix: &[&str], args: &[&str], env: &[(&str, &Path)]) -> (i32, Value) {
    let bin = assert_cmd::cargo::cargo_bin("mlk");
    let mut cmd = Command::new(prefix.first().copied().unwrap_or(bin.to_str().unwrap()));
    if !prefix.is_empty() {
        cmd.args(&prefix[1..]).arg(&bin);
    }
    cmd.args(args).env_remove("MLK_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run mlk");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn json_check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report}"))
}

#[test]
fn other_cluster_with_the_same_ips_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let other = home.join("other.yaml");
    std::fs::write(&other, mono_at("other", "192.168.56.10")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("mlk");
    let st = Command::new(&bin)
        .args(["render", "-p", other.to_str().unwrap(), "--out"])
        .arg(home.join("other/rendered"))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let args = [
        "--dir",
        home.to_str().unwrap(),
        "doctor",
        "--json",
        "--provider",
        "ssh",
    ];

    // Rendered but never brought up: a warning.
    let (code, r) = doctor_json(&[], &args, &[]);
    let c = json_check(&r, "other-clusters");
    assert_eq!(c["status"], "WARN", "{r}");
    assert!(c["detail"].as_str().unwrap().contains("other"), "{c}");
    assert_eq!(code, 0, "{r}");

    // Its state records a finished stage: it is running, so up must stop.
    let state = r#"{"format":1,"cluster":"other","stages":{"os-prep":{"node1":{"status":"done","input_hash":"x"}}}}"#;
    std::fs::write(home.join("other/state.json"), state).unwrap();
    let (code, r) = doctor_json(&[], &args, &[]);
    assert_eq!(json_check(&r, "other-clusters")["status"], "FAIL", "{r}");
    assert_eq!(code, 5, "exit class Preflight");

    // A profile on another /24 does not collide.
    let mine = home.join("mine.yaml");
    std::fs::write(&mine, mono_at("mine", "192.168.57.10")).unwrap();
    let args = [
        "--dir",
        home.to_str().unwrap(),
        "doctor",
        "--json",
        "--provider",
        "ssh",
        "-p",
        mine.to_str().unwrap(),
    ];
    let (_, r) = doctor_json(&[], &args, &[]);
    assert_eq!(json_check(&r, "other-clusters")["status"], "PASS", "{r}");
}

/// A network namespace for one test, deleted on drop (also when the test fails).
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Netns {
        let name = format!("mlk-dr{}-{tag}", std::process::id() % 100_000);
        ip(&["netns", "add", &name]);
        ip(&["-n", &name, "link", "set", "lo", "up"]);
        Netns(name)
    }
    /// An interface `name` (a veth whose peer stays in the namespace; the CI kernel has no
    /// dummy driver), up.
    fn link(&self, name: &str) {
        let peer = format!("{name}p");
        self.ip(&["link", "add", name, "type", "veth", "peer", "name", &peer]);
        self.ip(&["link", "set", name, "up"]);
        self.ip(&["link", "set", &peer, "up"]);
    }
    fn ip(&self, args: &[&str]) {
        let mut v = vec!["-n", self.0.as_str()];
        v.extend_from_slice(args);
        ip(&v);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("ip");
    assert!(
        out.status.success(),
        "ip {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Namespaces need root. CI runs as root and must not skip.
fn have_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: this test needs root"
    );
    eprintln!("skipping: creating network namespaces needs root");
    false
}

/// `mlk doctor --json` inside namespace `ns`, for the mono profile (192.168.56.10).
fn doctor_in(ns: &Netns, home: &Path, conf: &Path) -> Value {
    doctor_in_as(ns, home, conf, "virtualbox")
}

fn doctor_in_as(ns: &Netns, home: &Path, conf: &Path, provider: &str) -> Value {
    let args = [
        "--dir",
        home.to_str().unwrap(),
        "doctor",
        "--json",
        "--provider",
        provider,
    ];
    doctor_json(
        &["ip", "netns", "exec", &ns.0],
        &args,
        &[("MLK_VBOX_NETWORKS_CONF", conf)],
    )
    .1
}

#[test]
fn host_subnet_clash_in_a_real_namespace() {
    if !have_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("networks.conf");

    // Clean namespace (only lo): no clash.
    let clean = Netns::new("c");
    let r = doctor_in(&clean, dir.path(), &conf);
    assert_eq!(json_check(&r, "host-subnet")["status"], "PASS", "{r}");
    assert_eq!(json_check(&r, "vbox-ranges")["status"], "PASS", "{r}");

    // An interface with an address in the nodes' /24 (a docker bridge, a LAN): clash.
    let busy = Netns::new("b");
    busy.link("mlklan0");
    busy.ip(&["addr", "add", "192.168.56.5/24", "dev", "mlklan0"]);
    let r = doctor_in(&busy, dir.path(), &conf);
    let c = json_check(&r, "host-subnet");
    assert_eq!(c["status"], "FAIL", "{r}");
    let detail = c["detail"].as_str().unwrap();
    assert!(detail.contains("mlklan0 has 192.168.56.5/24"), "{detail}");
    // The fix names a /24 that is free in this namespace.
    assert!(c["fix"].as_str().unwrap().contains("192.168.57.10"), "{c}");

    // VirtualBox's own host-only interface on .1 is the lab's network, not a clash.
    let vbox = Netns::new("v");
    vbox.link("vboxnet0");
    vbox.ip(&["addr", "add", "192.168.56.1/24", "dev", "vboxnet0"]);
    let c = json_check(&doctor_in(&vbox, dir.path(), &conf), "host-subnet").clone();
    assert_eq!(c["status"], "PASS", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("vboxnet0 192.168.56.1/24"),
        "{c}"
    );

    // ...but only VirtualBox's: under libvirt a vboxnet0 holding 192.168.56.1 is in the way
    // of the libvirt network that wants the same /24.
    let c = json_check(
        &doctor_in_as(&vbox, dir.path(), &conf, "libvirt"),
        "host-subnet",
    )
    .clone();
    assert_eq!(c["status"], "FAIL", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("vboxnet0 has 192.168.56.1/24"),
        "{c}"
    );
    // And the other way round: libvirt's bridge is libvirt's own side, not VirtualBox's.
    let virbr = Netns::new("l");
    virbr.link("virbr1");
    virbr.ip(&["addr", "add", "192.168.56.1/24", "dev", "virbr1"]);
    let c = json_check(
        &doctor_in_as(&virbr, dir.path(), &conf, "libvirt"),
        "host-subnet",
    )
    .clone();
    assert_eq!(c["status"], "PASS", "{c}");
    assert!(
        c["detail"].as_str().unwrap().contains("libvirt's own"),
        "{c}"
    );
    let c = json_check(&doctor_in(&virbr, dir.path(), &conf), "host-subnet").clone();
    assert_eq!(c["status"], "FAIL", "{c}");

    // A VPN's broad route: the host-only /24 still wins, so only a warning...
    let vpn = Netns::new("r");
    vpn.link("vpn0");
    vpn.ip(&["addr", "add", "10.8.0.2/24", "dev", "vpn0"]);
    vpn.ip(&["route", "add", "192.168.0.0/16", "dev", "vpn0"]);
    let c = json_check(&doctor_in(&vpn, dir.path(), &conf), "host-subnet").clone();
    assert_eq!(c["status"], "WARN", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("192.168.0.0/16 via vpn0"),
        "{c}"
    );
    // ...but a route as specific as the nodes' /24 takes their traffic: clash.
    vpn.ip(&["route", "add", "192.168.56.0/24", "dev", "vpn0"]);
    let c = json_check(&doctor_in(&vpn, dir.path(), &conf), "host-subnet").clone();
    assert_eq!(c["status"], "FAIL", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("192.168.56.0/24 via vpn0"),
        "{c}"
    );
    // A reject route (the test lab's guard) carries nothing: no clash.
    let guard = Netns::new("g");
    guard.ip(&["route", "add", "unreachable", "192.168.56.0/24"]);
    let c = json_check(&doctor_in(&guard, dir.path(), &conf), "host-subnet").clone();
    assert_eq!(c["status"], "PASS", "{c}");
}

/// The embedded mono profile's `memory: N` line, whatever N is today.
fn mono_memory() -> String {
    let text = profile::embedded_source("mono").unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("memory: "))
        .expect("mono has a memory line");
    line.trim_start().to_string()
}

#[test]
fn memory_against_this_hosts_real_meminfo() {
    let dir = tempfile::tempdir().unwrap();
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    // Only Kubernetes itself (2 GiB), which any CI machine has free.
    let small = load(
        &profile::embedded_source("mono")
            .unwrap()
            .replace("{enabled: true}", "{enabled: false}")
            .replace(&mono_memory(), "memory: 2048"),
    );
    let f = facts::gather(&small, target, dir.path());
    let total = f.mem_total_mib.expect("/proc/meminfo has MemTotal");
    assert!(f.mem_available_mib.is_some_and(|a| a <= total));
    let c = check(&doctor::checks(&small, target, &f), "memory").clone();
    assert_eq!(c.status, Status::Pass, "{c:?}");
    // More than the machine has in total can never fit.
    let huge = (total + 1024).to_string();
    let big = load(
        &profile::embedded_source("mono")
            .unwrap()
            .replace(&mono_memory(), &format!("memory: {huge}")),
    );
    let c = check(&doctor::checks(&big, target, &f), "memory").clone();
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.fix.unwrap().contains("nodes[].memory"));
}

#[test]
fn disk_for_boxes_on_a_real_tiny_file_system() {
    if !have_root() {
        return;
    }
    // A 2 MiB tmpfs as VAGRANT_HOME, mounted in a private mount namespace (gone with it).
    let dir = tempfile::tempdir().unwrap();
    let boxes = dir.path().join("vagrant-home");
    std::fs::create_dir(&boxes).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("mlk");
    let script = format!(
        "mount -t tmpfs -o size=2m tmpfs '{}' && exec '{}' --dir '{}' doctor --json --provider libvirt",
        boxes.display(),
        bin.display(),
        dir.path().display()
    );
    let out = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .env("VAGRANT_HOME", &boxes)
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let disk = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "disk" && c["detail"].as_str().unwrap().starts_with("Vagrant boxes"))
        .unwrap_or_else(|| panic!("no boxes disk check in {r}"));
    assert_eq!(disk["status"], "FAIL", "{disk}");
    assert!(
        disk["detail"].as_str().unwrap().contains("0.0 GiB free"),
        "{disk}"
    );
    assert!(
        disk["fix"].as_str().unwrap().contains("VAGRANT_HOME"),
        "{disk}"
    );
    assert_eq!(out.status.code(), Some(5));
}

/// Facts for `p` with VirtualBox `vbox` and Vagrant `vagrant` as the version lines.
fn vbox_facts(p: &mlk::profile::Profile, vbox: &str, vagrant: &str) -> facts::Facts {
    let dir = tempfile::tempdir().unwrap();
    let mut f = facts::gather(p, ProviderKind::Vagrant(Hypervisor::Virtualbox), dir.path());
    f.vboxmanage = Some(Ok(vbox.into()));
    f.vagrant = Ok(vagrant.into());
    f
}

#[test]
fn vagrant_supports_the_virtualbox_releases_of_its_own_table() {
    // Vagrant's driver table (plugins/providers/virtualbox/driver/meta.rb): 7.0 from 2.3.2,
    // 7.1 from 2.4.2, 7.2 from 2.4.9 (docs/contracts.md).
    let p = load(&mono_at("vb", "192.168.56.10"));
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let status = |vbox: &str, vagrant: &str| {
        let f = vbox_facts(&p, vbox, vagrant);
        check(&doctor::checks(&p, target, &f), "vagrant").clone()
    };
    for (vbox, vagrant, want) in [
        ("6.1.50r161033", "Vagrant 2.2.19", Status::Pass),
        ("7.0.20r163906", "Vagrant 2.3.1", Status::Fail),
        ("7.0.20r163906", "Vagrant 2.3.2", Status::Pass),
        ("7.1.4r165100", "Vagrant 2.4.1", Status::Fail),
        ("7.1.4r165100", "Vagrant 2.4.2", Status::Pass),
        ("7.2.0r170228", "Vagrant 2.4.8", Status::Fail),
        ("7.2.0r170228", "Vagrant 2.4.9", Status::Pass),
        // A release the table does not know: Vagrant refuses it (VirtualBoxInvalidVersion).
        ("7.3.0r180000", "Vagrant 2.4.9", Status::Fail),
        ("8.0.0r190000", "Vagrant 2.4.9", Status::Fail),
    ] {
        let c = status(vbox, vagrant);
        assert_eq!(c.status, want, "VirtualBox {vbox} with {vagrant}: {c:?}");
    }
    let c = status("7.2.0r170228", "Vagrant 2.4.8");
    assert!(
        c.detail.contains("Vagrant 2.4.9 is the first release"),
        "{c:?}"
    );
    assert!(c.fix.unwrap().contains("upgrade Vagrant to 2.4.9"));
    let c = status("7.3.0r180000", "Vagrant 2.4.9");
    assert!(c.detail.contains("not in Vagrant's table"), "{c:?}");
    assert!(c.detail.contains("7.0, 7.1, 7.2"), "{c:?}");
}

#[test]
fn macos_with_virtualbox_7_skips_the_host_only_range_check_as_vagrant_does() {
    // Outside every networks.conf range: Linux fails it.
    let p = load(&mono_at("mac", "10.77.0.10"));
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let mut f = vbox_facts(&p, "7.0.20r163906", "Vagrant 2.3.3");
    f.networks_conf = ("/nonexistent/networks.conf".into(), None);
    f.os = "linux".into();
    assert_eq!(
        check(&doctor::checks(&p, target, &f), "vbox-ranges").status,
        Status::Fail
    );
    // macOS, VirtualBox 7.0, Vagrant 2.3.3: Vagrant does not check (validate_hostonly_ip!).
    f.os = "macos".into();
    let c = check(&doctor::checks(&p, target, &f), "vbox-ranges").clone();
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(c.detail.contains("macOS"), "{c:?}");
    // But Vagrant 2.3.2 still did, and VirtualBox 6.1 is checked on macOS too.
    f.vagrant = Ok("Vagrant 2.3.2".into());
    assert_eq!(
        check(&doctor::checks(&p, target, &f), "vbox-ranges").status,
        Status::Fail
    );
    f.vagrant = Ok("Vagrant 2.4.9".into());
    f.vboxmanage = Some(Ok("6.1.50r161033".into()));
    assert_eq!(
        check(&doctor::checks(&p, target, &f), "vbox-ranges").status,
        Status::Fail
    );
}

/// A fake /sys with the given modules loaded and, when set, KVM's enable_virt_at_load.
fn sys_with(modules: &[&str], virt_at_load: Option<&str>) -> tempfile::TempDir {
    let sys = tempfile::tempdir().unwrap();
    for m in modules {
        std::fs::create_dir_all(sys.path().join("module").join(m)).unwrap();
    }
    if let Some(v) = virt_at_load {
        let params = sys.path().join("module/kvm/parameters");
        std::fs::create_dir_all(&params).unwrap();
        std::fs::write(params.join("enable_virt_at_load"), format!("{v}\n")).unwrap();
    }
    sys
}

#[test]
fn kvm_modules_loaded_on_linux_6_12_warn_for_virtualbox() {
    use mlk::doctor::virt::kvm_state;
    let p = load(&mono_at("kvm", "192.168.56.10"));
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let mut f = vbox_facts(&p, "7.1.4r165100", "Vagrant 2.4.9");
    let kvm = |f: &facts::Facts| check(&doctor::checks(&p, target, f), "kvm").clone();

    // Linux 6.12, kvm_intel loaded, the default enable_virt_at_load=Y: VirtualBox cannot run.
    let sys = sys_with(&["kvm_intel", "kvm"], Some("Y"));
    f.kvm = Some(kvm_state(sys.path(), Some("6.12.3-amd64\n".into())));
    let c = kvm(&f);
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(c.detail.contains("VERR_VMX_IN_VMX_ROOT_MODE"), "{c:?}");
    let fix = c.fix.unwrap();
    assert!(fix.contains("sudo modprobe -r kvm_intel kvm"), "{fix}");
    assert!(fix.contains("options kvm enable_virt_at_load=0"), "{fix}");
    // AMD says VERR_SVM_IN_USE.
    let sys = sys_with(&["kvm_amd", "kvm"], Some("Y"));
    f.kvm = Some(kvm_state(sys.path(), Some("6.14.0-24-generic".into())));
    assert!(kvm(&f).detail.contains("VERR_SVM_IN_USE"));
    // The documented fix applied (enable_virt_at_load=0): fine.
    let sys = sys_with(&["kvm_intel", "kvm"], Some("N"));
    f.kvm = Some(kvm_state(sys.path(), Some("6.12.3-amd64".into())));
    assert_eq!(kvm(&f).status, Status::Pass);
    // Before 6.12 KVM holds VT-x only while its own VMs run.
    let sys = sys_with(&["kvm_intel", "kvm"], None);
    f.kvm = Some(kvm_state(sys.path(), Some("6.1.0-40-amd64".into())));
    assert_eq!(kvm(&f).status, Status::Pass);
    // No module loaded: nothing to say.
    let sys = sys_with(&[], None);
    f.kvm = Some(kvm_state(sys.path(), Some("6.12.3-amd64".into())));
    let c = kvm(&f);
    assert_eq!(c.status, Status::Pass, "{c:?}");
    // Other providers are not affected: libvirt is KVM.
    let lv = ProviderKind::Vagrant(Hypervisor::Libvirt);
    let f = facts::gather(&p, lv, tempfile::tempdir().unwrap().path());
    assert!(doctor::checks(&p, lv, &f).iter().all(|c| c.id != "kvm"));
}

#[test]
fn this_hosts_real_kvm_state_is_read() {
    // This machine's own /sys: whatever it holds, the reader agrees with /proc/modules.
    let k = mlk::doctor::virt::kvm_state(
        Path::new("/sys"),
        std::fs::read_to_string("/proc/sys/kernel/osrelease").ok(),
    );
    let modules = std::fs::read_to_string("/proc/modules").unwrap_or_default();
    for m in ["kvm_intel", "kvm_amd"] {
        let listed = modules.lines().any(|l| l.starts_with(&format!("{m} ")));
        if listed {
            assert!(k.modules.iter().any(|x| x == m), "{k:?}");
        }
    }
    assert!(
        k.kernel
            .is_some_and(|r| !r.is_empty() && !r.ends_with('\n'))
    );
}

#[test]
fn memory_keeps_a_reserve_for_the_host() {
    use mlk::doctor::capacity::{host_memory_for, host_reserve_mib};
    // A 16 GB laptop shows about 15.5 GiB: it keeps 3.9 GiB, so 11.6 GiB are left for VMs.
    let laptop = 15_872;
    assert_eq!(host_reserve_mib(laptop), 3968);
    assert_eq!(host_reserve_mib(4096), 2048);
    assert_eq!(host_reserve_mib(64 * 1024), 4096);
    let target = ProviderKind::Vagrant(Hypervisor::Virtualbox);
    let memory = |name: &str| {
        let p = load(profile::embedded_source(name).unwrap());
        let mut f = facts::gather(&p, target, tempfile::tempdir().unwrap().path());
        f.mem_total_mib = Some(laptop);
        f.mem_available_mib = Some(laptop - 1024);
        check(&doctor::checks(&p, target, &f), "memory").clone()
    };
    // mono's 18 GiB cannot fit; mono-lite's 8 GiB does, with the reserve kept.
    let c = memory("mono");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("keeps 3.9 GiB for itself"), "{c:?}");
    assert!(c.fix.unwrap().contains("mono-lite"));
    let c = memory("mono-lite");
    assert_eq!(c.status, Status::Pass, "{c:?}");
    // A VM that fits the total but not the total minus the reserve fails (no reserve before).
    let p = load(&mono_memory_at(14 * 1024));
    let mut f = facts::gather(&p, target, tempfile::tempdir().unwrap().path());
    f.mem_total_mib = Some(laptop);
    f.mem_available_mib = Some(laptop);
    assert_eq!(
        check(&doctor::checks(&p, target, &f), "memory").status,
        Status::Fail
    );
    // The smallest host for a profile leaves its VMs whole after the reserve.
    for vm in [2048, 8192, 12 * 1024, 18 * 1024] {
        let h = host_memory_for(vm);
        assert!(h - host_reserve_mib(h) >= vm, "{vm}: {h}");
        assert!(
            h - 256 - host_reserve_mib(h - 256) < vm,
            "{vm}: {h} is not the smallest"
        );
    }
}

/// mono with every add-on off and `mib` of memory.
fn mono_memory_at(mib: u32) -> String {
    profile::embedded_source("mono")
        .unwrap()
        .replace("{enabled: true}", "{enabled: false}")
        .replace(&mono_memory(), &format!("memory: {mib}"))
}

/// The inotify check reads os-prep's sysctls from the render it is given (`mlk up`'s own):
/// the real script passes the node side; one without the sysctls fails, naming the stage.
#[test]
fn inotify_reads_os_prep_from_the_given_render() {
    let p = load(profile::embedded_source("distributed").unwrap());
    assert!(p.components.kubeflow.enabled, "the check needs Kubeflow");
    let target = ProviderKind::Vagrant(Hypervisor::Libvirt);
    let home = tempfile::tempdir().unwrap();
    let mut rendered = mlk::render::render_all(&p).unwrap();
    let report = doctor::run_with(&p, target, home.path(), &rendered);
    let c = check(&report.checks, "inotify");
    assert_eq!(c.status, Status::Pass, "{c:?}");
    assert!(c.detail.contains("stage os-prep sets 2280 / "), "{c:?}");

    let script = rendered.get_mut("stages/os-prep.sh").unwrap();
    *script = script
        .lines()
        .filter(|l| !l.contains("fs.inotify."))
        .collect::<Vec<_>>()
        .join("\n");
    let report = doctor::run_with(&p, target, home.path(), &rendered);
    let c = check(&report.checks, "inotify");
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(c.detail.contains("instances None, watches None"), "{c:?}");
}

/// `mlk doctor` renders os-prep alone (`render::stage_script`, its template and the shared
/// partials): the same text as the whole render's, for every script stage of every embedded
/// profile on both distributions.
#[test]
fn a_stage_script_alone_is_the_whole_renders() {
    for name in profile::embedded_names() {
        for d in mlk::distribution::Distribution::ALL {
            let src = profile::Source::resolve(&name).unwrap();
            let over = profile::Overrides {
                provider: None,
                distribution: Some(d),
            };
            let rules = profile::validate::HostRules {
                vbox_ranges: None,
                vbox_source: "test".into(),
            };
            let p = profile::load(&src, &over, &rules).unwrap();
            let all = mlk::render::render_all(&p).unwrap();
            let ids: Vec<_> = mlk::plan::stages::script_stages(&p).collect();
            assert!(ids.contains(&mlk::catalogue::StageId::OsPrep), "{name}");
            for id in ids {
                let alone = mlk::render::stage_script(&p, id).unwrap();
                assert_eq!(alone, all[&id.script_path()], "{name} {d:?} {id}");
            }
        }
    }
}
