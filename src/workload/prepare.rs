//! What a run needs on every node before its window may start: the dataset, downloaded once
//! into mlk's cache (sha256-checked) and uploaded to each node, and the image, pulled on each
//! node. Without this the window would hold the image pull and an internet download per pod.
use crate::layout::node;
use crate::quote::shell;
use crate::remote::Runner;
use crate::stages::binaries::Runners;
use crate::stages::cache::Cache;
use anyhow::{Context, Result, bail};
use std::time::Duration;

/// A dataset file mlk stages on the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dataset {
    pub name: &'static str,
    pub url: &'static str,
    pub sha256: &'static str,
    /// File name on the nodes, under [`remote_dir`].
    pub file: &'static str,
}

/// MNIST as Keras downloads it: keras-team/keras `keras/src/datasets/mnist.py` (`origin_folder`
/// + `mnist.npz`, `file_hash`), the same file and digest as Keras 2.15's `tf.keras`.
pub const MNIST: Dataset = Dataset {
    name: "mnist",
    url: "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    sha256: "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    file: "mnist.npz",
};

/// The folder on every node that holds staged datasets (mounted read-only into the pods).
pub fn remote_dir() -> String {
    node::datasets()
}

pub fn remote_path(d: &Dataset) -> String {
    format!("{}/{}", remote_dir(), d.file)
}

fn run(r: &dyn Runner, cmd: &str, timeout: Duration) -> Result<(i32, Vec<String>)> {
    let mut lines = Vec::new();
    let out = r
        .exec(cmd, Some(timeout), &mut |l| lines.push(l.to_string()))
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{}: {cmd}", r.node()))?;
    Ok((out.status, lines))
}

/// Whether `node` already holds the dataset with the right digest (its own sha256sum).
fn node_has(r: &dyn Runner, d: &Dataset) -> Result<bool> {
    let (st, lines) = run(
        r,
        &format!("sha256sum {} 2>/dev/null", shell(&remote_path(d))),
        Duration::from_secs(120),
    )?;
    Ok(st == 0
        && lines
            .iter()
            .any(|l| l.split_whitespace().next() == Some(d.sha256)))
}

/// Downloads `d` into the cache (once per host) and puts it on every node that lacks it;
/// then checks every node's copy with the node's own sha256sum. Returns the nodes uploaded to.
pub fn stage_dataset(
    cache: &Cache,
    runners: &Runners,
    d: &Dataset,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<String>> {
    let mut missing = Vec::new();
    for (node, r) in runners {
        if !node_has(r.as_ref(), d)? {
            missing.push(node.clone());
        }
    }
    if missing.is_empty() {
        log(&format!(
            "dataset {}: already on every node ({})",
            d.name,
            remote_path(d)
        ));
        return Ok(missing);
    }
    let (file, source) = cache.fetch(d.url, d.sha256, d.name).with_context(|| {
        format!(
            "dataset {} (its sha256 is pinned in src/workload/prepare.rs, as Keras pins it)",
            d.name
        )
    })?;
    log(&format!(
        "dataset {}: {} ({:?}), to {}",
        d.name,
        file.display(),
        source,
        missing.join(", ")
    ));
    let data = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
    for node in &missing {
        let r = runners[node].as_ref();
        let dir = remote_dir();
        let (st, out) = run(
            r,
            &format!(
                "sudo mkdir -p {0} && sudo chown \"$(id -un)\" {0}",
                shell(&dir)
            ),
            Duration::from_secs(60),
        )?;
        if st != 0 {
            bail!("{node}: cannot create {dir}: {}", out.join(" / "));
        }
        r.upload(&data, &remote_path(d), 0o644)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{node}: uploading {}", remote_path(d)))?;
    }
    for (node, r) in runners {
        if !node_has(r.as_ref(), d)? {
            bail!(
                "{node}: {} does not have sha256 {} after the upload",
                remote_path(d),
                d.sha256
            );
        }
    }
    Ok(missing)
}

/// The command that makes `image` present in the node's Docker (RKE1 runs every container in
/// Docker): nothing when `docker image inspect` finds it, else `docker pull` (through the
/// registry mirrors Docker is configured with). Prints `present` or `pulled`.
pub fn pull_cmd(image: &str) -> String {
    let i = shell(image);
    format!(
        "if sudo docker image inspect {i} >/dev/null 2>&1; then echo present; else sudo docker pull -q {i} >/dev/null && echo pulled; fi"
    )
}

/// Pulls every image on every node (nodes in turn, so a slow link is not shared three ways).
pub fn prepull(runners: &Runners, images: &[String], log: &mut dyn FnMut(&str)) -> Result<()> {
    for (node, r) in runners {
        for image in images {
            let (st, out) = run(r.as_ref(), &pull_cmd(image), Duration::from_secs(3600))?;
            if st != 0 {
                bail!(
                    "{node}: pulling {image} failed (exit {st}): {}",
                    out.join(" / ")
                );
            }
            log(&format!(
                "{node}: image {image} {}",
                out.last().map_or("?", String::as_str)
            ));
        }
    }
    Ok(())
}
