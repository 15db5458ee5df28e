//! Files a render folder holds that the current render would not write: left over from an
//! earlier profile (an add-on since disabled). Only mlk's own subfolders are looked at, so a
//! user's other files next to them are never reported or removed.
use super::Rendered;
use anyhow::{Context, Result};
use std::path::Path;

/// Subfolders only `mlk render` writes into, and the kind of file it writes there.
const OWNED: &[(&str, &str)] = &[
    ("values", ".yaml"),
    ("stages", ".sh"),
    ("kubeflow", ".yaml"),
];

/// Relative paths of stale files under `dir`, sorted.
pub fn find(dir: &Path, files: &Rendered) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for (sub, ext) in OWNED {
        let folder = dir.join(sub);
        let entries = match std::fs::read_dir(&folder) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("listing {}", folder.display())),
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("listing {}", folder.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Temp files of an interrupted atomic write start with '.'; they are not ours to judge.
            if name.starts_with('.') || !name.ends_with(ext) || !entry.file_type()?.is_file() {
                continue;
            }
            let rel = format!("{sub}/{name}");
            if !files.contains_key(&rel) {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}
