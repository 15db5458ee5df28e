//! Host facts whose source differs by OS. Memory, CPUs, interface addresses and the host name
//! come from the `sysinfo` crate on every OS; free disk, routes and hardware virtualisation
//! from each OS's own source, as no maintained crate has them: statvfs(3) or
//! GetDiskFreeSpaceExW; /proc/net/route, `netstat -rn -f inet` or PowerShell's Get-NetRoute;
//! /proc/cpuinfo (read by the doctor), `kern.hv_support` or IsProcessorFeaturePresent plus
//! Win32_ComputerSystem.HypervisorPresent.
use ipnet::Ipv4Net;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// This machine's host name ("unknown-host" when the OS does not say).
pub fn hostname() -> String {
    sysinfo::System::host_name()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// (total, available) memory in MiB; None when the OS does not say.
pub fn memory_mib() -> (Option<u64>, Option<u64>) {
    let mut s = sysinfo::System::new();
    s.refresh_memory();
    let mib = |b: u64| (b > 0).then_some(b / (1024 * 1024));
    (mib(s.total_memory()), mib(s.available_memory()))
}

/// Logical CPUs this process may use.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Every IPv4 address of every interface: (interface name, address, prefix length).
pub fn ipv4_addresses() -> Vec<(String, Ipv4Addr, u8)> {
    let nets = sysinfo::Networks::new_with_refreshed_list();
    let mut out: Vec<(String, Ipv4Addr, u8)> = nets
        .iter()
        .flat_map(|(name, data)| {
            data.ip_networks().iter().filter_map(move |n| match n.addr {
                IpAddr::V4(a) => Some((name.clone(), a, n.prefix)),
                IpAddr::V6(_) => None,
            })
        })
        .collect();
    out.sort();
    out
}

/// Free bytes for unprivileged users on the file system holding `path`, or its nearest
/// existing parent (the folder may not exist before the first run).
pub fn free_bytes(path: &Path) -> Option<(PathBuf, u64)> {
    let existing = path.ancestors().find(|p| p.exists())?.to_path_buf();
    let free = sys::free_bytes(&existing)?;
    Some((existing, free))
}

/// IPv4 routes: (interface, destination). Reject and blackhole routes carry nothing and are
/// left out; `Err` says why the table could not be read.
pub fn routes() -> Result<Vec<(String, Ipv4Net)>, String> {
    sys::routes()
}

/// What this OS says about hardware virtualisation, where /proc/cpuinfo does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Virt {
    /// Hardware virtualisation usable by a hypervisor mlk starts (None: unknown).
    pub hardware: Option<bool>,
    /// A hypervisor already runs under this OS (Windows: Hyper-V, WSL 2 or Virtualization-based
    /// Security), so another one gets VT-x only through it.
    pub hypervisor: Option<bool>,
    /// Where the answer comes from, for messages.
    pub source: String,
}

/// The OS's answer on virtualisation (Linux: None; the doctor reads /proc/cpuinfo there).
pub fn virtualisation() -> Option<Virt> {
    sys::virtualisation()
}

/// `kern.hv_support` as `sysctl -n` prints it: "1" when Hypervisor.framework (and so VT-x on
/// an Intel Mac, the virtualisation extensions on Apple Silicon) is usable.
pub fn parse_hv_support(text: &str) -> Option<bool> {
    match text.trim() {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

/// `(Get-CimInstance Win32_ComputerSystem).HypervisorPresent` as PowerShell prints it.
pub fn parse_powershell_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "True" => Some(true),
        "False" => Some(false),
        _ => None,
    }
}

/// `netstat -rn -f inet` on macOS (BSD): `Destination Gateway Flags [Refs Use] Netif Expire`.
/// A destination drops trailing zero bytes and its mask when that is the natural one
/// (`127` is 127.0.0.0/8, `192.168.64` a /24, `10/16` says its mask); `default` is 0/0.
/// Link-layer entries (a MAC address as gateway: the ARP cache) are neighbours, not routes.
pub fn parse_netstat(text: &str) -> Vec<(String, Ipv4Net)> {
    let mut out = Vec::new();
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let (dest, gw, flags) = (f[0], f[1], f[2]);
        if !flags.contains('U') || flags.contains('R') || flags.contains('B') {
            continue;
        }
        if gw.contains(':') && !gw.starts_with("link#") {
            continue;
        }
        // Netif: the first column after the flags that is not a number (Refs, Use).
        let Some(netif) = f[3..]
            .iter()
            .find(|c| !c.chars().all(|ch| ch.is_ascii_digit()))
        else {
            continue;
        };
        if let Some(net) = bsd_destination(dest) {
            out.push((netif.to_string(), net));
        }
    }
    out
}

fn bsd_destination(dest: &str) -> Option<Ipv4Net> {
    if dest == "default" {
        return Some(Ipv4Net::default());
    }
    let (addr, len) = match dest.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
        None => (dest, None),
    };
    let parts: Vec<u8> = addr
        .split('.')
        .map(|p| p.parse::<u8>().ok())
        .collect::<Option<Vec<u8>>>()?;
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut o = [0u8; 4];
    o[..parts.len()].copy_from_slice(&parts);
    let len = len.unwrap_or(8 * parts.len() as u8);
    Ipv4Net::new(Ipv4Addr::from(o), len).ok().map(|n| n.trunc())
}

