//! `mlk report` against a real InfluxDB 1.x loaded with a Telegraf-shaped data set.
mod cli;
mod dataset;
mod influxd;
mod telegraf_consistency;
mod tunnel;

use mlk::remote::Tunnel;
use mlk::report::influx::{Client, Dialer};
use mlk::report::write::Format;
use mlk::runs::{Outcome, RunRecord};
use std::path::Path;
use std::sync::Arc;

pub type Dial = Arc<dyn Fn() -> anyhow::Result<Box<dyn Tunnel>> + Send + Sync>;

/// Where the test's influxd runs and how to reach it.
pub struct Env {
    pub dial: Dial,
    pub password: String,
    /// Keeps the test host (and its influxd) alive.
    pub _guard: Box<dyn std::any::Any>,
}

impl Env {
    fn dialer(&self) -> Dialer<'static> {
        let d = self.dial.clone();
        Box::new(move || d())
    }
    fn client(&self, password: &str) -> Client<'static> {
        Client::new(self.dialer(), "test influxd", "telegraf", "admin", password)
    }
}

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
    }
}

/// Two runs (mono at T0, distributed at T1) loaded into `env`; returns their records and shapes.
fn load(env: &Env) -> (Vec<RunRecord>, Vec<Vec<dataset::Point>>) {
    let t0 = (mlk::report::time::now() - 4 * 3600) / 60 * 60;
    let t1 = t0 + 1800;
    let (m, d) = (dataset::mono(t0), dataset::distributed(t1));
    let pm = dataset::points(&m);
    let pd = dataset::points(&d);
    let c = env.client(&env.password);
    c.write_lines(&dataset::line_protocol(&pm)).unwrap();
    c.write_lines(&dataset::line_protocol(&pd)).unwrap();
    let runs = vec![
        record("mono-mnist", "mono", t0, t0 + m.samples * 10),
        record("dist-mnist", "distributed", t1, t1 + d.samples * 10),
    ];
    (runs, vec![pm, pd])
}

fn generate(
    env: &Env,
    runs: &[RunRecord],
    out: &Path,
    format: Format,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let client = env.client(&env.password);
    mlk::report::generate(runs, &mut |_| Ok(&client), out, format)
}

fn runs_start(r: &RunRecord) -> i64 {
    mlk::report::time::parse(&r.start).unwrap()
}

fn runs_end(r: &RunRecord) -> i64 {
    mlk::report::time::parse(r.end.as_ref().unwrap()).unwrap()
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        "{what}: report says {a}, expected {b}"
    );
}

