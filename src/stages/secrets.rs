//! Host stage `secrets`: generate the lab's passwords once, keep them 0600 in
//! `<cluster>/secrets/`, and upload what the node-side stages need to /opt/mlk/secrets (0600).
//!
//! No password has a default and none is ever logged, printed or rendered into a file: the
//! stage scripts read them from /opt/mlk/secrets. Only names and paths reach the log.
use super::{HostCtx, HostStage};
use crate::layout::{self, node};
use crate::profile::Profile;
use anyhow::{Context, Result, bail};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub use crate::addon::secret::{INFLUXDB, KUBEFLOW_DEX, KUBEFLOW_DEX_BCRYPT, RANCHER};

/// Length of generated passwords: 24 alphanumerics are about 142 bits, and need no quoting
/// in YAML, shell or URLs.
const PASSWORD_LEN: usize = 24;
/// Shortest secret mlk uses (a user may supply their own; see `read_secret`).
pub const MIN_SECRET_CHARS: usize = 12;
/// Dex accepts bcrypt costs 10 to 16; upstream's README uses 12.
const BCRYPT_COST: u32 = 12;

/// A fresh random password from the OS-seeded CSPRNG.
pub fn generate_password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(PASSWORD_LEN)
        .map(char::from)
        .collect()
}

/// bcrypt `$2y$` hash of `password`, the form kubeflow/manifests documents for Dex.
pub fn bcrypt_hash(password: &str) -> Result<String> {
    let salt: [u8; 16] = rand::rng().random();
    let parts = bcrypt::hash_with_salt(password, BCRYPT_COST, salt).context("bcrypt")?;
    Ok(parts.format_for_version(bcrypt::Version::TwoY))
}

/// The folder of a cluster's secrets.
pub fn dir(cluster_dir: &Path) -> PathBuf {
    layout::of(cluster_dir).secrets()
}

/// Path of one secret file on the host.
pub fn path(cluster_dir: &Path, name: &str) -> PathBuf {
    layout::of(cluster_dir).secret(name)
}

/// Secret files the profile needs on the host (those of its add-ons), and whether each goes
/// to the node.
pub fn wanted(p: &Profile) -> Vec<(&'static str, bool)> {
    p.components
        .addons()
        .flat_map(|a| a.secrets())
        .map(|name| (*name, true))
        .collect()
}

/// The file's permission bits; 0600 where the OS has none (its ACL is inherited, see
/// `platform::files`).
fn mode_of(path: &Path) -> Result<u32> {
    Ok(crate::platform::files::mode(&std::fs::metadata(path)?).map_or(0o600, |m| m & 0o777))
}

pub fn read_secret(path: &Path) -> Result<String> {
    let mode = mode_of(path).with_context(|| format!("reading {}", path.display()))?;
    if mode & 0o077 != 0 {
        bail!(
            "{} has mode {mode:o}; a secret must be readable by its owner only (chmod 600)",
            path.display()
        );
    }
    let text = crate::fsutil::read_input_text(path, crate::fsutil::MAX_INPUT)
        .map_err(|why| anyhow::anyhow!("reading {}: {why}", path.display()))?;
    if text.is_empty() {
        bail!("{} is empty", path.display());
    }
    // A user may put their own password here. A short one is refused: it is easy to guess,
    // cannot be redacted from logs without masking ordinary words, and Rancher's default
    // password-min-length is 12 (rancher/rancher pkg/settings/setting.go, PasswordMinLength).
    let len = text.trim().chars().count();
    if len < MIN_SECRET_CHARS && !path.to_string_lossy().ends_with(".bcrypt") {
        bail!(
            "{} holds a secret of {len} characters; use at least {MIN_SECRET_CHARS} (or delete the file and mlk generates one)",
            path.display()
        );
    }
    Ok(text)
}

fn write_secret(path: &Path, value: &str) -> Result<()> {
    crate::fsutil::write_atomic(path, value.as_bytes(), Some(0o600))
}

