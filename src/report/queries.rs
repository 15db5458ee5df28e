//! What the report asks InfluxDB: one InfluxQL query per metric, on the measurements, fields
//! and tags Telegraf's inputs really write (see the `cpu`, `mem`, `net`, `diskio`, `system`
//! and `kubernetes` plugin READMEs). `templates/helm/telegraf-ds.yaml.hbs` must enable every
//! input named in [`input_of`]; a test renders the profiles and checks that.
use super::time::rfc3339;

/// Whether a series is per node (Telegraf `host` tag) or per pod (`namespace`/`pod_name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Node,
    Pod,
}

/// How a field behaves: a gauge is averaged per bucket, a counter becomes a rate per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    Counter,
}

/// What the numbers mean, for axis labels and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Percent of the node's CPUs (100 = all cores busy).
    Percent,
    /// CPU cores in use.
    Cores,
    Bytes,
    BytesPerSec,
}

/// One chart and one block of summary figures.
#[derive(Debug)]
pub struct Metric {
    pub id: &'static str,
    pub title: &'static str,
    pub scope: Scope,
    pub measurement: &'static str,
    pub field: &'static str,
    pub kind: Kind,
    /// Extra WHERE condition (InfluxQL), e.g. the cpu-total series only.
    pub filter: &'static str,
    /// Tags to group by besides time; the first ones name the series (see `key_tags`).
    pub group_by: &'static [&'static str],
    /// Multiplier applied to every value (nanocores → cores).
    pub scale: f64,
    /// `usage_idle` is stored; the report shows busy = 100 - idle.
    pub invert_percent: bool,
    pub unit: Unit,
}

impl Metric {
    /// The tags whose values name one chart line: `host` for nodes, namespace/pod for pods.
    /// Series that differ only in other tags (interface, disk, container) are summed.
    pub fn key_tags(&self) -> &'static [&'static str] {
        match self.scope {
            Scope::Node => &["host"],
            Scope::Pod => &["namespace", "pod_name"],
        }
    }
}

/// The node's own NICs (eth*, en*). Pod traffic crosses veth*, cni0, flannel.1 and docker0
/// as well as the NIC, so summing every interface would count it two or three times; `lo`
/// is not network traffic and `all` carries protocol counters.
const PHYSICAL_NIC: &str = "\"interface\" =~ /^(eth|en)[0-9a-z]+$/";
/// Whole disks only: diskio also reports partitions (sda1) and device-mapper volumes (dm-0)
/// whose bytes are already counted on the disk below them.
const WHOLE_DISK: &str = "\"name\" =~ /^([shv]d[a-z]+|xvd[a-z]+|nvme[0-9]+n[0-9]+)$/";
const NODE: &[&str] = &["host"];
const NODE_IF: &[&str] = &["host", "interface"];
const NODE_DISK: &[&str] = &["host", "name"];
const POD_CONTAINER: &[&str] = &["namespace", "pod_name", "container_name", "node_name"];
const POD: &[&str] = &["namespace", "pod_name", "node_name"];

const fn m(
    id: &'static str,
    title: &'static str,
    scope: Scope,
    (measurement, field, kind): (&'static str, &'static str, Kind),
    filter: &'static str,
    group_by: &'static [&'static str],
    unit: Unit,
) -> Metric {
    Metric {
        id,
        title,
        scope,
        measurement,
        field,
        kind,
        filter,
        group_by,
        scale: 1.0,
        invert_percent: false,
        unit,
    }
}

