//! `mlk runs list|show|rm|export` and `mlk report` on exported samples, through the real
//! binary, without a live InfluxDB: samples exported (by mlk's own export function) from a
//! small synthetic source, then read back, cut, corrupted and removed. The export against a
//! real InfluxDB, and the equality of its figures with the live ones, is `report::outlive`.
use super::cli::mlk;
use mlk::report::influx::Series;
use mlk::report::queries::Select;
use mlk::report::source::SampleSource;
use mlk::report::time::rfc3339;
use mlk::runs::{Measure, Outcome, RunRecord, Window};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const T0: i64 = 1_700_000_000;
const W: i64 = 100;

/// One node of 4 CPUs, busy 52.5 − 2 (iowait) − 0.5 (steal) = 50 %, every second from T0 −
/// 100 to T0 + 200: test data, made here, not by a collector.
struct Synthetic;

impl SampleSource for Synthetic {
    fn select(&self, q: &Select, lo: i64, hi: i64) -> anyhow::Result<Vec<Series>> {
        let series = |tags: &[(&str, &str)], fields: Vec<Value>| Series {
            name: q.measurement.into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            columns: std::iter::once("time")
                .chain(q.fields.iter().copied())
                .map(String::from)
                .collect(),
            values: (lo.max(T0 - 100)..=hi.min(T0 + 200))
                .map(|t| {
                    let mut r = vec![json!(t)];
                    r.extend(fields.iter().cloned());
                    r
                })
                .collect(),
        };
        Ok(match q.measurement {
            "cpu" => vec![series(
                &[("host", "node1"), ("cpu", "cpu-total")],
                vec![json!(52.5), json!(2.0), json!(0.5)],
            )],
            "system" => vec![series(&[("host", "node1")], vec![json!(4)])],
            "mem" => vec![series(&[("host", "node1")], vec![json!(2_000_000_000i64)])],
            _ => vec![],
        })
    }
    fn ready(&self) -> anyhow::Result<()> {
        Ok(())
    }
    fn origin(&self) -> String {
        "synthetic test samples".into()
    }
    fn field_types(&self, m: &str) -> anyhow::Result<BTreeMap<String, String>> {
        let int = |f: &str| BTreeMap::from([(f.to_string(), "integer".to_string())]);
        Ok(match m {
            "system" => int("n_cpus"),
            "mem" => int("used"),
            _ => BTreeMap::new(),
        })
    }
}

fn record(cluster: &str, name: &str) -> RunRecord {
    let w = |a: i64, b: i64, src: &str| Window {
        start: rfc3339(a),
        end: rfc3339(b),
        source: src.into(),
    };
    RunRecord {
        name: name.into(),
        cluster: cluster.into(),
        profile: cluster.into(),
        workload: "mnist".into(),
        start: rfc3339(T0 - 90),
        end: Some(rfc3339(T0 + W + 10)),
        outcome: Outcome::Succeeded,
        nodes: vec!["node1".into()],
        controlplane: "node1".into(),
        measure: Some(Measure {
            window: Some(w(T0, T0 + W, "containers")),
            baseline: Some(w(T0 - 60, T0 - 30, "node-clock")),
            pods: vec![],
            distribution: "rke1-docker".into(),
            network_plugin: "canal".into(),
            private_iface: "eth1".into(),
            node_interval_s: 1,
            pod_interval_s: 10,
            images: vec![],
            dataset: None,
            training: None,
            node_specs: vec![],
        }),
        samples: None,
        samples_error: None,
    }
}

/// A run recorded in `root/cluster`, exported from the synthetic source when `export`.
fn run(root: &Path, cluster: &str, name: &str, export: bool) -> RunRecord {
    let dir = root.join(cluster);
    let mut r = record(cluster, name);
    mlk::runs::save(&dir, &r).unwrap();
    std::fs::write(mlk::runs::log_path(&dir, name), "pod log\n").unwrap();
    if export {
        mlk::runs::export::export(&dir, &mut r, &Synthetic).unwrap();
    }
    r
}

