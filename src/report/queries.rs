//! What the report asks InfluxDB: raw samples of the measurements, fields and tags Telegraf
//! 1.39's inputs write (docs/contracts.md, "Telegraf measurements", cites each one). No
//! aggregation happens in InfluxDB: `series` does the arithmetic. `templates/helm/telegraf-ds.yaml.hbs`
//! must enable every input named in [`input_of`]; a test renders the profiles and checks that.
use super::time::rfc3339;

/// One selection: some fields of one measurement, one series per group of tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Select {
    pub measurement: &'static str,
    pub fields: &'static [&'static str],
    /// Extra WHERE condition (InfluxQL), empty for none.
    pub filter: &'static str,
    /// Every tag the filter tests is among these, so that a series carries the tags that
    /// selected it: exported samples re-imported into InfluxDB answer the same query.
    pub group_by: &'static [&'static str],
}

/// The node's own NICs (eth*, en*) and the host side of canal's pod veths (`cali` + 11 hex
/// digits). Pod traffic also crosses cni0, flannel.1, tunl0 and the NIC: summing every
/// interface would count it several times; `lo` is not network traffic.
pub const NIC_OR_POD_VETH: &str =
    "(\"interface\" =~ /^(eth|en)[0-9a-z]+$/ OR \"interface\" =~ /^cali[0-9a-f]{11}$/)";
/// Whole disks only: diskio also reports partitions (sda1) and device-mapper volumes (dm-0)
/// whose bytes are already counted on the disk below them.
pub const WHOLE_DISK: &str = "\"name\" =~ /^([shv]d[a-z]+|xvd[a-z]+|nvme[0-9]+n[0-9]+)$/";
/// Docker's labels that cri-dockerd copies from the kubelet (config/constants.go), turned
/// into tags by the docker input (all labels become tags by default).
pub const POD_NS_LABEL: &str = "io.kubernetes.pod.namespace";
pub const POD_NAME_LABEL: &str = "io.kubernetes.pod.name";
pub const CONTAINER_LABEL: &str = "io.kubernetes.container.name";

pub const NODE_CPU: Select = Select {
    measurement: "cpu",
    fields: &["usage_active", "usage_iowait", "usage_steal"],
    filter: "\"cpu\" = 'cpu-total'",
    group_by: &["host", "cpu"],
};
pub const NODE_NCPUS: Select = Select {
    measurement: "system",
    fields: &["n_cpus"],
    filter: "",
    group_by: &["host"],
};
pub const NODE_MEM: Select = Select {
    measurement: "mem",
    fields: &["used"],
    filter: "",
    group_by: &["host"],
};
pub const NODE_NET: Select = Select {
    measurement: "net",
    fields: &["bytes_recv", "bytes_sent"],
    filter: NIC_OR_POD_VETH,
    group_by: &["host", "interface"],
};
pub const NODE_DISK: Select = Select {
    measurement: "diskio",
    fields: &["read_bytes", "write_bytes"],
    filter: WHOLE_DISK,
    group_by: &["host", "name"],
};
pub const POD_KUBELET: Select = Select {
    measurement: "kubernetes_pod_container",
    fields: &["cpu_usage_nanocores", "memory_working_set_bytes"],
    filter: "",
    group_by: &["namespace", "pod_name", "container_name", "node_name"],
};
pub const POD_KUBELET_NET: Select = Select {
    measurement: "kubernetes_pod_network",
    fields: &["rx_bytes", "tx_bytes"],
    filter: "",
    group_by: &["namespace", "pod_name", "node_name"],
};
pub const DOCKER_CPU: Select = Select {
    measurement: "docker_container_cpu",
    fields: &["usage_total"],
    filter: "\"cpu\" = 'cpu-total' AND \"io.kubernetes.pod.namespace\" != ''",
    group_by: &["host", "cpu", POD_NS_LABEL, POD_NAME_LABEL, CONTAINER_LABEL],
};
pub const DOCKER_MEM: Select = Select {
    measurement: "docker_container_mem",
    fields: &["usage"],
    filter: "\"io.kubernetes.pod.namespace\" != ''",
    group_by: &["host", POD_NS_LABEL, POD_NAME_LABEL, CONTAINER_LABEL],
};

/// Every selection the report may make.
pub const ALL: &[Select] = &[
    NODE_CPU,
    NODE_NCPUS,
    NODE_MEM,
    NODE_NET,
    NODE_DISK,
    POD_KUBELET,
    POD_KUBELET_NET,
    DOCKER_CPU,
    DOCKER_MEM,
];

/// The InfluxQL for `s` over [start, end] (epoch seconds).
pub fn select(s: &Select, start: i64, end: i64) -> String {
    let fields: Vec<String> = s.fields.iter().map(|f| format!("\"{f}\"")).collect();
    let filter = if s.filter.is_empty() {
        String::new()
    } else {
        format!(" AND {}", s.filter)
    };
    let tags: Vec<String> = s.group_by.iter().map(|t| format!("\"{t}\"")).collect();
    format!(
        "SELECT {} FROM \"{}\" WHERE time >= '{}' AND time <= '{}'{filter} GROUP BY {}",
        fields.join(", "),
        s.measurement,
        rfc3339(start),
        rfc3339(end),
        tags.join(", ")
    )
}

/// The Telegraf input plugin that writes `measurement`.
pub fn input_of(measurement: &str) -> Option<&'static str> {
    Some(match measurement {
        "cpu" => "cpu",
        "mem" => "mem",
        "net" => "net",
        "diskio" => "diskio",
        "system" => "system",
        "kubernetes_pod_container" | "kubernetes_pod_network" => "kubernetes",
        "docker_container_cpu" | "docker_container_mem" => "docker",
        _ => return None,
    })
}

/// Every measurement the report reads.
pub fn measurements() -> Vec<&'static str> {
    let mut v: Vec<&str> = ALL.iter().map(|s| s.measurement).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The node inputs, sampled every [`super::sources::NODE_INTERVAL_S`] seconds.
pub const NODE_INPUTS: &[&str] = &["cpu", "mem", "net", "diskio", "system"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text() {
        assert_eq!(
            select(&NODE_NET, 0, 600),
            "SELECT \"bytes_recv\", \"bytes_sent\" FROM \"net\" WHERE time >= '1970-01-01T00:00:00Z' AND time <= '1970-01-01T00:10:00Z' AND (\"interface\" =~ /^(eth|en)[0-9a-z]+$/ OR \"interface\" =~ /^cali[0-9a-f]{11}$/) GROUP BY \"host\", \"interface\""
        );
        for s in ALL {
            assert!(input_of(s.measurement).is_some(), "{}", s.measurement);
        }
    }

    #[test]
    fn every_tag_a_filter_tests_is_grouped_by() {
        let quoted = regex::Regex::new(r#""([^"]+)""#).unwrap();
        for s in ALL {
            for c in quoted.captures_iter(s.filter) {
                assert!(
                    s.group_by.contains(&&c[1]),
                    "{}: filter tests `{}` but does not group by it",
                    s.measurement,
                    &c[1]
                );
            }
        }
    }
}
