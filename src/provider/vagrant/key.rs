//! The cluster's own SSH key: generated once (ed25519, 0600, in `<cluster>/ssh/`), installed in
//! each node's `authorized_keys` over the first login with Vagrant's key, and used from then on,
//! so that mlk's access does not hang on Vagrant's per-machine key files.
use crate::exit::{Class, classify, tag};
use crate::inventory::Endpoint;
use crate::remote::Runner;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The key pair's paths for the cluster in `cluster_dir`.
pub struct ClusterKey {
    pub private: PathBuf,
    pub public: String,
    dir: PathBuf,
}

/// Creates the key pair if missing (with the system `ssh-keygen`, which every host running
/// Vagrant has, since Vagrant itself needs an OpenSSH client), and returns it.
pub fn ensure(cluster_dir: &Path, cluster: &str) -> Result<ClusterKey> {
    let dir = crate::layout::of(cluster_dir).ssh_keys();
    let private = dir.join("id_ed25519");
    let pubfile = dir.join("id_ed25519.pub");
    if !private.is_file() || !pubfile.is_file() {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // Generate under temporary names, then rename: an interrupted run leaves no half key.
        let tmp = dir.join(format!(".id_ed25519.{}", std::process::id()));
        let tmp_pub = dir.join(format!(".id_ed25519.{}.pub", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let _ = std::fs::remove_file(&tmp_pub);
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C"])
            .arg(format!("mlk-{cluster}"))
            .arg("-f")
            .arg(&tmp)
            .output()
            .map_err(|e| {
                tag(
                    Class::Provider,
                    "running ssh-keygen (install an OpenSSH client)",
                    e,
                )
            })?;
        if !out.status.success() {
            bail!(
                "ssh-keygen failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        set_private(&tmp)?;
        std::fs::rename(&tmp_pub, &pubfile)
            .with_context(|| format!("renaming {}", tmp_pub.display()))?;
        std::fs::rename(&tmp, &private).with_context(|| format!("renaming {}", tmp.display()))?;
    }
    set_private(&private)?;
    let public = std::fs::read_to_string(&pubfile)
        .with_context(|| format!("reading {}", pubfile.display()))?
        .trim()
        .to_string();
    if !public.starts_with("ssh-ed25519 ") {
        bail!("{} is not an ed25519 public key", pubfile.display());
    }
    Ok(ClusterKey {
        private,
        public,
        dir,
    })
}

fn set_private(p: &Path) -> Result<()> {
    crate::platform::files::set_mode(p, 0o600)
        .with_context(|| format!("chmod 0600 {}", p.display()))
}

/// The shell command that adds `public` to the login user's authorized_keys once.
pub fn install_command(public: &str) -> String {
    let q = crate::quote::shell(public);
    format!(
        "umask 077 && mkdir -p ~/.ssh && touch ~/.ssh/authorized_keys && \
         (grep -qxF {q} ~/.ssh/authorized_keys || printf '%s\\n' {q} >> ~/.ssh/authorized_keys)"
    )
}

impl ClusterKey {
    fn marker(&self, node: &str) -> PathBuf {
        self.dir.join("installed").join(node)
    }

    /// Whether the key was installed on `node` (and the VM not destroyed since).
    pub fn installed(&self, node: &str) -> bool {
        self.marker(node).is_file()
    }

    /// `ep` with the cluster key as its only identity.
    /// Each endpoint, switched to mlk's key on the nodes where it is installed.
    pub fn endpoints(&self, eps: &[Endpoint]) -> Vec<Endpoint> {
        eps.iter()
            .map(|e| {
                if self.installed(&e.name) {
                    self.endpoint(e)
                } else {
                    e.clone()
                }
            })
            .collect()
    }

    pub fn endpoint(&self, ep: &Endpoint) -> Endpoint {
        Endpoint {
            identity_files: vec![self.private.clone()],
            ..ep.clone()
        }
    }

    /// Adds the key over `runner` (logged in with Vagrant's key), then proves it works by
    /// logging in with it alone through `verify`, and records that.
    pub fn install(&self, runner: &dyn Runner, verify: &dyn Fn() -> Result<()>) -> Result<()> {
        let node = runner.node().to_string();
        let out = runner
            .exec(
                &install_command(&self.public),
                Some(Duration::from_secs(60)),
                &mut |_| {},
            )
            .map_err(|e| tag(Class::Remote, "installing mlk's SSH key", e))?;
        if out.status != 0 {
            return Err(classify(
                Class::Remote,
                format!(
                    "{node}: installing mlk's SSH key exited {}: {}",
                    out.status,
                    out.tail.join("\n")
                ),
            ));
        }
        verify().with_context(|| format!("{node}: logging in with mlk's own key"))?;
        crate::fsutil::write_atomic(&self.marker(&node), b"", Some(0o600))
    }
}

/// Forgets every installation of the cluster key (the VMs are gone); keeps the key itself.
pub fn forget_all(cluster_dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(crate::layout::of(cluster_dir).ssh_keys().join("installed")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_ed25519_private_0600_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let k = ensure(dir.path(), "t").unwrap();
        assert!(k.public.starts_with("ssh-ed25519 ") && k.public.ends_with(" mlk-t"));
        if let Some(mode) = crate::platform::files::mode(&std::fs::metadata(&k.private).unwrap()) {
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = ensure(dir.path(), "t").unwrap();
        assert_eq!(again.public, k.public, "a second run keeps the key");
        assert!(!k.installed("node1"));
        crate::fsutil::write_atomic(&dir.path().join("ssh/installed/node1"), b"", None).unwrap();
        assert!(k.installed("node1"));
        forget_all(dir.path()).unwrap();
        assert!(!k.installed("node1"), "destroyed VMs need the key again");
        assert!(k.private.is_file(), "the key itself stays");
        forget_all(dir.path()).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn install_command_is_idempotent_in_a_real_shell() {
        let home = tempfile::tempdir().unwrap();
        let key = "ssh-ed25519 AAAAC3Nza mlk-x'y";
        for _ in 0..2 {
            let st = Command::new("sh")
                .arg("-c")
                .arg(install_command(key))
                .env("HOME", home.path())
                .status()
                .unwrap();
            assert!(st.success());
        }
        let ak = std::fs::read_to_string(home.path().join(".ssh/authorized_keys")).unwrap();
        assert_eq!(ak, format!("{key}\n"));
    }
}
