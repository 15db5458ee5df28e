//! Finding the real tools tests run (kubectl, helm): from PATH (CI puts them in .tools/bin).
//! Missing outside CI: the test says why and returns; with CI=true a missing tool fails.
use std::path::PathBuf;

pub fn find(tool: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/bin")];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    let found = dirs.into_iter().map(|d| d.join(tool)).find(|p| p.is_file());
    if found.is_none() {
        let msg =
            format!("{tool} not found in .tools/bin or PATH (install with .ci/setup.d/40-helm.sh)");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("SKIPPED: {msg}");
    }
    found
}
