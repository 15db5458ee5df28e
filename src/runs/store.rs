//! Finding runs across clusters and removing them. A run is `NAME` (in `--cluster`, else in
//! whichever cluster has a run of that name) or `CLUSTER/NAME`; destroyed clusters whose
//! folders are kept count like any other, since their runs outlive them.
use super::RunRecord;
use crate::cluster::{ClusterName, Found, Home};
use crate::exit::{Class, classify};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// A run found in a cluster folder.
#[derive(Debug, Clone)]
pub struct Located {
    pub cluster: Found,
    pub record: RunRecord,
}

impl Located {
    pub fn dir(&self) -> &Path {
        &self.cluster.dir
    }
    /// `cluster/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.cluster.name, self.record.name)
    }
}

/// Splits `CLUSTER/NAME` (or `NAME`, then in `cluster`) and checks both names.
pub fn parse(arg: &str, cluster: Option<&ClusterName>) -> Result<(Option<ClusterName>, String)> {
    let (c, name) = match arg.split_once('/') {
        Some((c, n)) => (Some(ClusterName::parse(c)?), n),
        None => (cluster.cloned(), arg),
    };
    super::check_name(name)?;
    Ok((c, name.to_string()))
}

/// Every run of every cluster (or of `cluster`): (cluster, run names), clusters by name.
pub fn all(home: &Home, cluster: Option<&ClusterName>) -> Result<Vec<(Found, Vec<String>)>> {
    let clusters = match cluster {
        Some(c) => vec![crate::cluster::select(home, Some(c))?],
        None => home.clusters(),
    };
    Ok(clusters
        .into_iter()
        .map(|f| {
            let names = super::list(&f.dir);
            (f, names)
        })
        .collect())
}

/// The run `arg` names. Without a cluster, the run must be in exactly one cluster (mlk says
/// which when there are several); an unknown run lists the runs there are (and, with several
/// clusters up, the clusters, as every command does), an ambiguous one the clusters that
/// have it.
pub fn locate(home: &Home, cluster: Option<&ClusterName>, arg: &str) -> Result<Located> {
    let (c, name) = parse(arg, cluster)?;
    if let Some(c) = c {
        let found = crate::cluster::select(home, Some(&c))?;
        let record = super::load(&found.dir, &name)?;
        return Ok(Located {
            cluster: found,
            record,
        });
    }
    let clusters = home.clusters();
    let having: Vec<&Found> = clusters
        .iter()
        .filter(|f| super::path(&f.dir, &name).is_file())
        .collect();
    let ids = || -> Result<String> {
        let mut ids = Vec::new();
        for (f, names) in all(home, None)? {
            ids.extend(names.iter().map(|n| format!("{}/{n}", f.name)));
        }
        Ok(if ids.is_empty() {
            "none yet; record one with `mlk run-workload`".to_string()
        } else {
            ids.join(", ")
        })
    };
    match having.as_slice() {
        [one] => {
            if clusters.len() > 1 {
                // Not a guess: no other cluster has a run of that name. Still, say where.
                eprintln!(
                    "mlk: run `{name}` is in cluster {} (the only one with a run of that name)",
                    one.name
                );
            }
            Ok(Located {
                cluster: (*one).clone(),
                record: super::load(&one.dir, &name)?,
            })
        }
        // One cluster: its own message, which lists its runs.
        [] if clusters.len() == 1 => Ok(Located {
            record: super::load(&clusters[0].dir, &name)?,
            cluster: clusters[0].clone(),
        }),
        [] => match crate::cluster::select(home, None) {
            // No cluster at all, or several that are up: that message (it lists them).
            Err(e) if clusters.is_empty() => Err(e),
            Err(e) => Err(classify(
                Class::Usage,
                format!(
                    "{e:#}\n  and no cluster has a run `{name}` (recorded runs: {})",
                    ids()?
                ),
            )),
            Ok(_) => Err(classify(
                Class::Usage,
                format!(
                    "no run `{name}` in any cluster of {} (recorded runs: {})",
                    home.describe(),
                    ids()?
                ),
            )),
        },
        many => {
            let ids: Vec<String> = many.iter().map(|f| format!("{}/{name}", f.name)).collect();
            Err(classify(
                Class::Usage,
                format!(
                    "run `{name}` is in {} clusters; name one as CLUSTER/NAME: {}",
                    many.len(),
                    ids.join(", ")
                ),
            ))
        }
    }
}

/// The files of run `name` in `dir` that exist: record, samples, log.
pub fn files(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut v = vec![super::path(dir, name)];
    if let Ok(rec) = super::load(dir, name)
        && let Some(Ok(p)) = super::samples::path_of(dir, &rec)
    {
        v.push(p);
    }
    v.push(super::samples_path(dir, name));
    v.push(super::log_path(dir, name));
    v.dedup();
    v.retain(|p| p.exists());
    v
}

/// Removes run `name` of the cluster in `dir`: first the record is renamed out of sight (one
/// atomic step: from then on the run is gone for every command), then its samples and log are
/// deleted, then the renamed record. Returns what was deleted.
pub fn remove(dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    super::check_name(name)?;
    let record = super::path(dir, name);
    let doomed = files(dir, name);
    let hidden = super::runs_dir(dir).join(format!(".{name}.json.removing"));
    std::fs::rename(&record, &hidden)
        .with_context(|| format!("renaming {} out of the way", record.display()))?;
    for f in doomed.iter().filter(|f| **f != record) {
        match std::fs::remove_file(f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("deleting {}", f.display()));
            }
            _ => {}
        }
    }
    std::fs::remove_file(&hidden).with_context(|| format!("deleting {}", hidden.display()))?;
    Ok(doomed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_anything_is_read() {
        let c = ClusterName::parse("mono").unwrap();
        assert_eq!(
            parse("r1", Some(&c)).unwrap(),
            (Some(c.clone()), "r1".into())
        );
        assert_eq!(
            parse("distributed/d-1", Some(&c))
                .unwrap()
                .0
                .unwrap()
                .as_str(),
            "distributed"
        );
        assert_eq!(parse("r1", None).unwrap().0, None);
        for bad in ["../x", "a/../b", "mono/", "mono/R1", "/r", "a/b/c"] {
            assert!(parse(bad, None).is_err(), "{bad}");
        }
    }
}
