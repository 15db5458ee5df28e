//! Clusters as users name them: where their folders live (the mlk home), what `mlk up`
//! recorded about each, and which one a command means (`--cluster NAME`, or the only one).
//! The one way in for every command after `up`: [`open`] the cluster, then, as it needs,
//! its [`Machines`] (saved profile, provider, first controlplane node) or `access`
//! (readiness for workloads and reports, a node from the ssh-config).
pub mod access;
pub mod health;
pub mod home;
pub mod machines;
pub mod name;
pub mod record;
pub mod summary;
pub mod target;

pub use home::{Found, Home};
pub use machines::Machines;
pub use name::ClusterName;
pub use record::Record;

use crate::exit::{Class, classify};
use anyhow::Result;

/// The cluster a command acts on.
#[derive(Debug, Clone)]
pub struct Opened {
    pub home: Home,
    pub found: Found,
    pub record: Record,
}

impl Opened {
    pub fn name(&self) -> &str {
        &self.found.name
    }
    pub fn dir(&self) -> &std::path::Path {
        &self.found.dir
    }
}

/// The cluster named by `--cluster`, else the only cluster there is. Destroyed clusters
/// count only when no other exists. None found, or several, is a usage error (exit 2) that
/// lists what there is.
pub fn select(home: &Home, name: Option<&ClusterName>) -> Result<Found> {
    let all = home.clusters();
    if let Some(n) = name {
        return all
            .into_iter()
            .find(|f| f.name == n.as_str())
            .ok_or_else(|| {
                classify(
                    Class::Usage,
                    format!("no cluster {n} in {}{}", home.describe(), listing(home)),
                )
            });
    }
    let summaries: Vec<summary::Summary> = all.iter().map(summary::summarize).collect();
    let live: Vec<&summary::Summary> = summaries
        .iter()
        .filter(|s| s.phase != summary::Phase::Destroyed)
        .collect();
    let candidates: Vec<&summary::Summary> = if live.is_empty() {
        summaries.iter().collect()
    } else {
        live
    };
    match candidates.as_slice() {
        [one] => Ok(all
            .into_iter()
            .find(|f| f.name == one.name)
            .expect("summarised from this list")),
        [] => Err(classify(
            Class::Usage,
            format!(
                "no cluster in {}; create one with `mlk up -p mono` (`mlk profile list` shows the profiles)",
                home.describe()
            ),
        )),
        many => {
            let rows: Vec<summary::Summary> = many.iter().map(|s| (*s).clone()).collect();
            Err(classify(
                Class::Usage,
                format!(
                    "{} clusters; name one with --cluster NAME (-c NAME):\n{}",
                    many.len(),
                    indent(&summary::table(&rows))
                ),
            ))
        }
    }
}

/// Selects a cluster and reads its record; says where it is when it is in `./.mlk`.
pub fn open(home: &Home, name: Option<&ClusterName>) -> Result<Opened> {
    let found = select(home, name)?;
    if let Some(note) = found.note(home) {
        eprintln!("mlk: note: {note}");
    }
    // Folders of older versions were 0755 with 0644 files: private from here on.
    crate::state::folder::secure(&found.dir);
    let record = Record::load_or_infer(&found.dir, &found.name)?;
    Ok(Opened {
        home: home.clone(),
        found,
        record,
    })
}

/// `; clusters: a (up), b (destroyed)` or `; there is no cluster yet`.
fn listing(home: &Home) -> String {
    let all: Vec<String> = home
        .clusters()
        .iter()
        .map(|f| {
            let s = summary::summarize(f);
            format!("{} ({})", s.name, s.state_text)
        })
        .collect();
    if all.is_empty() {
        "; there is no cluster yet (`mlk up -p PROFILE` makes one)".into()
    } else {
        format!("; clusters: {}", all.join(", "))
    }
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
