//! Host stage `rke2-up` (RKE2 only): makes the cluster with RKE2, driving the rendered
//! `stages/rke2-up.sh` on each node as root.
//!
//! 1. The release tarball and its checksum file come from mlk's download cache (downloaded
//!    once, sha256 checked against versions.lock.yaml) and are copied to every node's
//!    `/opt/mlk/artifacts/rke2`; the script unpacks the tarball from there after checking it
//!    against the checksum file, as RKE2's install.sh does with INSTALL_RKE2_ARTIFACT_PATH.
//!    No node downloads RKE2.
//! 2. The join token is generated once (`<cluster>/secrets/rke2-token`, 0600) and staged on
//!    each node as a 0600 file that the script moves to root's `/etc/rancher/rke2/mlk-token`;
//!    config.yaml names it with `token-file`. It is never rendered, planned or logged.
//! 3. Order: the first server, then every other server one at a time (each waits until it is
//!    Ready: rke2#1600), then all agents at once; finally every node Ready, checked from the
//!    first server. Each wait in the script has a timeout and says which node it waited for.
//! 4. The first server's kubeconfig is copied to `layout::node::kubeconfig()` with 127.0.0.1
//!    rewritten to its address, so the shared kubeconfig stage fetches it as it does RKE's.
use super::cache::{self, Cache};
use super::rke::must;
use super::{HostCtx, HostStage};
use crate::catalogue::StageId;
use crate::distribution::rke2::{self, Kind};
use crate::executor::failure::remote_exit;
use crate::layout::node;
use crate::lockfile::Binary;
use crate::remote::Runner;
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::IsTerminal;

