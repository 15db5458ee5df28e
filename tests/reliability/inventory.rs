//! Findings 3 and 11: a `Host` given twice (OpenSSH would use the first, mlk the last) and
//! `Port 0` are errors naming the lines.
use super::{HostCluster, NOOP_STAGE, text};

#[test]
fn a_duplicate_host_block_is_an_error_naming_both_lines() {
    let inv = "Host node1\n  HostName 127.0.0.1\n  Port 2201\n\nHost node2\n  HostName 127.0.0.1\n\nHost node1\n  HostName 127.0.0.1\n  Port 2202\n";
    let err = mlk::inventory::parse(inv, "inv.cfg")
        .unwrap_err()
        .to_string();
    assert!(err.contains("inv.cfg:8"), "{err}");
    assert!(err.contains("line 1"), "{err}");
    assert!(err.contains("node1"), "{err}");
    // Keywords are case-insensitive, and so is OpenSSH's matching of the alias.
    assert!(mlk::inventory::parse("host a\nHOST a\n", "i").is_err());
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
