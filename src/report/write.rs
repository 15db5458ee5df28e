//! Writes a report folder: `report.{html,md,csv,json}` plus `charts/*.svg` and `charts/*.png`.
//! The HTML file is self-contained (charts inline); Markdown links the chart files.
use super::charts::{self, ChartFile};
use super::data::RunData;
use super::png::Rasteriser;
use super::queries::METRICS;
use super::summary::{self, unit_str};
use super::svg::esc;
use super::tables::{self, TextTable};
use crate::fsutil::write_atomic;
use anyhow::Result;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Html,
    Md,
    Csv,
    Json,
}

/// Writes everything under `out`; returns the paths written, the main file first.
pub fn write(out: &Path, format: Format, runs: &[RunData]) -> Result<Vec<PathBuf>> {
    let charts = charts::build(runs);
    let (tables, totals) = tables::figures(runs);
    let mut written = Vec::new();
    let main = match format {
        Format::Html => ("report.html", html(runs, &charts, &tables, &totals)),
        Format::Md => ("report.md", markdown(runs, &charts, &tables, &totals)),
        Format::Csv => ("report.csv", csv(runs, &tables)),
        Format::Json => ("report.json", json(runs, &tables, &totals)?),
    };
    let ras = Rasteriser::new();
    if !ras.has_fonts() && !charts.is_empty() {
        eprintln!(
            "mlk: warning: no system fonts found; PNG charts have no labels (the SVGs do); install fonts-dejavu-core"
        );
    }
    for c in &charts {
        let dir = out.join("charts");
        let svg_path = dir.join(format!("{}.svg", c.stem));
        write_atomic(&svg_path, c.svg.as_bytes(), Some(0o644))?;
        let png_path = dir.join(format!("{}.png", c.stem));
        write_atomic(&png_path, &ras.png(&c.svg, 1.0)?, Some(0o644))?;
        written.extend([svg_path, png_path]);
    }
    if format == Format::Csv {
        let p = out.join("series.csv");
        write_atomic(&p, series_csv(runs).as_bytes(), Some(0o644))?;
        written.insert(0, p);
    }
    let p = out.join(main.0);
    write_atomic(&p, main.1.as_bytes(), Some(0o644))?;
    written.insert(0, p);
    Ok(written)
}

fn html_table(t: &TextTable) -> String {
    let mut s = format!("<table><caption>{}</caption><tr>", esc(&t.caption));
    for h in &t.header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr>\n");
    for r in &t.rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

fn md_table(t: &TextTable) -> String {
    let cell = |c: &str| c.replace('|', "\\|");
    let mut s = format!(
        "**{}**\n\n| {} |\n|{}\n",
        t.caption,
        t.header
            .iter()
            .map(|h| cell(h))
            .collect::<Vec<_>>()
            .join(" | "),
        "---|".repeat(t.header.len())
    );
    for r in &t.rows {
        let _ = writeln!(
            s,
            "| {} |",
            r.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    s.push('\n');
    s
}

fn run_line(r: &RunData) -> String {
    format!(
        "run {} on cluster {} (profile {}, workload {}, outcome {:?}): {} → {}, buckets of {} s",
        r.run.name,
        r.run.cluster,
        r.run.profile,
        r.run.workload,
        r.run.outcome,
        super::time::rfc3339(r.start),
        super::time::rfc3339(r.end),
        r.step
    )
}

fn chart_for<'a>(
    charts: &'a [ChartFile],
    metric: &str,
    run: Option<usize>,
) -> Option<&'a ChartFile> {
    charts.iter().find(|c| c.metric == metric && c.run == run)
}

const CSS: &str = "body{font-family:DejaVu Sans,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}caption{font-weight:bold;text-align:left;padding:4px 0}.row{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.nodata{border:1px dashed #aaa;padding:2em;width:640px;color:#777}";

fn html(
    runs: &[RunData],
    charts: &[ChartFile],
    tables: &[summary::Table],
    totals: &[Vec<summary::Total>],
) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mlk resource report</title><style>{CSS}</style></head><body>\n<h1>mlk resource report</h1>\n<ul>\n"
    );
    for r in runs {
        let _ = writeln!(s, "<li>{}</li>", esc(&run_line(r)));
    }
    s.push_str("</ul>\n");
    s.push_str(&html_table(&tables::comparison(runs, totals)));
    for (title, f) in [
        ("Per node", tables::nodes as fn(_, _) -> _),
        ("Per pod", tables::pods),
    ] {
        let _ = writeln!(s, "<h2>{title}</h2><div class=\"row\">");
        for (r, t) in runs.iter().zip(tables) {
            s.push_str(&html_table(&f(r, t)));
        }
        s.push_str("</div>\n");
    }
    s.push_str("<h2>Over time</h2>\n");
    for m in METRICS {
        let _ = writeln!(s, "<h3>{} ({})</h3>", esc(m.title), unit_str(m.unit));
        if let Some(c) = chart_for(charts, m.id, None) {
            let _ = writeln!(s, "<div class=\"row\">{}</div>", c.svg);
        }
        s.push_str("<div class=\"row\">");
        for (i, r) in runs.iter().enumerate() {
            match chart_for(charts, m.id, Some(i)) {
                Some(c) => s.push_str(&c.svg),
                None => {
                    let _ = write!(
                        s,
                        "<div class=\"nodata\">No {} data for run {} in its window.</div>",
                        esc(m.measurement),
                        esc(&r.run.name)
                    );
                }
            }
        }
        s.push_str("</div>\n");
    }
    s.push_str("</body></html>\n");
    s
}

