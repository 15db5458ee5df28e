//! `mlk report` against a real InfluxDB 1.x loaded with points shaped as Telegraf 1.39 writes
//! them (dataset.rs), checked against figures worked out by hand from the shapes.
mod cli;
mod dataset;
mod docs;
mod influxd;
mod outlive;
mod runs_cli;
mod telegraf_consistency;
mod tunnel;

use mlk::remote::Forwarder;
use mlk::report::influx::Client;
use mlk::report::source::SampleSource;
use mlk::report::write::Format;
use mlk::runs::{Outcome, RunRecord};
use serde_json::Value;
use std::path::Path;

/// Where the test's influxd runs and how to reach it.
pub struct Env {
    /// Carries one connection to influxd (an SSH channel from the test host).
    pub fwd: Forwarder,
    pub password: String,
    /// Keeps the test host (and its influxd) alive.
    pub _guard: Box<dyn std::any::Any>,
}

impl Env {
    fn client(&self, password: &str) -> Client {
        Client::new(
            self.fwd.clone(),
            "test influxd",
            "telegraf",
            "admin",
            password,
        )
    }
}

/// A record of the old shape (no measurement facts): window = host-clock start and end.
fn record(name: &str, cluster: &str, start: i64, end: i64) -> RunRecord {
    RunRecord {
        name: name.into(),
        cluster: cluster.into(),
        profile: cluster.into(),
        workload: "mnist".into(),
        start: mlk::report::time::rfc3339(start),
        end: Some(mlk::report::time::rfc3339(end)),
        outcome: Outcome::Succeeded,
        nodes: vec![],
        controlplane: String::new(),
        measure: None,
        samples: None,
        samples_error: None,
    }
}

fn write(env: &Env, run: &dataset::Run) {
    let c = env.client(&env.password);
    // Several requests, as Telegraf's batches (metric_batch_size 1000) are.
    for chunk in run.points().chunks(4000) {
        c.write_lines(&dataset::line_protocol(chunk)).unwrap();
    }
}

/// Mono and distributed runs loaded into `env` (half an hour apart, four hours ago).
fn load(env: &Env) -> (dataset::Run, dataset::Run) {
    let t0 = (mlk::report::time::now() - 4 * 3600) / 60 * 60;
    let (m, d) = (dataset::mono(t0), dataset::distributed(t0 + 1800));
    write(env, &m);
    write(env, &d);
    (m, d)
}

fn generate(
    env: &Env,
    runs: &[RunRecord],
    out: &Path,
    format: Format,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    generate_from(&env.client(&env.password), runs, out, format)
}

/// The report of `runs`, every one read from `src`.
fn generate_from(
    src: &dyn SampleSource,
    runs: &[RunRecord],
    out: &Path,
    format: Format,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let inputs: Vec<(&RunRecord, &dyn SampleSource)> = runs.iter().map(|r| (r, src)).collect();
    mlk::report::generate(&inputs, out, format).map(|g| g.files)
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: report says {a}, expected {b}"
    );
}

fn total<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("no total {id}"))
}