/// Makes every secret the profile needs, keeping ones that exist (a rerun must not change a
/// password the cluster already uses). Returns the names it created.
pub fn ensure(p: &Profile, cluster_dir: &Path) -> Result<Vec<&'static str>> {
    let d = dir(cluster_dir);
    std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
    crate::platform::files::set_mode(&d, 0o700)
        .with_context(|| format!("chmod 700 {}", d.display()))?;
    let mut made = Vec::new();
    for (name, _) in wanted(p) {
        let file = path(cluster_dir, name);
        if name == KUBEFLOW_DEX_BCRYPT {
            let pw = read_secret(&path(cluster_dir, KUBEFLOW_DEX))?;
            // Re-hash when the hash is missing or no longer matches the password file.
            let ok =
                file.exists() && bcrypt::verify(&pw, read_secret(&file)?.trim()).unwrap_or(false);
            if !ok {
                write_secret(&file, &bcrypt_hash(&pw)?)?;
                made.push(name);
            }
        } else if !file.exists() {
            write_secret(&file, &generate_password())?;
            made.push(name);
        } else {
            read_secret(&file)?;
        }
    }
    Ok(made)
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Path of a secret on the first controlplane node.
pub fn remote_path(name: &str) -> String {
    node::secret(name)
}

pub struct Secrets;

impl Secrets {
    /// Name, host contents' sha256, for each secret the node must have.
    fn for_node(ctx: &HostCtx) -> Result<Vec<(&'static str, Vec<u8>)>> {
        wanted(ctx.profile)
            .into_iter()
            .filter(|(_, to_node)| *to_node)
            .map(|(n, _)| Ok((n, read_secret(&path(ctx.cluster_dir, n))?.into_bytes())))
            .collect()
    }

    fn runner<'a>(ctx: &'a HostCtx) -> Result<&'a dyn crate::remote::Runner> {
        let node = &ctx.profile.first_controlplane().name;
        ctx.runners
            .get(node)
            .map(|r| r.as_ref())
            .with_context(|| format!("no connection to node {node}"))
    }
}

impl HostStage for Secrets {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        // Registry logins on every node (none without profile credentials); a password
        // source that cannot be read makes `run` say why.
        if !super::registry_auth::check(ctx).unwrap_or(false) {
            return Ok(false);
        }
        for (name, _) in wanted(ctx.profile) {
            let f = path(ctx.cluster_dir, name);
            if !f.exists() || read_secret(&f).is_err() {
                return Ok(false);
            }
        }
        let want = Self::for_node(ctx)?;
        if want.is_empty() {
            return Ok(true);
        }
        // Compare digests and modes, never contents: the output may end up in a log.
        let files: Vec<String> = want.iter().map(|(n, _)| remote_path(n)).collect();
        let cmd = format!(
            "for f in {}; do printf '%s %s ' \"$(stat -c %a \"$f\")\" \"$f\"; sha256sum < \"$f\"; done",
            files.join(" ")
        );
        let mut lines = Vec::new();
        let out = Self::runner(ctx)?
            .exec(&cmd, None, &mut |l| lines.push(l.to_string()))
            .map_err(anyhow::Error::from)?;
        if out.status != 0 {
            return Ok(false);
        }
        for (name, data) in &want {
            let expect = format!("600 {} {}", remote_path(name), sha256_hex(data));
            if !lines.iter().any(|l| l.starts_with(&expect)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        let made = ensure(ctx.profile, ctx.cluster_dir)?;
        for n in &made {
            (ctx.log)(&format!(
                "generated {} (0600)",
                path(ctx.cluster_dir, n).display()
            ));
        }
        let runner = Self::runner(ctx)?;
        let mut noop = |_: &str| {};
        let mk = format!("mkdir -p {d} && chmod 700 {d}", d = node::secrets_dir());
        let out = runner
            .exec(&mk, None, &mut noop)
            .map_err(anyhow::Error::from)?;
        if out.status != 0 {
            return Err(crate::executor::failure::remote_exit(
                runner.node(),
                &mk,
                out.status,
                &out.tail,
                "",
            ));
        }
        for (name, data) in Self::for_node(ctx)? {
            let dest = remote_path(name);
            runner
                .upload(&data, &dest, 0o600)
                .map_err(anyhow::Error::from)?;
            (ctx.log)(&format!(
                "uploaded {name} to {}:{dest} (0600)",
                runner.node()
            ));
        }
        super::registry_auth::run(ctx)
    }
}
