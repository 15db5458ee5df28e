//! Kubeconfig files: rewrite RKE's admin kubeconfig for the host, and merge it into (or remove
//! it from) the user's kubeconfig under a lock, the way kind and client-go do.
//!
//! Files are handled as generic YAML maps, so fields mlk does not know (extensions,
//! preferences, other tools' entries) survive a merge untouched.
use crate::fsutil::write_atomic;
use anyhow::{Context, Result, bail};
use serde_yaml_ng::{Mapping, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The name mlk gives a cluster's kubeconfig cluster, user and context.
pub fn context_name(cluster: &str) -> String {
    format!("mlk-{cluster}")
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn list<'a>(doc: &'a mut Mapping, key: &str) -> Result<&'a mut Vec<Value>> {
    let v = doc
        .entry(s(key))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if v.is_null() {
        *v = Value::Sequence(Vec::new());
    }
    v.as_sequence_mut()
        .with_context(|| format!("`{key}` is not a list"))
}

/// Rewrites RKE's `kube_config_cluster.yml`: one cluster, user and context, all named
/// `mlk-<cluster>`, the server at `https://<server_ip>:6443`, and that context current.
pub fn rewrite(rke_yaml: &str, cluster: &str, server_ip: &str) -> Result<String> {
    let mut doc: Mapping =
        serde_yaml_ng::from_str(rke_yaml).context("the kubeconfig from the node is not YAML")?;
    let name = context_name(cluster);
    for key in ["clusters", "users", "contexts"] {
        let l = list(&mut doc, key)?;
        if l.len() != 1 {
            bail!(
                "the kubeconfig from the node has {} entries in `{key}`; rke writes exactly one",
                l.len()
            );
        }
        let e = l[0]
            .as_mapping_mut()
            .with_context(|| format!("`{key}[0]` is not a map"))?;
        e.insert(s("name"), s(&name));
        match key {
            "clusters" => {
                let c = e
                    .get_mut(s("cluster"))
                    .and_then(Value::as_mapping_mut)
                    .context("`clusters[0].cluster` is missing")?;
                c.insert(s("server"), s(&format!("https://{server_ip}:6443")));
            }
            "contexts" => {
                let c = e
                    .get_mut(s("context"))
                    .and_then(Value::as_mapping_mut)
                    .context("`contexts[0].context` is missing")?;
                c.insert(s("cluster"), s(&name));
                c.insert(s("user"), s(&name));
            }
            _ => {}
        }
    }
    doc.insert(s("current-context"), s(&name));
    Ok(serde_yaml_ng::to_string(&doc)?)
}

/// The file `mlk kubeconfig --merge` writes: like kubectl, the first existing file of
/// `$KUBECONFIG`, else its last entry, else `~/.kube/config`.
pub fn default_path() -> Result<PathBuf> {
    if let Some(v) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let paths: Vec<PathBuf> = std::env::split_paths(&v)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if let Some(p) = paths.iter().find(|p| p.exists()).or(paths.last()) {
            return Ok(p.clone());
        }
    }
    let home = dirs::home_dir().context("cannot tell the home folder for ~/.kube/config")?;
    Ok(home.join(".kube").join("config"))
}

/// An exclusive lock on a kubeconfig: `<path>.lock`, created with O_CREAT|O_EXCL as
/// client-go's `lockFile` does, so mlk, kind and kubectl never interleave writes.
pub struct FileLock {
    path: PathBuf,
}

impl FileLock {
    pub fn acquire(target: &Path, timeout: Duration) -> Result<FileLock> {
        let mut name = target.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(FileLock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if start.elapsed() >= timeout {
                        bail!(
                            "{} is held by another process; remove it if no kubectl, kind or mlk is running",
                            path.display()
                        );
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("creating {}", path.display()));
                }
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

fn load(path: &Path) -> Result<Mapping> {
    match std::fs::read_to_string(path) {
        Ok(t) if t.trim().is_empty() => Ok(Mapping::new()),
        Ok(t) => serde_yaml_ng::from_str(&t)
            .with_context(|| format!("{} is not a kubeconfig (YAML map)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Mapping::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn store(path: &Path, doc: &mut Mapping) -> Result<()> {
    doc.entry(s("apiVersion")).or_insert_with(|| s("v1"));
    doc.entry(s("kind")).or_insert_with(|| s("Config"));
    let text = serde_yaml_ng::to_string(doc)?;
    write_atomic(path, text.as_bytes(), Some(0o600))
}

fn entry_name(v: &Value) -> Option<&str> {
    v.get("name").and_then(Value::as_str)
}

/// Merges the single cluster/user/context of `ours` (a file [`rewrite`] made) into `path`,
/// replacing entries of the same name, and makes its context current.
pub fn merge_into(path: &Path, ours: &str) -> Result<String> {
    let src: Mapping = serde_yaml_ng::from_str(ours).context("mlk's kubeconfig is not YAML")?;
    let ctx = src
        .get("current-context")
        .and_then(Value::as_str)
        .context("mlk's kubeconfig has no current-context")?
        .to_string();
    let _lock = FileLock::acquire(path, LOCK_TIMEOUT)?;
    let mut doc = load(path)?;
    for key in ["clusters", "users", "contexts"] {
        let add: Vec<Value> = src
            .get(key)
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        let l = list(&mut doc, key).with_context(|| path.display().to_string())?;
        for e in add {
            let n = entry_name(&e).map(str::to_string);
            match l.iter_mut().find(|x| entry_name(x) == n.as_deref()) {
                Some(slot) => *slot = e,
                None => l.push(e),
            }
        }
    }
    doc.insert(s("current-context"), s(&ctx));
    store(path, &mut doc)?;
    Ok(ctx)
}

/// Removes `mlk-<cluster>` (cluster, user and context) from `path`; clears current-context
/// if it pointed there. Returns whether anything was removed. A missing file is no error.
pub fn remove_context_at(path: &Path, cluster: &str) -> Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let name = context_name(cluster);
    let _lock = FileLock::acquire(path, LOCK_TIMEOUT)?;
    let mut doc = load(path)?;
    let mut removed = false;
    for key in ["clusters", "users", "contexts"] {
        let l = list(&mut doc, key).with_context(|| path.display().to_string())?;
        let before = l.len();
        l.retain(|e| entry_name(e) != Some(name.as_str()));
        removed |= l.len() != before;
    }
    if doc.get("current-context").and_then(Value::as_str) == Some(name.as_str()) {
        doc.insert(s("current-context"), s(""));
        removed = true;
    }
    if removed {
        store(path, &mut doc)?;
    }
    Ok(removed)
}

/// Removes the cluster's context from the user's kubeconfig (`mlk down` calls this).
pub fn remove_context(cluster: &str) -> Result<bool> {
    remove_context_at(&default_path()?, cluster)
}
