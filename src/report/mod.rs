//! `mlk report`: a run's resource use, from Telegraf's samples, as tables and charts. The
//! samples come from the file the run exported when it finished (`runs::samples`), or from
//! the cluster's live InfluxDB, reached through an SSH direct-tcpip channel from the first
//! controlplane node (nothing listens on the nodes for mlk and no port-forward runs); both
//! are a [`source::SampleSource`], and the figures are the same from either.
pub mod charts;
pub mod consistency;
pub mod data;
pub mod influx;
pub mod locate;
pub mod method;
pub mod png;
pub mod queries;
pub mod series;
pub mod source;
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
use influx::InfluxError;
use source::SampleSource;
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

/// Fetches every run's data from its source, checks there is data, and writes the report
/// under `out`. Nothing is written unless every run has data.
pub fn generate(
    runs: &[(&RunRecord, &dyn SampleSource)],
    out: &Path,
    format: write::Format,
) -> Result<Generated> {
    let mut all: Vec<RunData> = Vec::new();
    for (run, src) in runs {
        let classified = |e: anyhow::Error| match e.downcast::<InfluxError>() {
            Ok(ie) => influx_error(ie, &run.cluster),
            // Data problems (a node without a CPU count, a bad samples file) carry their
            // class; anything else is a run record that cannot be read.
            Err(e) if e.chain().any(|c| c.is::<crate::exit::Classified>()) => e,
            Err(e) => crate::exit::retag(Class::Usage, e),
        };
        src.ready().map_err(classified)?;
        let d = data::fetch(*src, run).map_err(classified)?;
        if d.is_empty() {
            return Err(classify(
                Class::Failure,
                format!(
                    "run `{}` of cluster `{}`: {} has no Telegraf data between {} and {}; \
                     nothing to chart. Was Telegraf running then (kubectl -n tick get daemonset telegraf-ds)?",
                    run.name,
                    run.cluster,
                    src.origin(),
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
                format!("run {}: data from {}", d.run.name, m.data),
                format!("run {}: window {}", d.run.name, m.window),
                format!("run {}: baseline {}", d.run.name, m.baseline),
                format!("run {}: sampling {}", d.run.name, m.sampling),
            ]
        })
        .collect();
    Ok(Generated { files, method })
}

/// Maps InfluxDB failures to exit classes: unreachable/auth are remote problems.
pub(crate) fn influx_error(e: InfluxError, cluster: &str) -> anyhow::Error {
    let class = match e {
        InfluxError::Query { .. } => Class::Failure,
        _ => Class::Remote,
    };
    crate::exit::tag(class, format!("cluster `{cluster}`"), e)
}
