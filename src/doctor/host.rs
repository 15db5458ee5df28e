//! Reads host facts: interface addresses, routes, memory, CPUs, free disk, CPU flags, sysctls,
//! tool versions. The only impure part of the doctor; each reader fails soft (None / Err text).
use ipnet::Ipv4Net;
use serde::Serialize;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One IPv4 address of one host interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Iface {
    pub name: String,
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Iface {
    pub fn net(&self) -> Ipv4Net {
        Ipv4Net::new(self.addr, self.prefix)
            .unwrap_or_else(|_| Ipv4Net::from(self.addr))
            .trunc()
    }
}

/// One IPv4 route of the main table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    pub iface: String,
    #[serde(serialize_with = "as_string")]
    pub net: Ipv4Net,
}

fn as_string<S: serde::Serializer>(v: &Ipv4Net, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The IPv4 addresses of every interface in this network namespace (the `sysinfo` crate:
/// getifaddrs(3) on Unix, as kubespray's Vagrantfile does with Socket.getifaddrs;
/// GetAdaptersAddresses on Windows).
pub fn interfaces() -> Result<Vec<Iface>, String> {
    Ok(crate::platform::host::ipv4_addresses()
        .into_iter()
        .map(|(name, addr, prefix)| Iface { name, addr, prefix })
        .collect())
}

/// The routing table's IPv4 routes (`platform::host::routes`), empty when it cannot be read.
pub fn routes() -> Vec<Route> {
    crate::platform::host::routes()
        .unwrap_or_default()
        .into_iter()
        .map(|(iface, net)| Route { iface, net })
        .collect()
}

/// Routes that carry traffic, from /proc/net/route (Linux): hex little-endian destination and
/// mask per line. Reject routes (`ip route add unreachable ...`, as the test lab's guard adds)
/// carry nothing and are left out.
pub fn parse_proc_route(text: &str) -> Vec<Route> {
    const RTF_UP: u32 = 0x1;
    const RTF_REJECT: u32 = 0x200;
    let hex = |s: &str| {
        u32::from_str_radix(s, 16)
            .ok()
            .map(|v| Ipv4Addr::from(v.swap_bytes()))
    };
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let flags = u32::from_str_radix(f.get(3)?, 16).ok()?;
            if flags & RTF_UP == 0 || flags & RTF_REJECT != 0 || f[0] == "*" {
                return None;
            }
            let (dest, mask) = (hex(f.get(1)?)?, hex(f.get(7)?)?);
            let net = Ipv4Net::new(dest, u32::from(mask).count_ones() as u8).ok()?;
            Some(Route {
                iface: f[0].to_string(),
                net,
            })
        })
        .collect()
}

/// (MemTotal, MemAvailable) in MiB from /proc/meminfo text.
pub fn parse_meminfo(text: &str) -> (Option<u64>, Option<u64>) {
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|kib| kib / 1024)
    };
    (get("MemTotal:"), get("MemAvailable:"))
}

/// Hardware-virtualisation flags of the first CPU in /proc/cpuinfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CpuFlags {
    pub vmx: bool,
    pub svm: bool,
    /// Set when this host is itself a VM.
    pub hypervisor: bool,
}

pub fn parse_cpuinfo(text: &str) -> Option<CpuFlags> {
    let line = text.lines().find(|l| l.starts_with("flags"))?;
    let flags: Vec<&str> = line.split(':').nth(1)?.split_whitespace().collect();
    Some(CpuFlags {
        vmx: flags.contains(&"vmx"),
        svm: flags.contains(&"svm"),
        hypervisor: flags.contains(&"hypervisor"),
    })
}

/// Free MiB for unprivileged users on the file system holding `path`, or its nearest
/// existing parent (the folder may not exist before the first run).
pub fn free_mib(path: &Path) -> Option<(PathBuf, u64)> {
    crate::platform::host::free_bytes(path).map(|(p, b)| (p, b / (1024 * 1024)))
}

/// Reads a small text file, None when it is absent or unreadable.
pub fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// A sysctl read from /proc/sys, e.g. `fs/inotify/max_user_instances` (Linux; None elsewhere,
/// where these limits do not exist).
pub fn sysctl(key: &str) -> Option<u64> {
    read(&format!("/proc/sys/{key}"))?.trim().parse().ok()
}

/// The first output line of `cmd args` (stdout, else stderr), or why it could not run.
pub fn first_line(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("`{cmd}` not found on PATH"),
            _ => format!("`{cmd}`: {e}"),
        })?;
    let text = if out.stdout.is_empty() {
        String::from_utf8_lossy(&out.stderr).into_owned()
    } else {
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let line = text.lines().next().unwrap_or("").trim().to_string();
    if out.status.success() {
        Ok(line)
    } else {
        Err(format!(
            "`{cmd} {}` failed ({}): {line}",
            args.join(" "),
            out.status
        ))
    }
}

/// All output of `cmd args` when it succeeds.
pub fn output(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(cmd)
        .args(args)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .output()
        .map_err(|e| format!("`{cmd}`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "`{cmd} {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Whether a Unix socket at `path` accepts a connection.
pub fn socket_connects(path: &Path) -> Result<(), String> {
    crate::platform::socket::unix_socket_connects(path)
}

/// A dotted version's leading numbers, e.g. "Vagrant 2.3.4" -> [2, 3, 4], "7.0.20r163906" -> [7, 0, 20].
pub fn version_numbers(s: &str) -> Vec<u32> {
    let start = s.find(|c: char| c.is_ascii_digit()).unwrap_or(s.len());
    s[start..]
        .split('.')
        .map_while(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .take(3)
        .collect()
}
