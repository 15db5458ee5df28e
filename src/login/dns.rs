//! Do the dashboards' names resolve on this host, to the node that runs the ingress?
//!
//! Resolution goes through the system resolver (getaddrinfo, as the browser does): sslip.io
//! names need internet access, and resolvers with DNS-rebinding protection (dnsmasq's
//! `stop-dns-rebind`, many home routers) drop answers that point at private addresses. The
//! stage checks never notice, since they pass `curl --resolve`.
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

/// How long one name may take (getaddrinfo itself retries for up to ~10 s per server).
pub const TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Resolves to the ingress node's address.
    Resolves,
    /// Resolves, but not to the ingress node.
    WrongAddress,
    /// Does not resolve (NXDOMAIN, no answer, no DNS, a filtered private answer).
    Fails,
    /// Not asked: the dashboard is not installed yet.
    NotChecked,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Resolution {
    pub host: String,
    pub status: Status,
    /// The IPv4 addresses the resolver answered.
    pub addresses: Vec<String>,
    /// The address the name must resolve to (the ingress node's).
    pub expected: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Resolution {
    pub fn ok(&self) -> bool {
        self.status == Status::Resolves
    }
}

/// A name left unchecked, and why.
pub fn not_checked(host: &str, expected: Ipv4Addr, why: &str) -> Resolution {
    Resolution {
        host: host.to_string(),
        status: Status::NotChecked,
        addresses: Vec::new(),
        expected: expected.to_string(),
        error: Some(why.to_string()),
    }
}

/// Resolves `host` with the system resolver and judges the answer against `expected`.
pub fn resolve(host: &str, expected: Ipv4Addr) -> Resolution {
    let (tx, rx) = mpsc::channel();
    let h = host.to_string();
    // getaddrinfo cannot be cancelled: a thread that outlives the timeout is left to finish.
    std::thread::spawn(move || {
        let _ = tx.send(
            (h.as_str(), 80)
                .to_socket_addrs()
                .map(|a| a.collect::<Vec<_>>()),
        );
    });
    let (status, addresses, error) = match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(addrs)) => {
            let mut v4: Vec<Ipv4Addr> = addrs
                .iter()
                .filter_map(|a| match a.ip() {
                    IpAddr::V4(ip) => Some(ip),
                    IpAddr::V6(_) => None,
                })
                .collect();
            v4.dedup();
            let s = if v4.contains(&expected) {
                Status::Resolves
            } else if v4.is_empty() {
                Status::Fails
            } else {
                Status::WrongAddress
            };
            let err = (s == Status::Fails).then(|| "no IPv4 address in the answer".to_string());
            (s, v4.iter().map(ToString::to_string).collect(), err)
        }
        Ok(Err(e)) => (Status::Fails, Vec::new(), Some(e.to_string())),
        Err(_) => (
            Status::Fails,
            Vec::new(),
            Some(format!("no answer within {} s", TIMEOUT.as_secs())),
        ),
    };
    Resolution {
        host: host.to_string(),
        status,
        addresses,
        expected: expected.to_string(),
        error,
    }
}

/// Resolves every host at once (each name may take seconds).
pub fn resolve_all(hosts: &[String], expected: Ipv4Addr) -> Vec<Resolution> {
    let handles: Vec<_> = hosts
        .iter()
        .cloned()
        .map(|h| std::thread::spawn(move || resolve(&h, expected)))
        .collect();
    handles
        .into_iter()
        .zip(hosts)
        .map(|(t, h)| {
            t.join().unwrap_or_else(|_| Resolution {
                host: h.clone(),
                status: Status::Fails,
                addresses: Vec::new(),
                expected: expected.to_string(),
                error: Some("resolver thread panicked".into()),
            })
        })
        .collect()
}

/// The hosts file of this OS.
pub fn hosts_file() -> &'static str {
    if cfg!(windows) {
        r"C:\Windows\System32\drivers\etc\hosts"
    } else {
        "/etc/hosts"
    }
}

/// The hosts-file line that makes the failing names resolve (None when all resolve).
pub fn hosts_line(rs: &[Resolution]) -> Option<String> {
    let bad: Vec<&str> = rs
        .iter()
        .filter(|r| !r.ok() && r.status != Status::NotChecked)
        .map(|r| r.host.as_str())
        .collect();
    let ip = rs.first()?.expected.clone();
    (!bad.is_empty()).then(|| format!("{ip} {}", bad.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_resolve_and_are_judged() {
        // `localhost` is answered from the hosts file on every system, no DNS needed.
        let r = resolve("localhost", Ipv4Addr::LOCALHOST);
        assert_eq!(r.status, Status::Resolves, "{r:?}");
        let r = resolve("localhost", Ipv4Addr::new(192, 0, 2, 1));
        assert_eq!(r.status, Status::WrongAddress, "{r:?}");
        assert_eq!(hosts_line(&[r]).unwrap(), "192.0.2.1 localhost",);
    }
}
