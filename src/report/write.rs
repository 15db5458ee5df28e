//! Writes a report folder: `report.{html,md,csv,json}` plus `charts/*.svg` and `charts/*.png`.
//! The HTML file is self-contained (charts inline); Markdown links the chart files. Every
//! format states the method (HTML/Markdown in the file, JSON in `method`, CSV in `method.md`).
use super::charts::{self, ChartFile, KINDS};
use super::data::RunData;
use super::method;
use super::png::Rasteriser;
use super::svg::esc;
use super::tables::{self, TextTable};
use super::totals::{self, Figures};
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
    let figs: Vec<Figures> = runs.iter().map(totals::figures).collect();
    let mut written = Vec::new();
    let main = match format {
        Format::Html => ("report.html", html(runs, &charts, &figs)),
        Format::Md => ("report.md", markdown(runs, &charts, &figs)),
        Format::Csv => ("report.csv", csv(runs, &figs)),
        Format::Json => ("report.json", json(runs, &figs)?),
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
        let p = out.join("method.md");
        let text = method::lines(runs).join("\n") + "\n";
        write_atomic(&p, text.as_bytes(), Some(0o644))?;
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
    if !t.notes.is_empty() {
        s.push_str("<ul class=\"notes\">");
        for n in &t.notes {
            let _ = write!(s, "<li>{}</li>", esc(n));
        }
        s.push_str("</ul>\n");
    }
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
    for n in &t.notes {
        let _ = writeln!(s, "- {n}");
    }
    if !t.notes.is_empty() {
        s.push('\n');
    }
    s
}

fn chart_for<'a>(
    charts: &'a [ChartFile],
    metric: &str,
    run: Option<usize>,
) -> Option<&'a ChartFile> {
    charts.iter().find(|c| c.metric == metric && c.run == run)
}

const CSS: &str = "body{font-family:DejaVu Sans,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}caption{font-weight:bold;text-align:left;padding:4px 0}.row{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}.nodata{border:1px dashed #aaa;padding:2em;width:640px;color:#777}.notes{color:#555;font-size:90%}";

fn per_run_tables(runs: &[RunData], figs: &[Figures]) -> Vec<(&'static str, Vec<TextTable>)> {
    let each = |f: fn(&RunData, &Figures) -> TextTable| {
        runs.iter().zip(figs).map(|(r, g)| f(r, g)).collect()
    };
    vec![
        ("Per node", each(tables::nodes)),
        ("Workload pods", each(tables::pods)),
        ("Platform pods", each(tables::platform)),
    ]
}

fn html(runs: &[RunData], charts: &[ChartFile], figs: &[Figures]) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mlk resource report</title><style>{CSS}</style></head><body>\n<h1>mlk resource report</h1>\n"
    );
    s.push_str(&html_table(&tables::comparison(runs, figs)));
    for (title, ts) in per_run_tables(runs, figs) {
        let _ = writeln!(s, "<h2>{title}</h2><div class=\"row\">");
        for t in &ts {
            s.push_str(&html_table(t));
        }
        s.push_str("</div>\n");
    }
    s.push_str("<h2>Over the training window</h2>\n");
    for k in KINDS {
        let _ = writeln!(s, "<h3>{}</h3>", esc(k.title));
        if let Some(c) = chart_for(charts, k.id, None) {
            let _ = writeln!(s, "<div class=\"row\">{}</div>", c.svg);
        }
        s.push_str("<div class=\"row\">");
        for (i, r) in runs.iter().enumerate() {
            match chart_for(charts, k.id, Some(i)) {
                Some(c) => s.push_str(&c.svg),
                None => {
                    let _ = write!(
                        s,
                        "<div class=\"nodata\">{}: no samples for run {} in its window (not available).</div>",
                        esc(k.title),
                        esc(&r.run.name)
                    );
                }
            }
        }
        s.push_str("</div>\n");
    }
    s.push_str("<h2>Method</h2>\n<ul>\n");
    for l in method::lines(runs) {
        let _ = writeln!(s, "<li>{}</li>", esc(l.trim_start_matches("- ")));
    }
    s.push_str("</ul>\n</body></html>\n");
    s
}

fn markdown(runs: &[RunData], charts: &[ChartFile], figs: &[Figures]) -> String {
    let mut s = String::from("# mlk resource report\n\n");
    s.push_str(&md_table(&tables::comparison(runs, figs)));
    for (_, ts) in per_run_tables(runs, figs) {
        for t in &ts {
            s.push_str(&md_table(t));
        }
    }
    for k in KINDS {
        let _ = writeln!(s, "## {}\n", k.title);
        let mut cells = Vec::new();
        if let Some(c) = chart_for(charts, k.id, None) {
            cells.push(format!("![{}](charts/{}.svg)", k.title, c.stem));
        }
        for (i, r) in runs.iter().enumerate() {
            cells.push(match chart_for(charts, k.id, Some(i)) {
                Some(c) => format!("![{} {}](charts/{}.svg)", k.title, r.run.name, c.stem),
                None => format!(
                    "_{}: no samples for run {} in its window (not available)._",
                    k.title, r.run.name
                ),
            });
        }
        let _ = writeln!(s, "{}\n", cells.join(" "));
    }
    s.push_str("## Method\n\n");
    for l in method::lines(runs) {
        let _ = writeln!(s, "{l}");
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

/// One row per run and cluster figure: value in base units, or empty with the reason.
fn csv(runs: &[RunData], figs: &[Figures]) -> String {
    let mut s = String::from("cluster,run,figure,label,unit,value,not_available_because\n");
    for (r, f) in runs.iter().zip(figs) {
        for t in &f.totals {
            let _ = writeln!(
                s,
                "{},{},{},{},{},{},{}",
                csv_field(&r.run.cluster),
                csv_field(&r.run.name),
                t.id,
                csv_field(t.label),
                csv_field(t.unit),
                t.fig.value.map_or(String::new(), |v| format!("{v}")),
                csv_field(t.fig.why.as_deref().unwrap_or(""))
            );
        }
    }
    s
}

/// Every chart line's bucketed points: cluster, run, chart, line, epoch seconds, offset, value.
fn series_csv(runs: &[RunData]) -> String {
    let mut s = String::from("cluster,run,chart,line,time,offset_s,value\n");
    for r in runs {
        for k in KINDS {
            for (label, pts) in charts::points_of(r, k.id) {
                for (t, v) in pts {
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{t},{},{v}",
                        csv_field(&r.run.cluster),
                        csv_field(&r.run.name),
                        k.id,
                        csv_field(&label),
                        t - r.start
                    );
                }
            }
        }
    }
    s
}

fn json(runs: &[RunData], figs: &[Figures]) -> Result<String> {
    let v: Vec<serde_json::Value> = runs
        .iter()
        .zip(figs)
        .map(|(r, f)| {
            serde_json::json!({
                "run": r.run,
                "window": {"start": r.start, "end": r.end, "source": r.window_source},
                "baseline": r.baseline.map(|(a, b)| serde_json::json!({"start": a, "end": b})),
                "distribution": r.dist.id(),
                "method": method::of(r),
                "totals": f.totals,
                "nodes": f.nodes,
                "pods": f.pods,
                "platform": f.platform,
            })
        })
        .collect();
    let how: Vec<&str> = method::HOW.to_vec();
    Ok(serde_json::to_string_pretty(&serde_json::json!({ "method": how, "runs": v }))? + "\n")
}
