//! The mlk home: the folder that holds one folder per cluster, and the one place its default
//! is decided (`$XDG_DATA_HOME/mlk`, as minikube keeps `~/.minikube`), so cluster folders do
//! not depend on the current directory. `--dir` / `MLK_HOME` override it.
use super::ClusterName;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use crate::layout::{HOME_NAME, LEGACY_HOME as LEGACY};

/// The default mlk home: `<data dir>/mlk` (`$XDG_DATA_HOME/mlk`, else
/// `~/.local/share/mlk` on Linux; `~/Library/Application Support/mlk` on macOS;
/// `%APPDATA%\mlk` on Windows). Only when the system names no data directory (no HOME):
/// `./.mlk`, made absolute.
pub fn default_root() -> PathBuf {
    dirs::data_dir()
        .map(|d| d.join(HOME_NAME))
        .unwrap_or_else(|| absolute(Path::new(LEGACY)))
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The home a command works in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// Always absolute: a relative `--dir` is resolved once, against the current directory.
    pub root: PathBuf,
    /// Chosen by mlk (no `--dir`, no `MLK_HOME`): then `./.mlk` is searched too.
    pub is_default: bool,
}

/// A cluster folder that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    /// Absolute.
    pub dir: PathBuf,
    /// In `./.mlk` (the folder of older mlk versions), not in the home.
    pub legacy: bool,
}

impl Home {
    /// `dir` is `--dir` or `MLK_HOME` (clap reads both into one option).
    pub fn resolve(dir: Option<&Path>) -> Result<Home> {
        match dir {
            Some(d) => {
                let root = std::path::absolute(d)
                    .with_context(|| format!("--dir {}: cannot make it absolute", d.display()))?;
                Ok(Home {
                    root,
                    is_default: false,
                })
            }
            None => Ok(Home {
                root: default_root(),
                is_default: true,
            }),
        }
    }

    /// `./.mlk`, when the home is the default one and that folder exists and is another one.
    pub fn legacy_root(&self) -> Option<PathBuf> {
        if !self.is_default {
            return None;
        }
        let l = absolute(Path::new(LEGACY));
        (l.is_dir() && !same_dir(&l, &self.root)).then_some(l)
    }

    /// The folder a new cluster `name` gets.
    pub fn new_dir(&self, name: &ClusterName) -> PathBuf {
        self.root.join(name.as_str())
    }

    /// Every cluster folder: the home's, then `./.mlk`'s (a name in both is the home's),
    /// sorted by name.
    pub fn clusters(&self) -> Vec<Found> {
        let mut v = scan(&self.root, false);
        if let Some(l) = self.legacy_root() {
            for f in scan(&l, true) {
                if !v.iter().any(|h| h.name == f.name) {
                    v.push(f);
                }
            }
        }
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// The folder of cluster `name`, if it exists (home first, then `./.mlk`).
    pub fn find(&self, name: &ClusterName) -> Option<Found> {
        self.clusters()
            .into_iter()
            .find(|f| f.name == name.as_str())
    }

    /// The roots searched, for messages: `/home/u/.local/share/mlk` (and `./.mlk`).
    pub fn describe(&self) -> String {
        match self.legacy_root() {
            Some(l) => format!("{} and {}", self.root.display(), l.display()),
            None => self.root.display().to_string(),
        }
    }
}

impl Found {
    /// Where a cluster of the old layout is, and where new ones go; None for home clusters.
    pub fn note(&self, home: &Home) -> Option<String> {
        self.legacy.then(|| {
            format!(
                "cluster {} is in {} (./.mlk, where mlk kept clusters before); new clusters go to {}. \
                 To move it: `mv {} {}/` (then use it from any folder)",
                self.name,
                self.dir.display(),
                home.root.display(),
                self.dir.display(),
                home.root.display()
            )
        })
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Sub-folders of `root` with a valid cluster name.
fn scan(root: &Path, legacy: bool) -> Vec<Found> {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            ClusterName::check(&name).ok()?;
            Some(Found {
                name,
                dir: root.join(e.file_name()),
                legacy,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_dir_is_made_absolute_and_names_are_filtered() {
        let h = Home::resolve(Some(Path::new("some/rel"))).unwrap();
        assert!(h.root.is_absolute() && h.root.ends_with("some/rel"));
        assert!(!h.is_default);
        assert_eq!(
            h.legacy_root(),
            None,
            "an explicit home never looks in ./.mlk"
        );
        let t = tempfile::tempdir().unwrap();
        for d in ["b", "a", ".hidden", "Not_A_Name"] {
            std::fs::create_dir(t.path().join(d)).unwrap();
        }
        std::fs::write(t.path().join("c"), "a file").unwrap();
        let h = Home::resolve(Some(t.path())).unwrap();
        let names: Vec<String> = h.clusters().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["a", "b"]);
        assert!(h.find(&ClusterName::parse("b").unwrap()).is_some());
        assert!(h.find(&ClusterName::parse("c").unwrap()).is_none());
    }
}
