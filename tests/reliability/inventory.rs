//! Findings 3 and 11: a `Host` given twice (OpenSSH would use the first, mlk the last) and
//! `Port 0` are errors naming the lines. Issue 15: mlk reads a documented subset of
//! ssh_config(5) as OpenSSH does (checked against `ssh -G`) and refuses the rest.
use super::{HostCluster, NOOP_STAGE, text};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[test]
fn a_duplicate_host_block_is_an_error_naming_both_lines() {
    let inv = "Host node1\n  HostName 127.0.0.1\n  Port 2201\n\nHost node2\n  HostName 127.0.0.1\n\nHost node1\n  HostName 127.0.0.1\n  Port 2202\n";
    let err = mlk::inventory::parse(inv, "inv.cfg")
        .unwrap_err()
        .to_string();
    assert!(err.contains("inv.cfg:8"), "{err}");
    assert!(err.contains("line 1"), "{err}");
    assert!(err.contains("node1"), "{err}");
    // Keywords are case-insensitive. (OpenSSH 9.2 matches aliases case-sensitively; mlk
    // refuses `Host A` next to `Host a` too, since node names are lower case.)
    assert!(mlk::inventory::parse("host a\nHOST a\n", "i").is_err());
    assert!(mlk::inventory::parse("Host a\nHost A\n", "i").is_err());
}

#[test]
fn up_with_a_duplicate_host_exits_2() {
    let c = HostCluster::new(NOOP_STAGE);
    std::fs::write(
        &c.inventory,
        "Host node1\n  HostName 127.0.0.1\n  Port 1\nHost node1\n  HostName 127.0.0.1\n  Port 2\n",
    )
    .unwrap();
    let out = c.up("noop", &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(":4:") && err.contains("line 1"), "{err}");
}

#[test]
fn port_0_and_out_of_range_ports_are_refused() {
    for port in ["0", "65536", "-1", "22x"] {
        let e = mlk::inventory::parse(&format!("Host a\n  Port {port}\n"), "inv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("inv:2") && e.contains("1-65535"), "{port}: {e}");
    }
    assert_eq!(
        mlk::inventory::parse("Host a\n Port 65535\n", "i").unwrap()[0].port,
        65535
    );
}

/// An inventory in the shapes Vagrant's template and people write: `=` and whitespace
/// separators, keyword case, quotes, an escaped space, `#` comments, `~/`, a ProxyCommand whose
/// quotes, double space and `#` belong to it, `ProxyCommand none`, keywords mlk ignores.
const REPRESENTATIVE: &str = r#"# An inventory in the shapes Vagrant and people write.
Host node1
  HostName 192.168.121.221
  User vagrant
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile /var/tmp/mlk/.vagrant/machines/node1/libvirt/private_key
  IdentitiesOnly yes
  PreferredAuthentications gssapi-keyex,gssapi-with-mic,publickey,keyboard-interactive
  LogLevel FATAL

Host node2
  HostName=10.0.0.12
  port = 2202
  USER "va grant"
  IdentityFile "/tmp/with space/key"
  IdentityFile /tmp/a\ b/second     # a comment
  IdentityFile ~/.ssh/id_mlk
  ProxyCommand ip netns exec lab  nc -w 5 "%h" %p # kept: the rest of the line
  ForwardAgent yes
  ForwardX11 yes

host node3
	hostname	10.0.0.13
	user 'root'
	ProxyCommand=none
	IdentityFile=C:\Users\me\key
"#;

/// `ssh -G NAME -F FILE`: OpenSSH's reading of the file for NAME (makes no connection).
fn ssh_g(file: &std::path::Path, name: &str) -> BTreeMap<String, Vec<String>> {
    let out = std::process::Command::new("ssh")
        .arg("-G")
        .arg("-F")
        .arg(file)
        .arg(name)
        .output()
        .expect("run ssh -G");
    assert!(out.status.success(), "ssh -G {name}: {}", text(&out.stderr));
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text(&out.stdout).lines() {
        if let Some((k, v)) = line.split_once(' ') {
            m.entry(k.to_string()).or_default().push(v.to_string());
        }
    }
    m
}

#[test]
fn mlk_reads_a_representative_inventory_as_ssh_g_does() {
    if std::process::Command::new("ssh")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").is_err(),
            "ssh missing in CI (openssh-client)"
        );
        eprintln!("SKIP: no ssh client");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("inventory");
    std::fs::write(&file, REPRESENTATIVE).unwrap();
    let eps = mlk::inventory::read(&file).unwrap();
    let names: Vec<&str> = eps.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["node1", "node2", "node3"]);
    let home = dirs::home_dir().unwrap();
    for e in &eps {
        let g = ssh_g(&file, &e.name);
        let one = |k: &str| g[k][0].clone();
        assert_eq!(e.host, one("hostname"), "{}: HostName", e.name);
        assert_eq!(e.port.to_string(), one("port"), "{}: Port", e.name);
        assert_eq!(e.user, one("user"), "{}: User", e.name);
        let ids: Vec<PathBuf> = g["identityfile"]
            .iter()
            .map(|p| match p.strip_prefix("~/") {
                Some(rest) => home.join(rest),
                None => PathBuf::from(p),
            })
            .collect();
        assert_eq!(e.identity_files, ids, "{}: IdentityFile", e.name);
        let proxy = g.get("proxycommand").map(|v| v[0].clone());
        assert_eq!(e.proxy_command, proxy, "{}: ProxyCommand", e.name);
    }
    // What both read, spelled out: the escaped space, the quotes, the verbatim command.
    let n2 = &eps[1];
    assert_eq!((n2.port, n2.user.as_str()), (2202, "va grant"));
    assert_eq!(n2.identity_files[1], PathBuf::from("/tmp/a b/second"));
    assert_eq!(
        n2.proxy_command.as_deref(),
        Some(r#"ip netns exec lab  nc -w 5 "%h" %p # kept: the rest of the line"#)
    );
    assert_eq!(
        (eps[2].user.as_str(), &eps[2].proxy_command),
        ("root", &None)
    );
}