/// The report's figures equal the ones worked out from the shapes; what has no source says
/// "not available" and why; every format states the method.
pub fn check_figures(env: &Env) -> Vec<RunRecord> {
    let (mono, dist) = load(env);
    let runs = vec![mono.record("canal"), dist.record("canal")];
    let tmp = tempfile::tempdir().unwrap();
    let files = generate(env, &runs, &tmp.path().join("json"), Format::Json).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    for (i, shape) in [&mono, &dist].into_iter().enumerate() {
        let r = &json["runs"][i];
        assert_eq!(r["run"]["name"], shape.name);
        let want = shape.expected();
        for (id, v) in &want.totals {
            let got = total(r, id)["value"].as_f64().unwrap_or_else(|| {
                panic!("run {}: {id} has no value: {}", shape.name, total(r, id))
            });
            close(got, *v, &format!("run {}: {id}", shape.name));
        }
        for (host, s) in &want.node_cpu_s {
            let n = r["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["host"] == *host)
                .unwrap();
            close(
                n["cpu_s"]["value"].as_f64().unwrap(),
                *s,
                &format!("{host} CPU-seconds"),
            );
        }
        assert_eq!(r["window"]["source"], "containers");
        assert_eq!(
            r["method"]["sampling"].as_str().unwrap(),
            "node inputs (cpu, mem, net, diskio, system) every 1 s; pod inputs (kubernetes, docker) every 10 s"
        );
        // Only the workload's pods, never the platform's.
        let pods: Vec<&str> = r["pods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["key"].as_str().unwrap())
            .collect();
        assert!(
            pods.iter().all(|p| p.starts_with("mlk-workloads/")),
            "{pods:?}"
        );
        assert_eq!(pods.len(), shape.pods.iter().filter(|p| p.workload).count());
    }
    // Unequal nodes (4, 2, 2 CPUs): the mean is weighted by cores, not a mean of percentages.
    let d = &json["runs"][1];
    let unweighted = dist
        .nodes
        .iter()
        .map(|n| n.busy.iter().sum::<f64>() / n.busy.len() as f64)
        .sum::<f64>()
        / 3.0;
    let weighted = total(d, "node_cpu_mean")["value"].as_f64().unwrap();
    assert!(
        (weighted - unweighted).abs() > 1.0,
        "{weighted} vs {unweighted}"
    );
    // A missing field: no docker_container_mem in the distributed run. Not a zero.
    let m = total(d, "workload_mem_peak_docker");
    assert!(m["value"].is_null(), "{m}");
    assert!(
        m["why"]
            .as_str()
            .unwrap()
            .contains("docker_container_mem.usage"),
        "{m}"
    );
    // kubernetes_pod_network is all zeros on RKE1: not used, the veths are.
    assert!(total(d, "workload_net_sent")["value"].as_f64().unwrap() > 0.0);

    // HTML: self-contained, ratios, the method, "not available" with its reason.
    let out = tmp.path().join("html");
    let files = generate(env, &runs, &out, Format::Html).unwrap();
    let html = std::fs::read_to_string(&files[0]).unwrap();
    let ratio = dist.expected().totals["node_cpu_s"] / mono.expected().totals["node_cpu_s"];
    assert!(
        html.contains(&format!("{ratio:.2}×")),
        "ratio {ratio:.2}× missing"
    );
    assert!(html.contains("dist-1 / mono-1"));
    for needle in [
        "<h2>Method</h2>",
        "window: ",
        "from containers",
        "baseline: ",
        "every 1 s",
        "excluded from the workload figures",
        "not available: no docker_container_mem.usage samples",
        "usage_active − usage_iowait − usage_steal",
    ] {
        assert!(html.contains(needle), "HTML lacks {needle:?}");
    }
    assert!(!html.contains("<img") && !html.contains("src=") && !html.contains("href="));
    // 7 chart kinds per run, 4 of them also as a comparison of the two runs.
    assert_eq!(html.matches("<svg ").count(), 18);
    let (mut svgs, mut pngs) = (0, 0);
    for f in &files[1..] {
        let bytes = std::fs::read(f).unwrap();
        match f.extension().and_then(|e| e.to_str()) {
            Some("svg") => {
                let text = String::from_utf8(bytes).unwrap();
                let doc = roxmltree::Document::parse(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                assert_eq!(doc.root_element().tag_name().name(), "svg");
                assert!(
                    doc.descendants()
                        .any(|n| n.has_tag_name("polyline") || n.has_tag_name("circle")),
                    "{}: no data drawn",
                    f.display()
                );
                svgs += 1;
            }
            Some("png") => {
                let dec = png::Decoder::new(std::io::Cursor::new(bytes));
                let reader = dec
                    .read_info()
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                assert_eq!(
                    (reader.info().width, reader.info().height),
                    (mlk::report::svg::WIDTH, mlk::report::svg::HEIGHT)
                );
                pngs += 1;
            }
            _ => panic!("unexpected file {}", f.display()),
        }
    }
    assert_eq!((svgs, pngs), (18, 18));
    for stem in [
        "mono-mono-1-node_cpu",
        "distributed-dist-1-workload_cpu",
        "compare-node_net_private",
    ] {
        assert!(
            out.join("charts").join(format!("{stem}.png")).is_file(),
            "{stem}"
        );
    }
    if let Ok(dir) = std::env::var("MLK_SAMPLE_REPORT") {
        // Makes docs/report.md's sample pictures from this data set, labelled as test data.
        let ras = mlk::report::png::Rasteriser::new();
        for stem in ["compare-node_cpu", "distributed-dist-1-node_cpu"] {
            let svg = std::fs::read_to_string(out.join(format!("charts/{stem}.svg"))).unwrap();
            let i = svg.find("font-weight=\"bold\">").unwrap() + "font-weight=\"bold\">".len();
            let j = i + svg[i..].find("</text>").unwrap();
            let labelled = format!("{}{} [test data set]{}", &svg[..i], &svg[i..j], &svg[j..]);
            std::fs::write(
                Path::new(&dir).join(format!("report-sample-{stem}.png")),
                ras.png(&labelled, 1.0).unwrap(),
            )
            .unwrap();
        }
    }
    let md = generate(env, &runs, &tmp.path().join("md"), Format::Md).unwrap();
    let text = std::fs::read_to_string(&md[0]).unwrap();
    assert!(
        text.contains("## Method") && text.contains("| Workload CPU-seconds (kubelet) |"),
        "{text}"
    );
    if let Ok(dir) = std::env::var("MLK_SAMPLE_REPORT") {
        std::fs::copy(&md[0], Path::new(&dir).join("report-sample.md")).unwrap();
    }
    let csv = generate(env, &runs, &tmp.path().join("csv"), Format::Csv).unwrap();
    let names: Vec<String> = csv
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names[..3], ["report.csv", "method.md", "series.csv"]);
    let rows = std::fs::read_to_string(&csv[0]).unwrap();
    assert!(
        rows.lines().any(
            |l| l.starts_with("distributed,dist-1,workload_mem_peak_docker,")
                && l.contains(",,")
                && l.contains("docker_container_mem")
        ),
        "{rows}"
    );

    // Flannel names no pod veth: the workload's network is "not available", not zero.
    let flannel = mono.record("flannel");
    let files = generate(env, &[flannel], &tmp.path().join("flannel"), Format::Json).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let sent = total(&json["runs"][0], "workload_net_sent");
    assert!(sent["value"].is_null(), "{sent}");
    assert!(sent["why"].as_str().unwrap().contains("flannel"), "{sent}");
    runs
}

/// A node with CPU samples but no CPU count is an error, not a node of 1 CPU.
pub fn check_missing_cpu_count(env: &Env) {
    let t0 = (mlk::report::time::now() - 7 * 3600) / 60 * 60;
    let mut run = dataset::distributed(t0);
    run.name = "no-ncpus";
    run.nodes[2].system = false;
    write(env, &run);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let e = generate(env, &[run.record("canal")], &out, Format::Json).unwrap_err();
    assert_eq!(mlk::exit::class_of(&e), mlk::exit::Class::Failure);
    let msg = format!("{e:#}");
    assert!(
        msg.contains("node node3 has CPU samples but no CPU count (system.n_cpus)"),
        "{msg}"
    );
    assert!(!out.exists());
}

/// The report states the sampling the data has, not the one the record expects: a cluster
/// whose Telegraf still samples the node inputs every 10 s says so.
pub fn check_sampling_is_read_from_the_data(env: &Env) {
    let t0 = (mlk::report::time::now() - 9 * 3600) / 60 * 60;
    let mut run = dataset::mono(t0);
    run.name = "slow-1";
    run.node_step = 10;
    write(env, &run);
    let tmp = tempfile::tempdir().unwrap();
    let files = generate(
        env,
        &[run.record("canal")],
        &tmp.path().join("j"),
        Format::Json,
    )
    .unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(
        json["runs"][0]["method"]["sampling"],
        "node inputs (cpu, mem, net, diskio, system) every 10 s; pod inputs (kubernetes, docker) every 10 s"
    );
}

/// A window without data is a clear error, and nothing is written.
pub fn check_no_data(env: &Env) {
    let tmp = tempfile::tempdir().unwrap();
    let runs = [record("old-run", "mono", 1_000_000_000, 1_000_000_600)];
    let out = tmp.path().join("out");
    let err = format!(
        "{:#}",
        generate(env, &runs, &out, Format::Html).unwrap_err()
    );
    assert!(
        err.contains("run `old-run`")
            && err.contains("no Telegraf data between 2001-09-09T01:46:40Z"),
        "{err}"
    );
    assert!(!out.exists(), "a report was written for a run without data");
}

/// A wrong password and an InfluxDB that is not there are clear errors.
pub fn check_influx_errors(env: &Env, unreachable: Forwarder) {
    let runs = [record("r", "mono", 1_000_000_000, 1_000_000_600)];
    let tmp = tempfile::tempdir().unwrap();
    let bad = env.client("not-the-password");
    let err = format!(
        "{:#}",
        generate_from(&bad, &runs, tmp.path(), Format::Html)
            .err()
            .unwrap()
    );
    assert!(
        err.contains("refused the credentials of user `admin`"),
        "{err}"
    );
    let gone = Client::new(unreachable, "nowhere:8086", "telegraf", "admin", "x");
    let e = generate_from(&gone, &runs, tmp.path(), Format::Html)
        .err()
        .unwrap();
    assert_eq!(mlk::exit::class_of(&e), mlk::exit::Class::Remote);
    let err = format!("{e:#}");
    assert!(
        err.contains("cluster `mono`: cannot reach InfluxDB at nowhere:8086"),
        "{err}"
    );
}