/// The release files as they go to the nodes: (file name, bytes).
pub struct Artifacts {
    pub files: Vec<(&'static str, Vec<u8>)>,
}

/// Where the release files go on each node (the script's `$ART`).
pub fn artifact_dir() -> String {
    node::path("artifacts/rke2")
}

/// Fetches (or finds in the cache) one pinned release file, checked against its sha256.
pub fn fetch(cache: &Cache, label: &str, b: &Binary) -> Result<Vec<u8>> {
    let (file, _) = cache
        .fetch(&b.url, &b.sha256, label)
        .with_context(|| format!("{label} {}", b.version))?;
    std::fs::read(&file).with_context(|| format!("reading {}", file.display()))
}

/// The lock table's tarball and checksum file, from the cache.
pub fn artifacts(lock: &crate::lockfile::Lock, log: &dyn Fn(&str)) -> Result<Artifacts> {
    let show = std::io::stderr().is_terminal()
        && std::env::var("MLK_PROGRESS").map_or(true, |v| v != "never");
    let cache = Cache::new(cache::default_dir()?, show);
    let a = lock.rke2_artifacts();
    let mut files = Vec::new();
    for (name, b) in [(rke2::TARBALL, &a.tarball), (rke2::CHECKSUMS, &a.checksums)] {
        let data = fetch(&cache, name, b)?;
        log(&format!(
            "{name} {}: sha256 {} (versions.lock.yaml)",
            b.version, b.sha256
        ));
        files.push((name, data));
    }
    Ok(Artifacts { files })
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The join token: the cluster's secret, made once (0600) and kept across runs.
pub fn token(cluster_dir: &std::path::Path) -> Result<String> {
    let path = super::secrets::path(cluster_dir, rke2::TOKEN_SECRET);
    if path.exists() {
        return super::secrets::read_secret(&path);
    }
    let dir = super::secrets::dir(cluster_dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // 64 characters from the OS-seeded CSPRNG (RKE2 takes any string as the shared secret).
    let t = format!(
        "{}{}",
        super::secrets::generate_password(),
        super::secrets::generate_password()
    );
    crate::fsutil::write_atomic(&path, t.as_bytes(), Some(0o600))?;
    Ok(t)
}

/// `sudo env RKE2_...= bash /opt/mlk/stages/rke2-up.sh ARGS`.
pub fn script_cmd(args: &str) -> String {
    format!(
        "sudo bash {} {args}",
        node::path(&StageId::Rke2Up.script_path())
    )
}

/// The registries.yaml a node gets: the rendered mirrors with the logins added.
fn registries(ctx: &HostCtx) -> Result<String> {
    let rendered = ctx
        .rendered
        .get("rke2/registries.yaml")
        .context("rke2/registries.yaml was not rendered")?;
    let logins = super::registry_auth::logins(ctx.profile, &|v| std::env::var(v).ok())?;
    rke2::registries_with_logins(rendered, &logins)
}

/// Puts node `name`'s files in its node folder: the script, its config, the cluster files
/// and the 0600 secrets (the release files are [`stage_artifacts`]).
pub fn stage_files(ctx: &HostCtx, name: &str, kind: Kind, token: &str) -> Result<()> {
    let r = runner(ctx, name)?;
    let secrets = node::secrets_dir();
    must(
        r,
        &format!(
            "mkdir -p {} {} {} {secrets} && chmod 700 {secrets}",
            artifact_dir(),
            node::path("stages"),
            node::path("rke2"),
        ),
    )?;
    let text = |rel: &str| -> Result<&String> {
        ctx.rendered
            .get(rel)
            .with_context(|| format!("{rel} was not rendered"))
    };
    let script = StageId::Rke2Up.script_path();
    r.upload(text(&script)?.as_bytes(), &node::path(&script), 0o755)
        .map_err(anyhow::Error::from)?;
    r.upload(
        text(&rke2::config_path(name))?.as_bytes(),
        &node::path("rke2/config.yaml"),
        0o600,
    )
    .map_err(anyhow::Error::from)?;
    if kind == Kind::Server
        && let Some(canal) = ctx.rendered.get("rke2/rke2-canal-config.yaml")
    {
        r.upload(
            canal.as_bytes(),
            &node::path("rke2/rke2-canal-config.yaml"),
            0o600,
        )
        .map_err(anyhow::Error::from)?;
    }
    r.upload(
        registries(ctx)?.as_bytes(),
        &node::secret("rke2-registries.yaml"),
        0o600,
    )
    .map_err(anyhow::Error::from)?;
    r.upload(token.as_bytes(), &node::secret(rke2::TOKEN_SECRET), 0o600)
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// Copies the release files to node `name` unless it has them, then checks them there with
/// its own sha256sum.
pub fn stage_artifacts(ctx: &HostCtx, name: &str, art: &Artifacts) -> Result<()> {
    let r = runner(ctx, name)?;
    let dir = artifact_dir();
    let list = |f: &dyn Fn(&str) -> String| {
        art.files
            .iter()
            .map(|(n, _)| f(n))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let have = must(
        r,
        &format!(
            "cd {dir} && sha256sum {} 2>/dev/null || true",
            list(&|n| n.to_string())
        ),
    )?;
    for (f, data) in &art.files {
        if !have.contains(&format!("{}  {f}", sha256_hex(data))) {
            r.upload(data, &format!("{dir}/{f}"), 0o644)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("{name}: uploading {f}"))?;
        }
    }
    let check = must(r, &format!("sha256sum {}", list(&|n| format!("{dir}/{n}"))))?;
    let ok = art
        .files
        .iter()
        .all(|(f, data)| check.contains(&format!("{}  {dir}/{f}", sha256_hex(data))));
    if !ok {
        bail!("{name}: the RKE2 release files in {dir} do not have the expected sha256");
    }
    Ok(())
}

fn runner<'a>(ctx: &'a HostCtx, name: &str) -> Result<&'a dyn Runner> {
    ctx.runners
        .get(name)
        .map(|r| r.as_ref())
        .with_context(|| format!("no connection to node {name}"))
}

/// Runs the script on `name`, its output to the log with the node's name.
fn script(ctx: &HostCtx, name: &str, args: &str) -> Result<()> {
    let r = runner(ctx, name)?;
    let cmd = script_cmd(args);
    let res = r
        .exec(&cmd, None, &mut |l| (ctx.log)(&format!("{name}: {l}")))
        .map_err(anyhow::Error::from)?;
    if res.status != 0 {
        return Err(remote_exit(name, &cmd, res.status, &res.tail, ""));
    }
    Ok(())
}

/// Installs and starts one node (staging, `install`, `start`).
fn bring_up(ctx: &HostCtx, name: &str, kind: Kind, art: &Artifacts, token: &str) -> Result<()> {
    stage_files(ctx, name, kind, token)?;
    stage_artifacts(ctx, name, art)?;
    script(ctx, name, &format!("install {}", kind.as_str()))?;
    script(ctx, name, &format!("start {}", kind.as_str()))
}

/// The whole order, with the release files given (the tests give stand-ins).
pub fn run_with(ctx: &HostCtx, art: &Artifacts) -> Result<()> {
    let p = ctx.profile;
    let token = token(ctx.cluster_dir)?;
    let (servers, agents) = rke2::join_order(p);
    for s in &servers {
        (ctx.log)(&format!("{s}: RKE2 server (one at a time)"));
        bring_up(ctx, s, Kind::Server, art, &token)?;
    }
    if !agents.is_empty() {
        (ctx.log)(&format!("{}: RKE2 agents, together", agents.join(", ")));
        let results: Vec<(String, Result<()>)> = std::thread::scope(|sc| {
            let handles: Vec<_> = agents
                .iter()
                .map(|a| {
                    (
                        a.clone(),
                        sc.spawn(|| bring_up(ctx, a, Kind::Agent, art, &token)),
                    )
                })
                .collect();
            handles
                .into_iter()
                .map(|(a, h)| {
                    let r = h
                        .join()
                        .unwrap_or_else(|_| Err(anyhow::anyhow!("{a}: the join thread panicked")));
                    (a, r)
                })
                .collect()
        });
        let failed: Vec<String> = results
            .iter()
            .filter_map(|(a, r)| r.as_ref().err().map(|e| format!("{a}: {e:#}")))
            .collect();
        if !failed.is_empty() {
            bail!("RKE2 agents failed to join:\n{}", failed.join("\n"));
        }
    }
    let first = &servers[0];
    let all: Vec<&str> = servers.iter().chain(&agents).map(String::as_str).collect();
    script(ctx, first, &format!("wait-ready {}", all.join(" ")))?;
    script(ctx, first, "kubeconfig")?;
    super::node_ips::verify(ctx)
}

/// Puts every node's configuration and token in place before anything else (they must be
/// there before the first start, and need no release files).
pub fn place_all(ctx: &HostCtx) -> Result<()> {
    let token = token(ctx.cluster_dir)?;
    let (servers, agents) = rke2::join_order(ctx.profile);
    for (names, kind) in [(&servers, Kind::Server), (&agents, Kind::Agent)] {
        for n in names {
            stage_files(ctx, n, kind, &token)?;
            script(ctx, n, &format!("place {}", kind.as_str()))?;
        }
    }
    Ok(())
}

pub struct Rke2Up;

impl HostStage for Rke2Up {
    fn check(&self, ctx: &HostCtx) -> Result<bool> {
        let (servers, agents) = rke2::join_order(ctx.profile);
        for (names, kind) in [(&servers, Kind::Server), (&agents, Kind::Agent)] {
            for n in names {
                let r = runner(ctx, n)?;
                let want = sha256_hex(
                    ctx.rendered
                        .get(&rke2::config_path(n))
                        .context("config was not rendered")?
                        .as_bytes(),
                );
                let mut out = Vec::new();
                let cmd = format!(
                    "sudo sha256sum {} && {}",
                    rke2::node::CONFIG,
                    script_cmd(&format!("check {}", kind.as_str()))
                );
                let res = r
                    .exec(&cmd, None, &mut |l| out.push(l.to_string()))
                    .map_err(anyhow::Error::from)?;
                if res.status != 0 || !out.iter().any(|l| l.starts_with(&want)) {
                    return Ok(false);
                }
            }
        }
        Ok(super::node_ips::check(ctx).is_ok_and(|bad| bad.is_empty()))
    }

    fn run(&self, ctx: &HostCtx) -> Result<()> {
        place_all(ctx)?;
        let art = artifacts(ctx.profile.lock(), ctx.log)?;
        run_with(ctx, &art)
    }
}
