//! mlk's Kubeflow overlay built by a real kustomize (`kubectl kustomize`, in `unshare -n`) over
//! the vendored kubeflow/manifests tree (tests/fixtures/upstream/kubeflow/manifests-<tag>-
//! vendored.tar.gz, remote bases included under `_remote/`). The tarball is unpacked once per
//! test session; the overlay goes to `<tree>/mlk/`, exactly where the kubeflow stage puts it
//! on the node, so its `../` paths resolve as they will there. Builds are cached per overlay.
//!
//! Version note: the tests' kustomize is kubectl v1.31.9's built-in one (kustomize v5.4.2);
//! the node runs kustomize v5.7.1 (versions.lock.yaml). docs/contracts.md records why that
//! difference does not matter for this overlay.
use crate::tools;
use mlk::manifest;
use serde_yaml_ng::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

/// The password whose bcrypt hash the test overlay carries.
pub const TEST_PASSWORD: &str = "generated-in-test";

/// The vendored tarball of kubeflow/manifests `tag`.
pub fn tarball(tag: &str) -> PathBuf {
    Path::new(super::charts::ROOT)
        .join("kubeflow")
        .join(format!("manifests-{tag}-vendored.tar.gz"))
}

/// The unpacked tree of `tag` (unpacked once per session into a temporary folder).
fn tree(tag: &str) -> PathBuf {
    static TREES: OnceLock<Mutex<HashMap<String, (tempfile::TempDir, PathBuf)>>> = OnceLock::new();
    let mut m = TREES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some((_, p)) = m.get(tag) {
        return p.clone();
    }
    let tb = tarball(tag);
    assert!(
        tb.is_file(),
        "kubeflow {tag} is pinned, but {} is not vendored",
        tb.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(&tb)
        .arg("-C")
        .arg(tmp.path())
        .status()
        .unwrap();
    assert!(st.success(), "unpacking {}", tb.display());
    let root = tmp.path().join(format!("manifests-{tag}"));
    assert!(root.join("example/kustomization.yaml").is_file());
    m.insert(tag.to_string(), (tmp, root.clone()));
    root
}

/// A build's objects and the Dex hash the overlay was given, or kustomize's stderr.
pub type Built = Result<Arc<(Vec<Value>, String)>, String>;

/// The build of the overlay rendered for `p`. None when kubectl is not here.
pub fn build(p: &mlk::profile::Profile, files: &mlk::render::Rendered) -> Option<Built> {
    type Cache = Mutex<HashMap<String, Built>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    static HASH: OnceLock<String> = OnceLock::new();
    let kubectl = tools::find("kubectl")?;
    let tag = p.components.kubeflow.version.clone();
    let kust = &files["kubeflow/kustomization.yaml"];
    let ing = &files["kubeflow/ingress.yaml"];
    let cert = &files["kubeflow/certificate.yaml"];
    let key = format!("{tag}\n{kust}\n---\n{ing}\n---\n{cert}");
    // Held for the whole build: parallel tests share one tree and one `mlk/` folder.
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Some(hit.clone());
    }
    let hash = HASH
        .get_or_init(|| mlk::stages::secrets::bcrypt_hash(TEST_PASSWORD).unwrap())
        .clone();
    let root = tree(&tag);
    // One overlay folder per build; the stage uses `<tree>/mlk`, so the depth is the same.
    let dir = root.join("mlk");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kustomization.yaml"), kust).unwrap();
    std::fs::write(dir.join("ingress.yaml"), ing).unwrap();
    std::fs::write(dir.join("certificate.yaml"), cert).unwrap();
    std::fs::write(dir.join("dex-password.bcrypt"), &hash).unwrap();
    let out = Command::new("unshare")
        .arg("-n")
        .arg(&kubectl)
        .arg("kustomize")
        .arg(&dir)
        .output()
        .unwrap();
    let result = if out.status.success() {
        let text = String::from_utf8(out.stdout).unwrap();
        Ok(Arc::new((manifest::parse_all(&text).unwrap(), hash)))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    };
    cache.insert(key, result.clone());
    Some(result)
}

/// kubectl's built-in kustomize version (`v5.4.2` for kubectl v1.31.9).
pub fn kustomize_version() -> Option<String> {
    let kubectl = tools::find("kubectl")?;
    let out = Command::new(kubectl)
        .args(["version", "--client"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Kustomize Version: ").map(str::to_string))
}

/// Upstream's own `example` build of the profile's tag (cached), to compare the overlay with.
pub fn build_example(p: &mlk::profile::Profile) -> Option<Arc<Vec<Value>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<Value>>>>> = OnceLock::new();
    let kubectl = tools::find("kubectl")?;
    let tag = p.components.kubeflow.version.clone();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&tag) {
        return Some(hit.clone());
    }
    let out = Command::new("unshare")
        .arg("-n")
        .arg(&kubectl)
        .arg("kustomize")
        .arg(tree(&tag).join("example"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = Arc::new(manifest::parse_all(&String::from_utf8(out.stdout).unwrap()).unwrap());
    cache.insert(tag, docs.clone());
    Some(docs)
}
