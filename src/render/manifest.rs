//! `.mlk-rendered`: the list of files `mlk render` wrote in a folder, with their sha256.
//!
//! A file an earlier render wrote that the current one would not (an add-on since disabled) is
//! removed only when it is listed here and still has the listed content: a file mlk did not
//! write, or one the user changed since, is never touched, reported stale or removed.
use super::safe_dir::{SafeDir, is_plain_relative};
use anyhow::Result;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const FILE: &str = ".mlk-rendered";

const HEADER: &str = "# Files `mlk render` wrote in this folder, with their sha256. mlk removes a file here\n\
                      # only when it is listed and unchanged; it never touches any other file.\n";

/// Relative path -> sha256 (hex) of what mlk wrote there.
pub type Manifest = BTreeMap<String, String>;

pub fn digest(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The manifest in `root`; empty when there is none (a folder mlk never rendered into, or one
/// rendered by a version without manifests: nothing in it is known to be mlk's).
pub fn read(root: &SafeDir) -> Result<Manifest> {
    let Some(bytes) = root.read(FILE)? else {
        return Ok(Manifest::new());
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut m = Manifest::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        // A line that is not `<64 hex>  <plain relative path>` names nothing mlk wrote.
        if let Some((hash, rel)) = line.split_once("  ")
            && hash.len() == 64
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && is_plain_relative(rel)
            && rel != FILE
        {
            m.insert(rel.to_string(), hash.to_ascii_lowercase());
        }
    }
    Ok(m)
}

pub fn write(root: &SafeDir, m: &Manifest, mode: u32) -> Result<()> {
    let mut text = String::from(HEADER);
    for (rel, hash) in m {
        text.push_str(&format!("{hash}  {rel}\n"));
    }
    root.write_atomic(FILE, text.as_bytes(), mode)
}

/// Listed files the current render (`keep`) would not write and that still hold what mlk
/// wrote: (relative path, contents), sorted.
pub fn stale(
    root: &SafeDir,
    m: &Manifest,
    keep: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (rel, hash) in m {
        if keep(rel) {
            continue;
        }
        let Some((dir, name)) = root.parent_of(rel, false, 0)? else {
            continue;
        };
        if let Some(data) = dir.read(name)?
            && digest(&data) == *hash
        {
            out.push((rel.clone(), data));
        }
    }
    Ok(out)
}
