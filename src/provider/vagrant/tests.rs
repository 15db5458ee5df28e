//! Unit tests of the Vagrant provider's decisions (the CLI itself is exercised by
//! scripts/e2e-libvirt.sh and the tests under tests/vagrant_cli.rs).
use super::*;

fn names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("node{i}")).collect()
}

#[test]
fn libvirt_is_parallel_virtualbox_and_hyperv_sequential_by_default() {
    let lv = UpMode::choose(Hypervisor::Libvirt, None).unwrap();
    assert_eq!(lv, UpMode::Parallel);
    assert_eq!(
        lv.batches(Hypervisor::Libvirt, &names(3)),
        vec![vec![vec![
            "up",
            "--provider",
            "libvirt",
            "--no-destroy-on-error",
            "--parallel"
        ]]]
    );
    for h in [Hypervisor::Virtualbox, Hypervisor::Hyperv] {
        let m = UpMode::choose(h, Some("")).unwrap();
        assert_eq!(m, UpMode::Sequential);
        assert_eq!(
            m.batches(h, &names(3))[0][0].last().unwrap(),
            "--no-parallel"
        );
    }
}

#[test]
fn first_then_rest_starts_node1_alone_then_the_others_together() {
    let m = UpMode::choose(Hypervisor::Virtualbox, Some("first-then-rest")).unwrap();
    let b = m.batches(Hypervisor::Virtualbox, &names(3));
    assert_eq!(b.len(), 2);
    assert_eq!(b[0][0][4], "node1");
    assert_eq!(b[0].len(), 1);
    assert_eq!(b[1].len(), 2);
    assert_eq!(b[1][1].last().unwrap(), "node3");
    assert_eq!(m.batches(Hypervisor::Virtualbox, &names(1)).len(), 1);
    let err = UpMode::choose(Hypervisor::Libvirt, Some("fast")).unwrap_err();
    assert_eq!(crate::exit::class_of(&err), Class::Usage);
    assert!(
        err.to_string()
            .contains("allowed: parallel, sequential, first-then-rest")
    );
}

#[test]
fn first_ipv4_reads_ip_addr_output() {
    // `ip -4 -o addr show scope global` inside a Debian 12 guest.
    let out = "2: eth0    inet 172.29.80.7/20 brd 172.29.95.255 scope global dynamic eth0\\       valid_lft 86390sec preferred_lft 86390sec\n3: eth1    inet 192.168.56.10/24 brd 192.168.56.255 scope global eth1\\       valid_lft forever preferred_lft forever";
    assert_eq!(first_ipv4(out), Some(Ipv4Addr::new(172, 29, 80, 7)));
    assert_eq!(first_ipv4(""), None);
}

#[test]
fn vagrant_errors_become_provider_errors_with_advice() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/vagrant/status-virtualbox-missing.txt"
    ))
    .unwrap();
    let e = machine::error_exit(&machine::parse(&text)).unwrap();
    let err = cli::explain(Hypervisor::Virtualbox, &["status"], &e);
    assert_eq!(crate::exit::class_of(&err), Class::Provider);
    let msg = err.to_string();
    assert!(
        msg.contains("`vagrant status` failed (ProviderNotUsable)"),
        "{msg}"
    );
    assert!(msg.contains("hint: install VirtualBox"), "{msg}");
    let e = machine::ErrorExit {
        class: "Vagrant::Errors::BoxAddShortNotFound".into(),
        message: "The box 'mlk/none' could not be found".into(),
    };
    let msg = cli::explain(Hypervisor::Libvirt, &["up"], &e).to_string();
    assert!(msg.contains("vagrant box add"), "{msg}");
}

#[test]
fn ssh_config_file_reads_back_as_the_same_endpoints() {
    let eps = vec![
        Endpoint {
            name: "node1".into(),
            host: "192.168.121.44".into(),
            port: 22,
            user: "vagrant".into(),
            identity_files: vec![PathBuf::from("/c/my lab/ssh/id_ed25519")],
            proxy_command: None,
        },
        Endpoint {
            name: "node2".into(),
            host: "10.0.0.2".into(),
            port: 2222,
            user: "vagrant".into(),
            identity_files: vec![],
            proxy_command: Some("ip netns exec x nc %h %p".into()),
        },
    ];
    let back = crate::inventory::parse(&ssh_config(&eps), "t").unwrap();
    assert_eq!(back, eps);
}

fn provider_in(dir: &Path) -> VagrantProvider {
    VagrantProvider {
        vagrant: Vagrant {
            program: PathBuf::from("vagrant"),
            dir: dir.join("rendered"),
            provider: Hypervisor::Hyperv,
        },
        vm_box: BoxPin {
            name: "generic/ubuntu2204".into(),
            version: Some("4.3.12".into()),
        },
        cluster: "lab".into(),
        cluster_dir: dir.to_path_buf(),
        nodes: vec!["node1".into(), "node2".into()],
        mode: UpMode::Sequential,
        connect: Box::new(|ep| {
            Err(RemoteError::Fatal {
                node: ep.name.clone(),
                message: "no SSH in this test".into(),
            })
        }),
    }
}

fn at(name: &str, ip: &str) -> Endpoint {
    Endpoint {
        name: name.into(),
        host: ip.into(),
        port: 22,
        user: "vagrant".into(),
        identity_files: vec![],
        proxy_command: None,
    }
}

#[test]
fn hyperv_addresses_that_moved_after_a_host_reboot_are_refused_and_kept() {
    // hashicorp/vagrant#8384: the Default Switch's range changes at every host reboot.
    let dir = tempfile::tempdir().unwrap();
    let prov = provider_in(dir.path());
    let first = [at("node1", "172.29.80.7"), at("node2", "172.29.80.8")];
    prov.learn_addresses(&first, &mut |_| {}).unwrap();
    let saved = addresses::load(dir.path()).unwrap();
    assert_eq!(saved["node1"], Ipv4Addr::new(172, 29, 80, 7));
    // The same addresses again (a resumed `mlk up`, `mlk start` without a reboot): fine.
    prov.learn_addresses(&first, &mut |_| {}).unwrap();
    // After a reboot: node2 moved to another range.
    let after = [at("node1", "172.29.80.7"), at("node2", "172.22.144.3")];
    let err = prov.learn_addresses(&after, &mut |_| {}).unwrap_err();
    assert_eq!(crate::exit::class_of(&err), Class::Provider);
    let msg = err.to_string();
    assert!(
        msg.contains("node2 was 172.29.80.8 and is now 172.22.144.3"),
        "{msg}"
    );
    assert!(!msg.contains("node1 was"), "{msg}");
    assert!(msg.contains("hashicorp/vagrant#8384"), "{msg}");
    assert!(msg.contains("`mlk down -c lab --force`"), "{msg}");
    // The recorded addresses stay those the cluster was built on.
    assert_eq!(addresses::load(dir.path()).unwrap(), saved);
}

#[test]
fn ui_expects_tty_says_which_setting_answers_vagrants_question() {
    let e = machine::ErrorExit {
        class: "Vagrant::Errors::UIExpectsTTY".into(),
        message: "Vagrant is attempting to interface with the UI in a way that requires\na TTY."
            .into(),
    };
    let msg = cli::explain(Hypervisor::Hyperv, &["up"], &e).to_string();
    assert!(msg.contains("hyperv: {switch: NAME}"), "{msg}");
    assert!(msg.contains("Get-VMSwitch"), "{msg}");
}