/// The report's figures equal the ones computed here from the raw points.
pub fn check_figures(env: &Env) -> Vec<RunRecord> {
    let (runs, points) = load(env);
    let tmp = tempfile::tempdir().unwrap();
    let files = generate(env, &runs, &tmp.path().join("json"), Format::Json).unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    for (i, run) in runs.iter().enumerate() {
        let (s, e) = (
            mlk::report::time::parse(&run.start).unwrap(),
            mlk::report::time::parse(run.end.as_ref().unwrap()).unwrap(),
        );
        let want = dataset::expected(&points[i], s, e);
        let r = &json["runs"][i];
        assert_eq!(r["run"]["name"], run.name.as_str());
        let total = |id: &str| {
            r["totals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["id"] == id)
                .unwrap()["value"]
                .as_f64()
                .unwrap_or_else(|| panic!("{id}: no value"))
        };
        let what = |f: &str| format!("run {}: {f}", run.name);
        close(
            total("node_cpu_seconds"),
            want.node_cpu_seconds,
            &what("node CPU-seconds"),
        );
        close(
            total("node_cpu_peak"),
            want.node_cpu_peak,
            &what("node CPU peak"),
        );
        close(
            total("node_cpu_mean"),
            want.node_cpu_mean,
            &what("node CPU mean"),
        );
        close(
            total("pod_cpu_seconds"),
            want.pod_cpu_seconds,
            &what("pod CPU-seconds"),
        );
        close(
            total("node_net_rx_total"),
            want.net_rx_total,
            &what("network received"),
        );
        close(
            total("node_disk_write_total"),
            want.disk_write_total,
            &what("disk written"),
        );
        close(total("wall"), (e - s) as f64, &what("wall time"));
        for (host, cpu_s) in &want.per_node_cpu_seconds {
            close(
                r["figures"]["node_cpu"][host]["total"].as_f64().unwrap(),
                *cpu_s,
                &what(&format!("{host} CPU-seconds")),
            );
        }
    }
    // The shapes themselves, as stated in the data set: mono 50 % of 4 CPUs for 300 s = 600
    // CPU-seconds; distributed 3 nodes of 2 CPUs at 20/15/15 % (+40 % once) for 200 s.
    close(
        dataset::expected(&points[0], runs_start(&runs[0]), runs_end(&runs[0])).node_cpu_seconds,
        600.0,
        "data set sanity",
    );

    // HTML: charts for both runs side by side, a comparison, and valid SVG/PNG files.
    let out = tmp.path().join("html");
    let files = generate(env, &runs, &out, Format::Html).unwrap();
    let html = std::fs::read_to_string(&files[0]).unwrap();
    let ratio = dataset::expected(&points[1], runs_start(&runs[1]), runs_end(&runs[1]))
        .node_cpu_seconds
        / 600.0;
    assert!(
        html.contains(&format!("{ratio:.2}×")),
        "ratio {ratio:.2}× missing from the HTML"
    );
    assert!(html.contains("dist-mnist / mono-mnist"));
    // Self-contained: every chart inline, nothing loaded from elsewhere.
    assert_eq!(html.matches("<svg ").count(), 29);
    assert!(!html.contains("<img") && !html.contains("src=") && !html.contains("href="));
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
    // 11 metrics × 2 runs, plus 7 comparison charts (6 node metrics and pod CPU).
    assert_eq!((svgs, pngs), (29, 29));
    for stem in [
        "mono-mono-mnist-node_cpu",
        "distributed-dist-mnist-pod_cpu",
        "compare-node_cpu",
    ] {
        assert!(
            out.join("charts").join(format!("{stem}.png")).is_file(),
            "{stem}"
        );
    }
    if let Ok(dir) = std::env::var("MLK_SAMPLE_REPORT") {
        // Makes docs/report.md's sample pictures from this data set, labelled as test data.
        let ras = mlk::report::png::Rasteriser::new();
        for stem in ["compare-node_cpu", "distributed-dist-mnist-node_cpu"] {
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
    for f in [Format::Md, Format::Csv] {
        let files = generate(env, &runs, &tmp.path().join(format!("{f:?}")), f).unwrap();
        assert!(std::fs::metadata(&files[0]).unwrap().len() > 200);
        if let (Ok(dir), Format::Md) = (std::env::var("MLK_SAMPLE_REPORT"), f) {
            std::fs::copy(&files[0], Path::new(&dir).join("report-sample.md")).unwrap();
        }
    }
    runs
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
pub fn check_influx_errors(env: &Env, unreachable: Dialer<'static>) {
    let runs = [record("r", "mono", 1_000_000_000, 1_000_000_600)];
    let tmp = tempfile::tempdir().unwrap();
    let bad = env.client("not-the-password");
    let err = format!(
        "{:#}",
        mlk::report::generate(&runs, &mut |_| Ok(&bad), tmp.path(), Format::Html).unwrap_err()
    );
    assert!(
        err.contains("refused the credentials of user `admin`"),
        "{err}"
    );
    let gone = Client::new(unreachable, "nowhere:8086", "telegraf", "admin", "x");
    let e = mlk::report::generate(&runs, &mut |_| Ok(&gone), tmp.path(), Format::Html).unwrap_err();
    assert_eq!(mlk::exit::class_of(&e), mlk::exit::Class::Remote);
    let err = format!("{e:#}");
    assert!(
        err.contains("cluster `mono`: cannot reach InfluxDB at nowhere:8086"),
        "{err}"
    );
}
