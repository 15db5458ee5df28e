//! Host stage `binaries`: rke (RKE only), kubectl, helm and kustomize (the `binaries` of the
//! distribution's lock table, `lockfile::of`),
//! downloaded once into the cache, checked against versions.lock.yaml, and uploaded to every
//! node's /opt/mlk/bin.
//!
//! Nodes then need no internet for these, and a second cluster downloads nothing.
use super::cache::{self, Cache, Source};
use super::{HostCtx, HostStage};
use crate::layout::{self, node};
use crate::lockfile::{self, Binary};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Read};
use std::path::Path;

/// One binary as it goes onto the nodes.
pub struct Prepared {
    pub name: String,
    pub data: Vec<u8>,
    /// sha256 of `data` (for tar.gz downloads, of the extracted member).
    pub sha256: String,
    /// sha256 of the download it came from.
    pub source_sha256: String,
}

/// Where a binary lives on the nodes.
pub fn remote_path(name: &str) -> String {
    node::bin(name)
}

/// The bytes of `member` inside the tar.gz at `archive`.
pub fn extract_member(archive: &Path, member: &str) -> Result<Vec<u8>> {
    let f =
        std::fs::File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    for entry in tar
        .entries()
        .with_context(|| format!("reading {}", archive.display()))?
    {
        let mut e = entry?;
        if e.path()?.to_str() == Some(member) {
            let mut data = Vec::new();
            e.read_to_end(&mut data)?;
            return Ok(data);
        }
    }
    bail!("{} has no member {member}", archive.display())
}

/// The digest a download must have: the lock table's, or (only where the lock has none) the
/// one the release's own checksum file lists for the asset.
pub fn expected_digest(b: &Binary) -> Result<String> {
    if !b.sha256.is_empty() {
        return Ok(b.sha256.clone());
    }
    let sums_url = b.sha256_url.as_deref().with_context(|| {
        format!(
            "versions.lock.yaml: {} has neither sha256 nor sha256_url",
            b.url
        )
    })?;
    let asset = b.url.rsplit('/').next().unwrap_or(&b.url);
    let sums = cache::get_text(sums_url)?;
    cache::digest_from_sums(&sums, asset)
        .with_context(|| format!("{sums_url} lists no sha256 for {asset}"))
}

/// Downloads (or finds in the cache) one locked binary and returns what goes to the nodes.
pub fn prepare(cache: &Cache, name: &str, b: &Binary) -> Result<(Prepared, Source)> {
    let digest = expected_digest(b)?;
    let (file, source) = cache
        .fetch(&b.url, &digest, name)
        .with_context(|| format!("binary {name} {}", b.version))?;
    let data = match &b.member {
        Some(m) => extract_member(&file, m)?,
        None => std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?,
    };
    let sha256 = hex::encode(Sha256::digest(&data));
    Ok((
        Prepared {
            name: name.to_string(),
            data,
            sha256,
            source_sha256: digest,
        },
        source,
    ))
}

/// The shell command that prints `sha256  path` for each binary on a node.
fn sums_cmd(names: &[&String]) -> String {
    let paths: Vec<String> = names.iter().map(|n| remote_path(n)).collect();
    format!("sha256sum {}", paths.join(" "))
}

/// Whether `sha256sum` output shows every binary with its expected digest.
pub fn sums_match(lines: &[String], want: &[(String, String)]) -> bool {
    want.iter().all(|(name, sha)| {
        let path = remote_path(name);
        lines.iter().any(|l| {
            let mut it = l.split_whitespace();
            it.next() == Some(sha.as_str()) && it.next() == Some(path.as_str())
        })
    })
}

/// Record of what was uploaded: `<cluster>/binaries.sha256`, lines `sha256  name  lock-sha256`.
/// `check` compares nodes against it without downloading anything.
fn record_path(cluster_dir: &Path) -> std::path::PathBuf {
    layout::of(cluster_dir).binaries_record()
}

