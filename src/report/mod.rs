//! `mlk report`: a run's resource use, from the cluster's InfluxDB (Telegraf data), as tables
//! and charts. InfluxDB is reached through an SSH direct-tcpip channel from the first
//! controlplane node, so nothing listens on the nodes for mlk and no port-forward runs.
pub mod charts;
pub mod consistency;
pub mod data;
pub mod http;
pub mod influx;
pub mod locate;
pub mod method;
pub mod png;
pub mod queries;
pub mod series;
pub mod sources;
pub mod summary;
pub mod svg;
pub mod tables;
pub mod time;
pub mod totals;
pub mod write;

use crate::exit::{Class, classify};
use crate::runs::RunRecord;
use anyhow::Result;
use data::RunData;
use influx::{Client, InfluxError};
use std::path::{Path, PathBuf};

/// The database the rendered Telegraf values write to.
pub const DATABASE: &str = "telegraf";
/// The InfluxDB admin user (templates/helm/influxdb.yaml.hbs).
pub const USER: &str = "admin";

/// What `generate` wrote, and the method statement it wrote into the report.
pub struct Generated {
    /// The main file first.
    pub files: Vec<PathBuf>,
    /// Per run: window, its source, baseline, sampling (also in the report itself).
    pub method: Vec<String>,
}

/// Fetches every run's data through `client_for(run)`, checks there is data, and writes the
/// report under `out`. Nothing is written unless every run has data.
pub fn generate<'a>(
    runs: &[RunRecord],
    client_for: &mut dyn FnMut(&RunRecord) -> Result<&'a Client<'a>>,
    out: &Path,
    format: write::Format,
) -> Result<Generated> {
    let mut all: Vec<RunData> = Vec::new();
    for run in runs {
        let client = client_for(run)?;
        client.ping().map_err(|e| influx_error(e, &run.cluster))?;
        let d = data::fetch(client, run).map_err(|e| match e.downcast::<InfluxError>() {
            Ok(ie) => influx_error(ie, &run.cluster),
            // Data problems (a node without a CPU count) carry their class; anything
            // else is a run record that cannot be read.
            Err(e) if e.chain().any(|c| c.is::<crate::exit::Classified>()) => e,
            Err(e) => classify(Class::Usage, format!("{e:#}")),
        })?;
        if d.is_empty() {
            return Err(classify(
                Class::Failure,
                format!(
                    "run `{}` of cluster `{}`: InfluxDB (database `{}`) has no Telegraf data between {} and {}; \
                     nothing to chart. Was Telegraf running then (kubectl -n tick get daemonset telegraf-ds)?",
                    run.name,
                    run.cluster,
                    client.db,
                    time::rfc3339(d.start),
                    time::rfc3339(d.end),
                ),
            ));
        }
        all.push(d);
    }
    let files = write::write(out, format, &all)?;
    let method = all
        .iter()
        .flat_map(|d| {
            let m = method::of(d);
            [
                format!("run {}: window {}", d.run.name, m.window),
                format!("run {}: baseline {}", d.run.name, m.baseline),
                format!("run {}: sampling {}", d.run.name, m.sampling),
            ]
        })
        .collect();
    Ok(Generated { files, method })
}

/// Maps InfluxDB failures to exit classes: unreachable/auth are remote problems.
fn influx_error(e: InfluxError, cluster: &str) -> anyhow::Error {
    let class = match e {
        InfluxError::Query { .. } => Class::Failure,
        _ => Class::Remote,
    };
    classify(class, format!("cluster `{cluster}`: {e}"))
}