fn markdown(
    runs: &[RunData],
    charts: &[ChartFile],
    tables: &[summary::Table],
    totals: &[Vec<summary::Total>],
) -> String {
    let mut s = String::from("# mlk resource report\n\n");
    for r in runs {
        let _ = writeln!(s, "- {}", run_line(r));
    }
    s.push('\n');
    s.push_str(&md_table(&tables::comparison(runs, totals)));
    for (r, t) in runs.iter().zip(tables) {
        s.push_str(&md_table(&tables::nodes(r, t)));
        s.push_str(&md_table(&tables::pods(r, t)));
    }
    for m in METRICS {
        let _ = writeln!(s, "## {} ({})\n", m.title, unit_str(m.unit));
        let mut cells = Vec::new();
        if let Some(c) = chart_for(charts, m.id, None) {
            cells.push(format!("![{}](charts/{}.svg)", m.title, c.stem));
        }
        for (i, r) in runs.iter().enumerate() {
            cells.push(match chart_for(charts, m.id, Some(i)) {
                Some(c) => format!("![{} {}](charts/{}.svg)", m.title, r.run.name, c.stem),
                None => format!(
                    "_No {} data for run {} in its window._",
                    m.measurement, r.run.name
                ),
            });
        }
        let _ = writeln!(s, "{}\n", cells.join(" "));
    }
    s
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per run, metric and line: peak, mean and total in base units.
fn csv(runs: &[RunData], tables: &[summary::Table]) -> String {
    let mut s = String::from("cluster,run,metric,scope,key,unit,peak,mean,total,total_unit\n");
    for (r, t) in runs.iter().zip(tables) {
        for m in METRICS {
            for (k, f) in t.get(m.id).into_iter().flatten() {
                let scope = format!("{:?}", m.scope).to_lowercase();
                let total = f.total.map_or(String::new(), |v| format!("{v}"));
                let _ = writeln!(
                    s,
                    "{},{},{},{scope},{},{},{},{},{total},{}",
                    csv_field(&r.run.cluster),
                    csv_field(&r.run.name),
                    m.id,
                    csv_field(k),
                    unit_str(m.unit),
                    f.peak,
                    f.mean,
                    if f.total.is_some() {
                        summary::total_unit(m.unit)
                    } else {
                        ""
                    }
                );
            }
        }
    }
    s
}

/// Every point: cluster, run, metric, line, epoch seconds, seconds since start, value.
fn series_csv(runs: &[RunData]) -> String {
    let mut s = String::from("cluster,run,metric,key,node,time,offset_s,value\n");
    for r in runs {
        for md in &r.metrics {
            for l in &md.lines {
                for (t, v) in &l.points {
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{},{t},{},{v}",
                        csv_field(&r.run.cluster),
                        csv_field(&r.run.name),
                        md.id,
                        csv_field(&l.key),
                        csv_field(&l.node),
                        t - r.start
                    );
                }
            }
        }
    }
    s
}

fn json(
    runs: &[RunData],
    tables: &[summary::Table],
    totals: &[Vec<summary::Total>],
) -> Result<String> {
    let v: Vec<serde_json::Value> = runs
        .iter()
        .zip(tables.iter().zip(totals))
        .map(|(r, (t, tot))| serde_json::json!({ "run": r.run, "start": r.start, "end": r.end, "step": r.step, "ncpus": r.ncpus, "totals": tot, "figures": t, "series": r.metrics }))
        .collect();
    Ok(serde_json::to_string_pretty(&serde_json::json!({ "runs": v }))? + "\n")
}