fn destroyed(root: &Path, cluster: &str) {
    let dir = root.join(cluster);
    let mut c = mlk::cluster::Record::new(cluster, mlk::provider::ProviderKind::Ssh, cluster, &dir);
    c.destroyed = Some("2026-01-01T00:00:00Z".into());
    c.save(&dir).unwrap();
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_out(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", err(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

fn fails(o: &std::process::Output, code: i32, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(code), "{}", err(o));
    for n in needles {
        assert!(err(o).contains(n), "stderr lacks {n:?}: {}", err(o));
    }
}

#[test]
fn runs_are_listed_shown_reported_and_removed_without_a_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    run(root, "mono", "mono-1", true);
    run(root, "mono", "old-1", false);
    run(root, "mono", "dup", false);
    run(root, "distributed", "dist-1", true);
    run(root, "distributed", "dup", false);
    destroyed(root, "mono");

    // list: every cluster (the destroyed one too), or one.
    let o = mlk(root, &["runs", "list"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("RUN") && header.contains("SAMPLES"),
        "{text}"
    );
    let line = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id}: {text}"))
    };
    assert!(line("mono/mono-1").contains("destroyed"), "{text}");
    assert!(line("mono/mono-1").contains("exported, "), "{text}");
    assert!(line("mono/mono-1").contains("1m 40s"), "{text}");
    assert!(line("mono/old-1").ends_with("none"), "{text}");
    let rows = json_out(&mlk(root, &["runs", "list", "--json"]));
    assert_eq!(rows.as_array().unwrap().len(), 5);
    let rows = json_out(&mlk(root, &["runs", "list", "-c", "distributed", "--json"]));
    let ids: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}/{}",
                r["cluster"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(ids, ["distributed/dist-1", "distributed/dup"]);
    assert_eq!(rows[0]["samples"], "exported");
    assert_eq!(rows[0]["outcome"], "succeeded");
    fails(
        &mlk(root, &["runs", "list", "-c", "nosuch"]),
        2,
        &["no cluster nosuch"],
    );

    // show: a name in one cluster is found there; the samples are checked.
    let s = json_out(&mlk(root, &["runs", "show", "mono-1", "--json"]));
    assert_eq!(s["cluster"], "mono");
    assert_eq!(s["samples"], "exported");
    assert_eq!(s["record"]["samples"]["file"], "mono-1.samples.lp.gz");
    assert!(
        s["files"]["log"]
            .as_str()
            .unwrap()
            .ends_with("mono/runs/mono-1.log")
    );
    let o = mlk(root, &["runs", "show", "distributed/dist-1"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("run distributed/dist-1") && out(&o).contains("(checked)"),
        "{}",
        out(&o)
    );

    // Bad and ambiguous names.
    fails(
        &mlk(root, &["runs", "show", "Bad_Name"]),
        2,
        &["allowed are 1-40 characters"],
    );
    fails(
        &mlk(root, &["runs", "show", "../x"]),
        2,
        &["`..` is not a cluster name"],
    );
    fails(
        &mlk(root, &["runs", "show", "nosuch"]),
        2,
        &[
            "no run `nosuch` in any cluster",
            "distributed/dist-1",
            "mono/old-1",
        ],
    );
    fails(
        &mlk(root, &["runs", "show", "dup"]),
        2,
        &["run `dup` is in 2 clusters; name one as CLUSTER/NAME: distributed/dup, mono/dup"],
    );
    fails(
        &mlk(root, &["runs", "rm", "mono/nosuch", "-f"]),
        2,
        &["no run `nosuch`", "dup, mono-1, old-1"],
    );
    fails(&mlk(root, &["report", "mono/Bad"]), 2, &["allowed are"]);

    // report: from the exported samples, no cluster needed (mono is destroyed).
    let o = mlk(
        root,
        &[
            "report",
            "mono-1",
            "dist-1",
            "--format",
            "json",
            "--out",
            root.join("r").to_str().unwrap(),
        ],
    );
    let report = {
        assert!(o.status.success(), "{}", err(&o));
        let v: Value =
            serde_json::from_slice(&std::fs::read(root.join("r/report.json")).unwrap()).unwrap();
        v
    };
    let cpu_s = report["runs"][0]["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "node_cpu_s")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    assert_eq!(cpu_s, 0.5 * 4.0 * W as f64, "50 % of 4 CPUs for {W} s");
    assert!(
        report["runs"][0]["method"]["data"]
            .as_str()
            .unwrap()
            .starts_with("the run's exported samples mono/runs/mono-1.samples.lp.gz"),
        "{}",
        report["runs"][0]["method"]
    );
    // A run without samples in a destroyed cluster: nothing to read, and the report says why.
    fails(
        &mlk(root, &["report", "mono/old-1"]),
        2,
        &[
            "run mono/old-1: it has no exported samples",
            "cluster mono was destroyed",
        ],
    );
    // Nor can it be exported now.
    fails(
        &mlk(root, &["runs", "export", "mono/old-1"]),
        2,
        &["cluster mono was destroyed"],
    );
    fails(
        &mlk(root, &["runs", "export", "mono/mono-1"]),
        2,
        &["run mono/mono-1 was exported already", "--force"],
    );

    // rm: the record, the samples and the log go; the rest of the cluster stays.
    let dir = root.join("distributed/runs");
    let o = mlk(root, &["runs", "rm", "distributed/dist-1"]);
    assert!(o.status.success(), "{}", err(&o));
    for f in ["dist-1.json", "dist-1.samples.lp.gz", "dist-1.log"] {
        assert!(!dir.join(f).exists(), "{f} left");
        assert!(err(&o).contains(f), "{}", err(&o));
    }
    assert!(dir.join("dup.json").is_file());
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "nothing hidden is left behind: {names:?}");
    fails(
        &mlk(root, &["runs", "show", "distributed/dist-1"]),
        2,
        &["no run `dist-1`"],
    );
}

/// Cut, changed, corrupt or missing samples files are clear errors naming the file (exit 2),
/// and nothing is written.
#[test]
fn damaged_samples_files_are_refused_with_the_file_named() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let rec = run(root, "mono", "m-1", true);
    let dir = root.join("mono");
    let file = dir.join("runs/m-1.samples.lp.gz");
    let good = std::fs::read(&file).unwrap();
    let out_dir = root.join("out");
    let report = || {
        mlk(
            root,
            &[
                "report",
                "m-1",
                "--format",
                "json",
                "--out",
                out_dir.to_str().unwrap(),
            ],
        )
    };
    let f = file.display().to_string();
    // Record the file's current bytes as the export's (as if the export had written them).
    let resign = |bytes: &[u8]| {
        std::fs::write(&file, bytes).unwrap();
        let mut r = rec.clone();
        let s = r.samples.as_mut().unwrap();
        s.sha256 = mlk::runs::samples::sha256(bytes);
        s.bytes = bytes.len() as u64;
        mlk::runs::save(&dir, &r).unwrap();
    };
    let gzip = |text: &str| {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    let text = {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&good[..]), &mut s)
            .unwrap();
        s
    };

    // Cut: the SHA-256 no longer matches.
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    fails(
        &report(),
        2,
        &[&f, "SHA-256 is", "record says", "changed or cut"],
    );
    let s = json_out(&mlk(root, &["runs", "show", "m-1", "--json"]));
    assert_eq!(s["samples"], "corrupt");
    assert!(
        s["samples_problem"].as_str().unwrap().contains("SHA-256"),
        "{s}"
    );
    // One byte changed: the same.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    std::fs::write(&file, &flipped).unwrap();
    fails(&report(), 2, &[&f, "SHA-256 is"]);
    // Cut, and the record agrees (the export itself was cut): not a complete gzip file.
    resign(&good[..good.len() - 20]);
    fails(&report(), 2, &[&f, "not a complete gzip file"]);
    // Complete gzip, but the text stops early: no end marker.
    let cut: String = text.lines().take(40).map(|l| format!("{l}\n")).collect();
    resign(&gzip(&cut));
    fails(&report(), 2, &[&f, "no end marker", "cut short"]);
    // A damaged line: its number and what is wrong.
    let lines: Vec<&str> = text.lines().collect();
    let n = lines.iter().position(|l| l.starts_with("cpu,")).unwrap();
    let mut bad = lines.clone();
    let broken = lines[n].replace("usage_active=", "usage_active=x");
    bad[n] = &broken;
    resign(&gzip(&(bad.join("\n") + "\n")));
    fails(
        &report(),
        2,
        &[&f, &format!("line {}: field usage_active: `x", n + 1)],
    );
    // Another run's file.
    let other = text.replace("\"run\":\"m-1\"", "\"run\":\"m-2\"");
    resign(&gzip(&other));
    fails(
        &report(),
        2,
        &[&f, "holds the samples of run mono/m-2, not of mono/m-1"],
    );
    // Missing.
    std::fs::remove_file(&file).unwrap();
    fails(&report(), 2, &[&f, "is missing"]);
    let rows = json_out(&mlk(root, &["runs", "list", "--json"]));
    assert_eq!(rows[0]["samples"], "missing");
    assert!(!out_dir.exists(), "nothing written for a damaged run");
    // The good file again: the report works.
    resign(&good);
    let o = report();
    assert!(o.status.success(), "{}", err(&o));
}

