//! Exports a run's samples from the cluster's live InfluxDB into `<name>.samples.lp.gz` and
//! points the run record at it, so that `mlk report` needs no live cluster. `run-workload`
//! calls [`run_end`] when a run ends (succeeded or failed); `mlk runs export` calls it for
//! runs that have no export yet, both through [`after_run`].
use super::samples::{self, Answer, Header};
use super::{RunRecord, SamplesRef};
use crate::remote::Runner;
use crate::report::data;
use crate::report::influx::Client;
use crate::report::queries;
use crate::report::source::SampleSource;
use crate::report::{locate, time};
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Telegraf's influxdb output writes every 10 s, without jitter: chart telegraf-ds 1.1.53
/// `values.yaml` `config.agent.flush_interval: "10s"`, `flush_jitter: "0s"` (mlk's values
/// leave the agent section as it is; docs/contracts.md, "Telegraf measurements").
pub const FLUSH_S: i64 = 10;
/// On top of the flush: a gather that takes a while (the kubernetes input asks the kubelet
/// for every pod's stats) and clocks that differ by a little.
const SLACK_S: i64 = 5;
/// Never wait longer than this (a node clock far ahead of the record's times).
const MAX_WAIT_S: i64 = 120;

/// Waits until `clock` (the controlplane node's, in epoch seconds) has passed the end of the
/// span by a flush and some slack, so that Telegraf has written every sample of the span.
pub fn wait_for_flush(
    hi: i64,
    clock: &dyn Fn() -> Result<i64>,
    sleep: &dyn Fn(Duration),
    say: &mut dyn FnMut(&str),
) -> Result<()> {
    let due = hi + FLUSH_S + SLACK_S;
    let now = clock()?;
    if now >= due {
        return Ok(());
    }
    let wait = (due - now).min(MAX_WAIT_S);
    say(&format!(
        "waiting {} for Telegraf's last samples of the run to reach InfluxDB (it writes every {FLUSH_S} s)",
        time::human(wait)
    ));
    sleep(Duration::from_secs(wait as u64));
    Ok(())
}

/// Queries the run's span from `live` (the cluster's InfluxDB), writes the samples file
/// atomically and then the record pointing at it (`rec.samples`, with the file's SHA-256).
pub fn export(dir: &Path, rec: &mut RunRecord, live: &dyn SampleSource) -> Result<SamplesRef> {
    let (lo, hi) = data::span(rec)?;
    let mut answers = Vec::new();
    for q in queries::ALL {
        let series: Vec<_> = live
            .select(q, lo, hi)?
            .into_iter()
            .filter(|s| data::used(rec, q, s))
            .collect();
        let types = live.field_types(q.measurement)?;
        answers.push(Answer {
            select: q,
            series,
            types,
        });
    }
    let exported_at = time::rfc3339(time::now());
    let source = live.origin();
    let mut record = rec.clone();
    record.samples = None;
    record.samples_error = None;
    let header = Header {
        format: samples::FORMAT.to_string(),
        cluster: rec.cluster.clone(),
        run: rec.name.clone(),
        from: time::rfc3339(lo),
        to: time::rfc3339(hi),
        exported_at: exported_at.clone(),
        source: source.clone(),
        database: crate::report::DATABASE.to_string(),
        queries: queries::ALL
            .iter()
            .map(|q| queries::select(q, lo, hi))
            .collect(),
        omitted: "series of pods other than the run's: net (cali* veths), docker_container_cpu, docker_container_mem, kubernetes_pod_network".into(),
        record,
    };
    let (bytes, points) = samples::encode(&header, &answers)?;
    let file = super::samples_path(dir, &rec.name);
    crate::fsutil::write_atomic(&file, &bytes, Some(0o600))?;
    let r = SamplesRef {
        file: file
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_string(),
        format: samples::FORMAT.to_string(),
        sha256: samples::sha256(&bytes),
        bytes: bytes.len() as u64,
        points,
        from: header.from,
        to: header.to,
        exported_at,
        source,
    };
    rec.samples = Some(r.clone());
    rec.samples_error = None;
    super::save(dir, rec)?;
    Ok(r)
}

/// What `run-workload` does when a run ends: waits for Telegraf's last samples (`clock` is
/// the controlplane node's), connects (`connect`), exports. On failure the record keeps the
/// reason (`samples_error`) and the error is returned.
pub fn run_end(
    dir: &Path,
    rec: &mut RunRecord,
    connect: &mut dyn FnMut() -> Result<Client>,
    clock: &dyn Fn() -> Result<i64>,
    say: &mut dyn FnMut(&str),
) -> Result<SamplesRef> {
    let done = (|| {
        let (_, hi) = data::span(rec)?;
        wait_for_flush(hi, clock, &std::thread::sleep, say)?;
        let live = connect()?;
        live.ping()
            .map_err(|e| crate::report::influx_error(e, &rec.cluster))?;
        export(dir, rec, &live).map_err(|e| {
            match e.downcast::<crate::report::influx::InfluxError>() {
                Ok(ie) => crate::report::influx_error(ie, &rec.cluster),
                Err(e) => e,
            }
        })
    })();
    match done {
        Ok(r) => {
            say(&format!(
                "samples exported to {}: {} points, {} bytes (sha256 {}…)",
                super::samples_path(dir, &rec.name).display(),
                r.points,
                r.bytes,
                &r.sha256[..12]
            ));
            Ok(r)
        }
        Err(e) => {
            rec.samples_error = Some(format!("{e:#} (at {})", time::rfc3339(time::now())));
            if let Err(se) = super::save(dir, rec) {
                say(&format!("could not record the export's failure: {se:#}"));
            }
            Err(e)
        }
    }
}

/// What `run-workload` does when a run ends (and `mlk runs export`): through `control`, the
/// cluster's first controlplane node (its clock; its kubectl for Service `tick/influxdb`, or
/// `influx` as HOST, PORT seen from it; an SSH tunnel to it), exports run `name`'s samples.
/// None when the run has no record (it failed before one was written).
pub fn after_run(
    dir: &Path,
    name: &str,
    control: Arc<dyn Runner>,
    influx: Option<(String, u16)>,
    say: &mut dyn FnMut(&str),
) -> Result<Option<SamplesRef>> {
    let Ok(mut rec) = super::load(dir, name) else {
        return Ok(None);
    };
    let clock_node = control.clone();
    let clock = move || crate::workload::run::node_clock(clock_node.as_ref());
    run_end(
        dir,
        &mut rec,
        &mut || locate::client(dir, control.clone(), influx.clone()),
        &clock,
        say,
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    #[test]
    fn waits_for_the_last_flush_only_when_it_is_due() {
        let slept = RefCell::new(Vec::new());
        let sleep = |d: Duration| slept.borrow_mut().push(d.as_secs());
        let mut said = Vec::new();
        let now = Cell::new(1000);
        let clock = || Ok(now.get());
        // The span ended 3 s ago: 10 + 5 - 3 = 12 s to go.
        wait_for_flush(997, &clock, &sleep, &mut |l| said.push(l.to_string())).unwrap();
        assert_eq!(*slept.borrow(), [12]);
        assert!(said[0].contains("waiting 12s"), "{said:?}");
        // Long past: no wait.
        wait_for_flush(900, &clock, &sleep, &mut |_| {}).unwrap();
        assert_eq!(slept.borrow().len(), 1);
        // A clock far behind the record: at most two minutes.
        now.set(0);
        wait_for_flush(997, &clock, &sleep, &mut |_| {}).unwrap();
        assert_eq!(slept.borrow()[1], 120);
    }
}