fn read_record(cluster_dir: &Path, lock: &lockfile::Lock) -> Option<Vec<(String, String)>> {
    let text = std::fs::read_to_string(record_path(cluster_dir)).ok()?;
    let mut out = Vec::new();
    for (name, b) in &lock.binaries {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))?;
        let mut it = line.split_whitespace();
        let sha = it.next()?;
        // A lock-table change (new pin) invalidates the record. An unpinned binary keeps the
        // digest its release listed when it was first fetched.
        let source = it.nth(1)?;
        if !b.sha256.is_empty() && source != b.sha256 {
            return None;
        }
        out.push((name.clone(), sha.to_string()));
    }
    Some(out)
}

/// Runners by node name, as host stages get them.
pub type Runners = std::collections::BTreeMap<String, std::sync::Arc<dyn crate::remote::Runner>>;

/// Whether every node has every binary of `want` (name, sha256), by the node's own sha256sum.
pub fn nodes_have(runners: &Runners, want: &[(String, String)]) -> Result<bool> {
    let names: Vec<&String> = want.iter().map(|(n, _)| n).collect();
    let cmd = sums_cmd(&names);
    for (node, r) in runners {
        let mut lines = Vec::new();
        let out = r
            .exec(&cmd, None, &mut |l| lines.push(l.to_string()))
            .map_err(anyhow::Error::from)
            .with_context(|| format!("{node}: {cmd}"))?;
        if out.status != 0 || !sums_match(&lines, want) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Uploads every prepared binary to every node (0755), then checks them there.
pub fn upload_and_verify(
    runners: &Runners,
    prepared: &[Prepared],
    log: &dyn Fn(&str),
) -> Result<()> {
    let want: Vec<(String, String)> = prepared
        .iter()
        .map(|p| (p.name.clone(), p.sha256.clone()))
        .collect();
    for (node, r) in runners {
        let mut noop = |_: &str| {};
        let mk = format!("mkdir -p {}", node::bin_dir());
        let out = r.exec(&mk, None, &mut noop).map_err(anyhow::Error::from)?;
        if out.status != 0 {
            return Err(crate::executor::failure::remote_exit(
                node, &mk, out.status, &out.tail, "",
            ));
        }
        for p in prepared {
            r.upload(&p.data, &remote_path(&p.name), 0o755)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("{node}: uploading {}", p.name))?;
        }
        log(&format!(
            "{node}: {} in {}",
            want.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            node::bin_dir()
        ));
    }
    // Verify on the nodes what arrived, with their own sha256sum.
    if !nodes_have(runners, &want)? {
        bail!("the uploaded binaries do not have the expected sha256 on every node");
    }
    Ok(())
}

pub struct Binaries;

impl HostStage for Binaries {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        match read_record(ctx.cluster_dir, ctx.profile.lock()) {
            Some(want) => nodes_have(ctx.runners, &want),
            None => Ok(false),
        }
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let show = std::io::stderr().is_terminal()
            && std::env::var("MLK_PROGRESS").map_or(true, |v| v != "never");
        let cache = Cache::new(cache::default_dir()?, show);
        let lock = ctx.profile.lock();
        let mut prepared = Vec::new();
        let mut record = String::new();
        for (name, b) in &lock.binaries {
            let (p, source) = prepare(&cache, name, b)?;
            if b.sha256.is_empty() {
                (ctx.log)(&format!(
                    "warning: {name} has no pinned sha256 in versions.lock.yaml; verified against \
                     the release's own checksum list (trust on first use): {}",
                    p.source_sha256
                ));
            }
            (ctx.log)(&format!(
                "{name} {}: {} ({})",
                b.version,
                match source {
                    Source::Cache => "cache hit",
                    Source::Network => "downloaded and verified",
                },
                cache.path_for(&p.source_sha256).display()
            ));
            record.push_str(&format!("{}  {name}  {}\n", p.sha256, p.source_sha256));
            prepared.push(p);
        }
        upload_and_verify(ctx.runners, &prepared, ctx.log)?;
        crate::fsutil::write_atomic(&record_path(ctx.cluster_dir), record.as_bytes(), None)?;
        Ok(())
    }
}
