//! Whether a fleet fits this host, how many clusters `fleet up` brings up at once by default,
//! and whether the next cluster's VMs may boot now. Measured as `mlk doctor` measures the host
//! (logical CPUs, /proc/meminfo's MemTotal and MemAvailable).
use crate::profile::Profile;
use serde::Serialize;

/// vCPUs a fleet may give its VMs per logical host CPU. Hypervisors overcommit CPUs (doctor
/// only warns past 1:1), and lab clusters idle most of the time; past 4:1 every cluster of a
/// class doing the same exercise at once crawls.
pub const CPU_OVERCOMMIT: u64 = 4;
/// Host CPUs per cluster booting at once (Vagrant): a VM boot and the image pulls after it
/// keep about two host CPUs busy.
pub const CPUS_PER_BOOT: usize = 2;
/// Clusters per host CPU at once for `--provider ssh`: the work runs on the hosts, and the
/// local `mlk up` mostly waits on SSH.
pub const SSH_PER_CPU: usize = 4;

/// This host, as doctor measures it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Host {
    pub cpus: usize,
    pub mem_total_mib: Option<u64>,
    pub mem_available_mib: Option<u64>,
}

pub fn measure() -> Host {
    let (mem_total_mib, mem_available_mib) = crate::doctor::host::read("/proc/meminfo")
        .map(|t| crate::doctor::host::parse_meminfo(&t))
        .unwrap_or((None, None));
    Host {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        mem_total_mib,
        mem_available_mib,
    }
}

/// What one cluster's VMs take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Need {
    pub cpus: u64,
    pub mem_mib: u64,
}

impl Need {
    pub fn of(p: &Profile) -> Need {
        Need {
            cpus: p.nodes.iter().map(|n| u64::from(n.cpus)).sum(),
            mem_mib: p.nodes.iter().map(|n| u64::from(n.memory)).sum(),
        }
    }
}

fn gib(mib: u64) -> String {
    format!("{:.1} GiB", mib as f64 / 1024.0)
}

/// Whether `clusters` clusters of `need` fit `host` when all are up: Err with the numbers
/// when not (memory beyond the host's total, or vCPUs beyond [`CPU_OVERCOMMIT`] per CPU);
/// Ok with warnings (more memory than is available now).
pub fn fit(need: Need, clusters: usize, host: &Host) -> Result<Vec<String>, String> {
    let n = clusters as u64;
    let (cpus, mem) = (need.cpus * n, need.mem_mib * n);
    let cpu_cap = host.cpus as u64 * CPU_OVERCOMMIT;
    let mut refuse = Vec::new();
    if let Some(total) = host.mem_total_mib
        && mem > total
    {
        refuse.push(format!(
            "memory: {clusters} clusters × {} = {} of VMs, this host has {} in total",
            gib(need.mem_mib),
            gib(mem),
            gib(total)
        ));
    }
    if cpus > cpu_cap {
        refuse.push(format!(
            "CPUs: {clusters} clusters × {} vCPUs = {cpus} vCPUs, this host has {} CPUs (at most {CPU_OVERCOMMIT} vCPUs per CPU: {cpu_cap})",
            need.cpus, host.cpus
        ));
    }
    if !refuse.is_empty() {
        let most = most_that_fit(need, host);
        return Err(format!(
            "the fleet does not fit this host: {}; at most {most} such cluster(s) fit",
            refuse.join("; ")
        ));
    }
    let mut warn = Vec::new();
    if let Some(avail) = host.mem_available_mib
        && mem > avail
    {
        warn.push(format!(
            "memory: the VMs need {} and {} is available now: stop other VMs first, or the last clusters wait for memory",
            gib(mem),
            gib(avail)
        ));
    }
    Ok(warn)
}

/// Most clusters of `need` that [`fit`] accepts.
pub fn most_that_fit(need: Need, host: &Host) -> u64 {
    let by_cpu = (host.cpus as u64 * CPU_OVERCOMMIT)
        .checked_div(need.cpus)
        .unwrap_or(u64::MAX);
    let by_mem = host
        .mem_total_mib
        .and_then(|t| t.checked_div(need.mem_mib))
        .unwrap_or(u64::MAX);
    by_cpu.min(by_mem)
}

/// `--parallel`'s default: for VMs, one cluster per [`CPUS_PER_BOOT`] host CPUs and no more
/// than the available memory holds; for ssh, [`SSH_PER_CPU`] per host CPU. Never more than
/// the clusters, never less than 1.
pub fn default_parallel(vms: bool, need: Need, clusters: usize, host: &Host) -> usize {
    let k = if vms {
        let by_cpu = host.cpus / CPUS_PER_BOOT;
        let by_mem = host
            .mem_available_mib
            .and_then(|a| a.checked_div(need.mem_mib))
            .map_or(usize::MAX, |k| k as usize);
        by_cpu.min(by_mem)
    } else {
        host.cpus * SSH_PER_CPU
    };
    k.clamp(1, clusters.max(1))
}