/// Every metric of a report, in display order.
pub static METRICS: &[Metric] = &[
    Metric {
        invert_percent: true,
        ..m(
            "node_cpu",
            "Node CPU busy",
            Scope::Node,
            ("cpu", "usage_idle", Kind::Gauge),
            "\"cpu\" = 'cpu-total'",
            NODE,
            Unit::Percent,
        )
    },
    m(
        "node_mem",
        "Node memory used",
        Scope::Node,
        ("mem", "used", Kind::Gauge),
        "",
        NODE,
        Unit::Bytes,
    ),
    // The `all` interface carries protocol statistics, loopback is not cluster traffic.
    m(
        "node_net_rx",
        "Node network received",
        Scope::Node,
        ("net", "bytes_recv", Kind::Counter),
        PHYSICAL_NIC,
        NODE_IF,
        Unit::BytesPerSec,
    ),
    m(
        "node_net_tx",
        "Node network sent",
        Scope::Node,
        ("net", "bytes_sent", Kind::Counter),
        PHYSICAL_NIC,
        NODE_IF,
        Unit::BytesPerSec,
    ),
    m(
        "node_disk_read",
        "Node disk read",
        Scope::Node,
        ("diskio", "read_bytes", Kind::Counter),
        WHOLE_DISK,
        NODE_DISK,
        Unit::BytesPerSec,
    ),
    m(
        "node_disk_write",
        "Node disk written",
        Scope::Node,
        ("diskio", "write_bytes", Kind::Counter),
        WHOLE_DISK,
        NODE_DISK,
        Unit::BytesPerSec,
    ),
    Metric {
        scale: 1e-9,
        ..m(
            "pod_cpu",
            "Pod CPU",
            Scope::Pod,
            (
                "kubernetes_pod_container",
                "cpu_usage_nanocores",
                Kind::Gauge,
            ),
            "",
            POD_CONTAINER,
            Unit::Cores,
        )
    },
    m(
        "pod_mem",
        "Pod memory",
        Scope::Pod,
        (
            "kubernetes_pod_container",
            "memory_usage_bytes",
            Kind::Gauge,
        ),
        "",
        POD_CONTAINER,
        Unit::Bytes,
    ),
    m(
        "pod_disk",
        "Pod root filesystem used",
        Scope::Pod,
        ("kubernetes_pod_container", "rootfs_used_bytes", Kind::Gauge),
        "",
        POD_CONTAINER,
        Unit::Bytes,
    ),
    m(
        "pod_net_rx",
        "Pod network received",
        Scope::Pod,
        ("kubernetes_pod_network", "rx_bytes", Kind::Counter),
        "",
        POD,
        Unit::BytesPerSec,
    ),
    m(
        "pod_net_tx",
        "Pod network sent",
        Scope::Pod,
        ("kubernetes_pod_network", "tx_bytes", Kind::Counter),
        "",
        POD,
        Unit::BytesPerSec,
    ),
];

/// The number of CPUs per node (`system` input, field `n_cpus`), to turn CPU % into CPU-seconds.
pub const NCPUS: (&str, &str) = ("system", "n_cpus");

/// The Telegraf input plugin that writes `measurement`.
pub fn input_of(measurement: &str) -> Option<&'static str> {
    Some(match measurement {
        "cpu" => "cpu",
        "mem" => "mem",
        "net" => "net",
        "diskio" => "diskio",
        "system" => "system",
        "kubernetes_pod_container" | "kubernetes_pod_network" => "kubernetes",
        _ => return None,
    })
}

/// Every measurement the report reads.
pub fn measurements() -> Vec<&'static str> {
    let mut v: Vec<&str> = METRICS.iter().map(|m| m.measurement).collect();
    v.push(NCPUS.0);
    v.sort_unstable();
    v.dedup();
    v
}

fn window(start: i64, end: i64) -> String {
    format!("time >= '{}' AND time < '{}'", rfc3339(start), rfc3339(end))
}

/// The InfluxQL for `m` over [start, end) in buckets of `step` seconds.
///
/// InfluxDB stamps a derivative with the later of the two buckets it compares, so the rate of
/// [t, t+step) arrives at t+step: counter queries ask for [start+step, end+step) and the
/// caller moves their points back by `step` (see [`time_shift`]). Totals then equal the
/// counter's growth from `start` to `end`.
pub fn query(m: &Metric, start: i64, end: i64, step: i64) -> String {
    let shift = time_shift(m, step);
    let (start, end) = (start + shift, end + shift);
    let select = match m.kind {
        Kind::Gauge => format!("mean(\"{}\")", m.field),
        Kind::Counter => format!("non_negative_derivative(max(\"{}\"), 1s)", m.field),
    };
    let filter = if m.filter.is_empty() {
        String::new()
    } else {
        format!(" AND {}", m.filter)
    };
    let tags: Vec<String> = m.group_by.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "SELECT {select} AS \"value\" FROM \"{}\" WHERE {}{filter} GROUP BY time({step}s), {} fill(none)",
        m.measurement,
        window(start, end),
        tags.join(", ")
    )
}

/// How far a metric's query window is moved ahead (and its points moved back), in seconds.
pub fn time_shift(m: &Metric, step: i64) -> i64 {
    match m.kind {
        Kind::Gauge => 0,
        Kind::Counter => step,
    }
}

/// The InfluxQL for each node's CPU count during [start, end).
pub fn ncpus_query(start: i64, end: i64) -> String {
    format!(
        "SELECT last(\"{}\") AS \"value\" FROM \"{}\" WHERE {} GROUP BY \"host\"",
        NCPUS.1,
        NCPUS.0,
        window(start, end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text() {
        let q = query(&METRICS[2], 0, 600, 10);
        assert_eq!(
            q,
            "SELECT non_negative_derivative(max(\"bytes_recv\"), 1s) AS \"value\" FROM \"net\" WHERE time >= '1970-01-01T00:00:10Z' AND time < '1970-01-01T00:10:10Z' AND \"interface\" =~ /^(eth|en)[0-9a-z]+$/ GROUP BY time(10s), \"host\", \"interface\" fill(none)"
        );
        for m in METRICS {
            assert!(input_of(m.measurement).is_some(), "{}", m.id);
            assert_eq!(&m.group_by[..m.key_tags().len()], m.key_tags(), "{}", m.id);
        }
    }
}