/// An export that fails is recorded in the run (`samples_error`), listed, and named by
/// `mlk report`.
#[test]
fn a_failed_export_is_recorded_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mut rec = run(root, "mono", "m-1", false);
    let dir = root.join("mono");
    let e = mlk::runs::export::run_end(
        &dir,
        &mut rec,
        &mut || Err(anyhow::anyhow!("no route to the controlplane node")),
        &|| Ok(mlk::report::time::now()),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(format!("{e:#}").contains("no route"));
    let saved = mlk::runs::load(&dir, "m-1").unwrap();
    assert!(saved.samples.is_none());
    assert!(
        saved
            .samples_error
            .as_deref()
            .unwrap()
            .starts_with("no route to the controlplane node (at "),
        "{saved:?}"
    );
    let rows = json_out(&mlk(root, &["runs", "list", "--json"]));
    assert_eq!(rows[0]["samples"], "failed");
    destroyed(root, "mono");
    fails(
        &mlk(root, &["report", "m-1"]),
        2,
        &["run mono/m-1: its export failed: no route to the controlplane node"],
    );
    // The exported file's header carries the record as it was (here: the synthetic one).
    let mut r2 = run(root, "mono", "m-2", true);
    let e = mlk::runs::samples::Exported::load(&dir, &r2).unwrap();
    assert_eq!(e.header.record.measure, r2.measure);
    assert_eq!(e.header.format, mlk::runs::samples::FORMAT);
    r2.samples = None;
    assert_eq!(e.header.record, r2);
}

/// On a terminal, `mlk runs rm` lists the files and asks; anything but yes changes nothing.
/// (`script` from util-linux gives the command a pseudo-terminal.)
#[test]
fn rm_asks_first_on_a_terminal() {
    if !Path::new("/usr/bin/script").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "script (bsdutils) missing in CI"
        );
        eprintln!("SKIP: no /usr/bin/script");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    run(root, "mono", "m-1", true);
    let rm = |answer: &str| {
        let cmd = format!(
            "{} --dir {} runs rm mono/m-1",
            env!("CARGO_BIN_EXE_mlk"),
            root.display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let files = ["m-1.json", "m-1.samples.lp.gz", "m-1.log"];
    let o = rm("n\n");
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("Delete run mono/m-1 and these files? [y/N]"),
        "{text}"
    );
    for f in files {
        assert!(text.contains(f), "{text}");
        assert!(
            root.join("mono/runs").join(f).is_file(),
            "{f} removed without a yes"
        );
    }
    assert!(text.contains("not confirmed; nothing changed"), "{text}");
    let o = rm("y\n");
    assert!(o.status.success(), "{}", out(&o));
    for f in files {
        assert!(!root.join("mono/runs").join(f).exists(), "{f} left");
    }
}