/// The PowerShell command whose output [`parse_get_netroute`] reads: one route a line,
/// `InterfaceAlias<TAB>DestinationPrefix`.
pub const GET_NETROUTE: &str = "Get-NetRoute -AddressFamily IPv4 | ForEach-Object { $_.InterfaceAlias + \"`t\" + $_.DestinationPrefix }";

/// Lines of [`GET_NETROUTE`]: `Ethernet<TAB>192.168.1.0/24`.
pub fn parse_get_netroute(text: &str) -> Vec<(String, Ipv4Net)> {
    let mut out: Vec<(String, Ipv4Net)> = text
        .lines()
        .filter_map(|l| {
            let (alias, prefix) = l.trim_end_matches('\r').rsplit_once('\t')?;
            Some((alias.to_string(), prefix.trim().parse().ok()?))
        })
        .collect();
    // The active and the persistent store list the same route twice.
    out.dedup();
    out
}

// Linux reads files instead.
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn command_output(cmd: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("`{cmd}`: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("`{cmd}` failed ({})", out.status))
    }
}

#[cfg(target_os = "linux")]
mod sys {
    use super::*;

    pub fn routes() -> Result<Vec<(String, Ipv4Net)>, String> {
        let text = std::fs::read_to_string("/proc/net/route")
            .map_err(|e| format!("/proc/net/route: {e}"))?;
        Ok(crate::doctor::host::parse_proc_route(&text)
            .into_iter()
            .map(|r| (r.iface, r.net))
            .collect())
    }

    pub fn virtualisation() -> Option<Virt> {
        None
    }

    pub fn free_bytes(p: &Path) -> Option<u64> {
        super::statvfs_free(p)
    }
}

#[cfg(target_os = "macos")]
mod sys {
    use super::*;

    pub fn routes() -> Result<Vec<(String, Ipv4Net)>, String> {
        command_output("netstat", &["-rn", "-f", "inet"]).map(|t| parse_netstat(&t))
    }

    pub fn virtualisation() -> Option<Virt> {
        let hv = command_output("sysctl", &["-n", "kern.hv_support"])
            .ok()
            .and_then(|t| parse_hv_support(&t));
        Some(Virt {
            hardware: hv,
            hypervisor: None,
            source: "sysctl kern.hv_support".into(),
        })
    }

    pub fn free_bytes(p: &Path) -> Option<u64> {
        super::statvfs_free(p)
    }
}

#[cfg(windows)]
mod sys {
    use super::*;

    fn powershell(script: &str) -> Result<String, String> {
        command_output(
            "powershell",
            &["-NoProfile", "-NonInteractive", "-Command", script],
        )
    }

    pub fn routes() -> Result<Vec<(String, Ipv4Net)>, String> {
        powershell(GET_NETROUTE).map(|t| parse_get_netroute(&t))
    }

    pub fn virtualisation() -> Option<Virt> {
        use windows_sys::Win32::System::Threading::{
            IsProcessorFeaturePresent, PF_VIRT_FIRMWARE_ENABLED,
        };
        // SAFETY: a plain query without pointers.
        let firmware = unsafe { IsProcessorFeaturePresent(PF_VIRT_FIRMWARE_ENABLED) } != 0;
        let hypervisor = powershell("(Get-CimInstance Win32_ComputerSystem).HypervisorPresent")
            .ok()
            .and_then(|t| parse_powershell_bool(&t));
        Some(Virt {
            // With a hypervisor running, Windows hides VT-x from itself: the flag then says nothing.
            hardware: (hypervisor != Some(true)).then_some(firmware),
            hypervisor,
            source: "IsProcessorFeaturePresent(PF_VIRT_FIRMWARE_ENABLED), Win32_ComputerSystem.HypervisorPresent".into(),
        })
    }