/// Whether the next cluster's VMs may boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admit {
    Go,
    /// Not now: clusters booting hold memory that is not yet counted as used.
    Wait(String),
    /// Never on this host as it is: nothing else is booting to free the memory.
    Refuse(String),
}

/// Before a cluster's VMs boot: the memory available now, less what clusters still booting
/// will take (`reserved`), must hold `need`; and the vCPUs of the fleet's running VMs
/// (`running_cpus`) plus `need` must stay within [`CPU_OVERCOMMIT`] per host CPU.
pub fn admit(need: Need, host: &Host, reserved: Need, running_cpus: u64) -> Admit {
    let cpu_cap = host.cpus as u64 * CPU_OVERCOMMIT;
    if running_cpus + need.cpus > cpu_cap {
        let why = format!(
            "CPUs: {running_cpus} vCPUs running + {} = {}, over {cpu_cap} ({} host CPUs × {CPU_OVERCOMMIT})",
            need.cpus,
            running_cpus + need.cpus,
            host.cpus
        );
        return if reserved.cpus > 0 {
            Admit::Wait(why)
        } else {
            Admit::Refuse(why)
        };
    }
    let Some(avail) = host.mem_available_mib else {
        return Admit::Go;
    };
    let free = avail.saturating_sub(reserved.mem_mib);
    if need.mem_mib <= free {
        return Admit::Go;
    }
    let why = format!(
        "memory: the VMs need {}, {} is available{}",
        gib(need.mem_mib),
        gib(free),
        if reserved.mem_mib > 0 {
            format!(
                " besides {} for clusters still booting",
                gib(reserved.mem_mib)
            )
        } else {
            String::new()
        }
    );
    if reserved.mem_mib > 0 {
        Admit::Wait(why)
    } else {
        Admit::Refuse(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Host = Host {
        cpus: 8,
        mem_total_mib: Some(64 * 1024),
        mem_available_mib: Some(40 * 1024),
    };
    const MONO: Need = Need {
        cpus: 8,
        mem_mib: 18 * 1024,
    };

    #[test]
    fn fit_refuses_with_the_numbers() {
        let e = fit(MONO, 4, &HOST).unwrap_err();
        assert!(
            e.contains("4 clusters × 18.0 GiB = 72.0 GiB of VMs, this host has 64.0 GiB"),
            "{e}"
        );
        assert!(e.contains("at most 3 such cluster(s) fit"), "{e}");
        let small = Need {
            cpus: 2,
            mem_mib: 1024,
        };
        let e = fit(small, 17, &HOST).unwrap_err();
        assert!(
            e.contains("34 vCPUs, this host has 8 CPUs (at most 4 vCPUs per CPU: 32)"),
            "{e}"
        );
        assert_eq!(fit(small, 16, &HOST).unwrap(), Vec::<String>::new());
        assert_eq!(
            fit(MONO, 3, &HOST).unwrap().len(),
            1,
            "54 GiB > 40 GiB available"
        );
    }

    #[test]
    fn default_parallel_from_cpus_and_memory() {
        assert_eq!(
            default_parallel(true, MONO, 12, &HOST),
            2,
            "40 GiB / 18 GiB"
        );
        let small = Need {
            cpus: 2,
            mem_mib: 1024,
        };
        assert_eq!(default_parallel(true, small, 12, &HOST), 4, "8 CPUs / 2");
        assert_eq!(default_parallel(false, small, 12, &HOST), 12);
        assert_eq!(default_parallel(false, small, 100, &HOST), 32);
        let tiny = Host { cpus: 1, ..HOST };
        assert_eq!(default_parallel(true, small, 5, &tiny), 1);
    }

    #[test]
    fn admit_waits_for_booting_clusters_and_refuses_otherwise() {
        let none = Need {
            cpus: 0,
            mem_mib: 0,
        };
        assert_eq!(admit(MONO, &HOST, none, 0), Admit::Go);
        let booting = Need {
            cpus: 8,
            mem_mib: 30 * 1024,
        };
        assert!(
            matches!(admit(MONO, &HOST, booting, 8), Admit::Wait(w) if w.contains("10.0 GiB is available besides 30.0 GiB"))
        );
        let low = Host {
            mem_available_mib: Some(10 * 1024),
            ..HOST
        };
        assert!(
            matches!(admit(MONO, &low, none, 0), Admit::Refuse(w) if w.contains("need 18.0 GiB, 10.0 GiB is available"))
        );
        assert!(
            matches!(admit(MONO, &HOST, none, 32), Admit::Refuse(w) if w.starts_with("CPUs: 32 vCPUs running"))
        );
    }
}
