//! The report's tables as plain rows of text, shared by the HTML and Markdown writers.
use super::data::RunData;
use super::summary::{Fig, NOT_AVAILABLE, fmt, fmt_fig, ratio};
use super::totals::Figures;

/// Platform pods listed per run (by CPU-seconds).
pub const MAX_PLATFORM_ROWS: usize = 10;

pub struct TextTable {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Why cells say "not available" (one line per distinct reason).
    pub notes: Vec<String>,
}

fn note(notes: &mut Vec<String>, who: &str, what: &str, f: &Fig) {
    if let Some(why) = &f.why {
        let line = format!("{who}, {what}: {NOT_AVAILABLE}: {why}");
        if !notes.contains(&line) {
            notes.push(line);
        }
    }
}

/// Runs as columns; with two or more runs a ratio column per later run (run N / run 1).
pub fn comparison(runs: &[RunData], figs: &[Figures]) -> TextTable {
    let mut header = vec!["Figure".to_string()];
    header.extend(
        runs.iter()
            .map(|r| format!("{} ({})", r.run.name, r.run.cluster)),
    );
    for r in runs.iter().skip(1) {
        header.push(format!("{} / {}", r.run.name, runs[0].run.name));
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (i, t) in figs[0].totals.iter().enumerate() {
        let mut row = vec![t.label.to_string()];
        for (r, f) in runs.iter().zip(figs) {
            let tot = &f.totals[i];
            row.push(fmt_fig(&tot.fig, tot.unit));
            note(
                &mut notes,
                &format!("run {}", r.run.name),
                tot.label,
                &tot.fig,
            );
        }
        for f in figs.iter().skip(1) {
            row.push(
                ratio(t.fig.value, f.totals[i].fig.value)
                    .map_or("–".into(), |r| format!("{r:.2}×")),
            );
        }
        rows.push(row);
    }
    let caption = if runs.len() > 1 {
        "Summary, runs side by side"
    } else {
        "Summary"
    };
    TextTable {
        caption: caption.into(),
        header,
        rows,
        notes,
    }
}

/// One row per node of one run: raw figures and figures minus the idle baseline.
pub fn nodes(run: &RunData, f: &Figures) -> TextTable {
    let header = [
        "Node",
        "CPUs",
        "CPU-s",
        "CPU-s − base",
        "Base cores",
        "Busy mean",
        "Steal mean",
        "Peak cores",
        "Mem peak",
        "Mem base",
        "Private rx",
        "Private tx",
        "Private rx − base",
        "Private tx − base",
        "NAT rx",
        "NAT tx",
        "Disk read",
        "Disk written",
    ];
    let mut notes = Vec::new();
    let rows = f
        .nodes
        .iter()
        .map(|n| {
            let cells: [(&str, &Fig, &str); 16] = [
                ("CPU-seconds", &n.cpu_s, "CPU·s"),
                ("CPU-seconds minus baseline", &n.cpu_s_net, "CPU·s"),
                ("baseline cores", &n.base_cores, "cores"),
                ("busy mean", &n.mean_busy_pct, "%"),
                ("steal mean", &n.steal_pct, "%"),
                ("peak cores", &n.peak_cores, "cores"),
                ("memory peak", &n.mem_peak, "B"),
                ("memory baseline", &n.mem_base, "B"),
                ("private NIC received", &n.private_rx, "B"),
                ("private NIC sent", &n.private_tx, "B"),
                (
                    "private NIC received minus baseline",
                    &n.private_rx_net,
                    "B",
                ),
                ("private NIC sent minus baseline", &n.private_tx_net, "B"),
                ("NAT NIC received", &n.nat_rx, "B"),
                ("NAT NIC sent", &n.nat_tx, "B"),
                ("disk read", &n.disk_read, "B"),
                ("disk written", &n.disk_write, "B"),
            ];
            let mut row = vec![n.host.clone(), format!("{:.0}", n.ncpus)];
            for (what, fig, unit) in cells {
                row.push(fmt_fig(fig, unit));
                note(&mut notes, &n.host, what, fig);
            }
            row
        })
        .collect();
    TextTable {
        caption: format!("Per node: run {} ({})", run.run.name, run.run.cluster),
        header: header.map(String::from).to_vec(),
        rows,
        notes,
    }
}

/// The workload's pods of one run.
pub fn pods(run: &RunData, f: &Figures) -> TextTable {
    let header = [
        "Workload pod",
        "Role",
        "Node",
        "CPU-s (kubelet)",
        "Peak cores",
        "Mem peak (working set)",
        "Sent",
        "Received",
        "CPU-s (Docker)",
        "Mem peak (Docker)",
    ];
    let mut notes = Vec::new();
    let rows = f
        .pods
        .iter()
        .map(|p| {
            let cells: [(&str, &Fig, &str); 7] = [
                ("CPU-seconds (kubelet)", &p.cpu_s, "CPU·s"),
                ("peak cores", &p.peak_cores, "cores"),
                ("memory peak", &p.mem_peak, "B"),
                ("network sent", &p.net_sent, "B"),
                ("network received", &p.net_recv, "B"),
                ("CPU-seconds (Docker)", &p.docker_cpu_s, "CPU·s"),
                ("memory peak (Docker)", &p.docker_mem_peak, "B"),
            ];
            let mut row = vec![p.key.clone(), p.role.clone(), p.node.clone()];
            for (what, fig, unit) in cells {
                row.push(fmt_fig(fig, unit));
                note(&mut notes, &p.key, what, fig);
            }
            row
        })
        .collect();
    TextTable {
        caption: format!(
            "Workload pods (label mlk.io/run={}): run {} ({})",
            run.run.name, run.run.name, run.run.cluster
        ),
        header: header.map(String::from).to_vec(),
        rows,
        notes,
    }
}

/// The busiest platform pods of one run (excluded from the workload figures).
pub fn platform(run: &RunData, f: &Figures) -> TextTable {
    let mut v = f.platform.clone();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let rows = v
        .iter()
        .take(MAX_PLATFORM_ROWS)
        .map(|(k, s)| vec![k.clone(), fmt(*s, "CPU·s")])
        .collect();
    TextTable {
        caption: format!(
            "Busiest platform pods (not the workload): run {} ({}), {} pods in all",
            run.run.name,
            run.run.cluster,
            v.len()
        ),
        header: vec!["Pod".into(), "CPU-s (kubelet)".into()],
        rows,
        notes: vec![],
    }
}