    pub fn free_bytes(p: &Path) -> Option<u64> {
        use std::os::windows::ffi::OsStrExt;
        use windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW;
        let wide: Vec<u16> = p.as_os_str().encode_wide().chain(Some(0)).collect();
        let mut free: u64 = 0;
        // SAFETY: a NUL-terminated wide string; the out pointers are valid or null.
        let ok = unsafe {
            GetDiskFreeSpaceExW(
                wide.as_ptr(),
                &mut free,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        (ok != 0).then_some(free)
    }
}

#[cfg(all(unix, not(any(target_os = "linux", target_os = "macos"))))]
mod sys {
    use super::*;

    pub fn routes() -> Result<Vec<(String, Ipv4Net)>, String> {
        Err("reading routes is not available on this OS".into())
    }

    pub fn virtualisation() -> Option<Virt> {
        Some(Virt {
            source: "not available on this OS".into(),
            ..Virt::default()
        })
    }

    pub fn free_bytes(p: &Path) -> Option<u64> {
        super::statvfs_free(p)
    }
}

#[cfg(unix)]
fn statvfs_free(p: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes into a zeroed struct we own; `c` is NUL-terminated.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)]
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn this_hosts_facts_are_plausible() {
        assert!(!hostname().is_empty());
        let (total, avail) = memory_mib();
        let (total, avail) = (total.unwrap(), avail.unwrap());
        assert!(total >= 256 && avail <= total, "{total} {avail}");
        assert!(cpus() >= 1);
        let addrs = ipv4_addresses();
        assert!(
            addrs.iter().any(|(_, a, p)| a.is_loopback() && *p == 8),
            "no 127.0.0.1/8 in {addrs:?}"
        );
        let t = tempfile::tempdir().unwrap();
        let (at, free) = free_bytes(&t.path().join("not/yet")).unwrap();
        assert_eq!(at, t.path());
        assert!(free > 0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn hostname_is_the_kernels() {
        let k = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(hostname(), k.trim());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_routes_come_from_proc_and_include_loopback_free_main_table() {
        let r = routes().unwrap();
        assert!(
            virtualisation().is_none(),
            "the doctor reads /proc/cpuinfo on Linux"
        );
        // Whatever the table holds, each entry is a real interface's.
        let names: Vec<String> = ipv4_addresses().into_iter().map(|(n, _, _)| n).collect();
        for (iface, _) in &r {
            assert!(
                names.contains(iface),
                "route via {iface}, not an interface in {names:?}"
            );
        }
    }

    /// Real `netstat -rn` of macOS, from syncthing's default-gateway test
    /// (vgcouso/syncthing internal/osutil/defgw_unix_test.go), and a newer one without the
    /// Refs/Use columns (a Mac with Apple's Virtualization bridge, bridge100); its last line,
    /// a reject route, is written here.
    #[test]
    fn macos_netstat_routes() {
        let old = "Routing tables

Internet:
Destination        Gateway            Flags        Refs      Use   Netif Expire
default            172.16.32.3        UGSc           47        0     en0
127                127.0.0.1          UCS             0        4     lo0
127.0.0.1          127.0.0.1          UH              9  1050839     lo0
169.254            link#4             UCS             0        0     en0
172.16.32/24       link#4             UCS            11        0     en0
172.16.32.1/32     link#4             UCS             1        0     en0
172.16.32.1        0:25:90:38:94:4    UHLWIir        49       26     en0   1160
172.16.32.3        0:14:4f:e7:39:6    UHLWI           0        0     en0   1149
";
        assert_eq!(
            parse_netstat(old),
            vec![
                ("en0".into(), net("0.0.0.0/0")),
                ("lo0".into(), net("127.0.0.0/8")),
                ("lo0".into(), net("127.0.0.1/32")),
                ("en0".into(), net("169.254.0.0/16")),
                ("en0".into(), net("172.16.32.0/24")),
                ("en0".into(), net("172.16.32.1/32")),
            ]
        );
        let new = "Routing tables

Internet:
Destination        Gateway            Flags           Netif Expire
default            10.0.1.1           UGScg             en0
default            link#15            UCSIg       bridge100      !
10/16              link#4             UCS               en0      !
192.168.105        link#15            UC          bridge100      !
203.0.113.7        127.0.0.1          UGHRS             lo0
";
        assert_eq!(
            parse_netstat(new),
            vec![
                ("en0".into(), net("0.0.0.0/0")),
                ("bridge100".into(), net("0.0.0.0/0")),
                ("en0".into(), net("10.0.0.0/16")),
                ("bridge100".into(), net("192.168.105.0/24")),
            ],
            "the reject route (R) carries nothing"
        );
    }

    #[test]
    fn windows_get_netroute_lines() {
        let text = "vEthernet (Default Switch)\t172.22.240.0/20\r\nEthernet\t0.0.0.0/0\r\nEthernet\t0.0.0.0/0\r\nLoopback Pseudo-Interface 1\t127.0.0.0/8\r\nbroken line\r\n";
        assert_eq!(
            parse_get_netroute(text),
            vec![
                ("vEthernet (Default Switch)".into(), net("172.22.240.0/20")),
                ("Ethernet".into(), net("0.0.0.0/0")),
                ("Loopback Pseudo-Interface 1".into(), net("127.0.0.0/8")),
            ]
        );
        assert!(
            GET_NETROUTE.contains("InterfaceAlias") && GET_NETROUTE.contains("DestinationPrefix")
        );
    }

    #[test]
    fn sysctl_and_powershell_answers() {
        assert_eq!(parse_hv_support("1\n"), Some(true));
        assert_eq!(parse_hv_support("0"), Some(false));
        assert_eq!(parse_hv_support("sysctl: unknown oid"), None);
        assert_eq!(parse_powershell_bool("True\r\n"), Some(true));
        assert_eq!(parse_powershell_bool("False"), Some(false));
        assert_eq!(parse_powershell_bool(""), None);
    }
}