/// Each construct outside mlk's subset is refused, naming the file, the line and what is
/// allowed; OpenSSH would read each of them in a way a block-per-node reading does not.
#[test]
fn what_the_subset_does_not_have_is_refused_with_the_line() {
    let cases: &[(&str, &str, &str)] = &[
        // Match blocks apply by condition, to any host.
        (
            "Host node1\n  HostName 10.0.0.1\nMatch host node1\n  Port 2222\n",
            "inv:3",
            "`Match` is not supported",
        ),
        (
            "Include other.conf\nHost node1\n",
            "inv:1",
            "`Include` is not supported",
        ),
        (
            "Host node1\n  Include other.conf\n",
            "inv:2",
            "`Include` is not supported",
        ),
        // A pattern block would apply to several nodes (first value wins, in file order).
        (
            "Host node1\nHost *\n  User root\n",
            "inv:2",
            "patterns (`*`)",
        ),
        ("Host node?\n  User root\n", "inv:1", "patterns (`?`)"),
        ("Host !node1\n", "inv:1", "patterns (`!`)"),
        ("Host node1 node2\n", "inv:1", "names several hosts"),
        // Settings for every host.
        (
            "User root\nHost node1\n",
            "inv:1",
            "before the first Host line",
        ),
        // Keywords mlk would otherwise silently not honour.
        (
            "Host node1\n  ProxyJump bastion\n",
            "inv:2",
            "`ProxyJump` is not supported in an inventory; allowed: Host, HostName",
        ),
        (
            "Host node1\n  HostKeyAlias other\n",
            "inv:2",
            "`HostKeyAlias` is not supported",
        ),
        // OpenSSH takes the first; mlk says so instead of choosing.
        (
            "Host node1\n  HostName 10.0.0.1\n  hostname 10.0.0.2\n",
            "inv:3",
            "HostName is given twice in Host `node1` (first at line 2)",
        ),
        // Arguments OpenSSH refuses or expands.
        (
            "Host node1\n  HostName a b\n",
            "inv:2",
            "takes one value, not 2",
        ),
        ("Host node1\n  Port 22 x\n", "inv:2", "takes one value"),
        (
            "Host node1\n  User \"open\n",
            "inv:2",
            "a quote is not closed",
        ),
        ("Host node1\n  HostName %h.lab\n", "inv:2", "%-tokens"),
        (
            "Host node1\n  IdentityFile ~/.ssh/id_%u\n",
            "inv:2",
            "%-tokens",
        ),
        ("Host node1\n  IdentityFile ~other/key\n", "inv:2", "~user"),
        ("Host node1\n  HostName\n", "inv:2", "has no value"),
    ];
    for (inv, line, want) in cases {
        let e = mlk::inventory::parse(inv, "inv")
            .expect_err(inv)
            .to_string();
        assert!(e.starts_with(&format!("{line}: ")), "{inv:?}: {e}");
        assert!(e.contains(want), "{inv:?}: want {want:?} in {e}");
    }
    // The same file through `mlk up`: exit 2, the file named.
    let c = HostCluster::new(NOOP_STAGE);
    std::fs::write(
        &c.inventory,
        "Host node1\n  HostName 127.0.0.1\n  Port 1\nMatch all\n  Port 2\n",
    )
    .unwrap();
    let out = c.up("noop", &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}:4: `Match` is not supported",
            c.inventory.display()
        )),
        "{err}"
    );
}
