//! `mlk up`: bring the lab up, stage by stage, resuming where the last run stopped.
use crate::cli::{Global, ProfileArgs};
use crate::executor::{self, Ctx, pool::Pool, retry::RetryPolicy, select};
use crate::exit::{Class, classify};
use crate::profile::Provider as VagrantProvider;
use crate::progress::Progress;
use crate::provider::Provider;
use crate::state::{self, Store};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct UpArgs {
    /// An embedded profile (mono, distributed) or the path of a profile YAML file.
    #[arg(long, short = 'p', default_value = "mono")]
    pub profile: String,
    /// Where the nodes come from: `ssh` (existing hosts listed in --inventory) or a Vagrant
    /// provider (virtualbox, hyperv, libvirt). Default: the profile's provider.
    #[arg(long)]
    pub provider: Option<String>,
    /// With `--provider ssh`: the hosts, in the format `vagrant ssh-config` prints.
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// Start at this stage (and run every later one).
    #[arg(long, value_name = "STAGE")]
    pub from: Option<String>,
    /// Run only these stages (comma-separated or repeated).
    #[arg(long, value_name = "STAGE,...")]
    pub only: Vec<String>,
    /// Leave out these stages (comma-separated or repeated).
    #[arg(long, value_name = "STAGE,...")]
    pub skip: Vec<String>,
    /// Print one JSON event per line on stdout (stage start, end, failure).
    #[arg(long)]
    pub json: bool,
    /// Seconds to keep retrying transient SSH faults (reset, timeout, auth while booting).
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub retry_budget: u64,
    /// On failure, destroy the VMs (`mlk down --force --keep-folder`); for CI. Labs keep them.
    #[arg(long)]
    pub destroy_on_failure: bool,
    /// Do not run `mlk doctor`'s checks first (up stops on any FAIL otherwise).
    #[arg(long)]
    pub skip_preflight: bool,
    /// Seconds for one SSH connect and authentication.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub connect_timeout: u64,
}

enum Kind {
    Ssh,
    Vagrant(Option<VagrantProvider>),
}

fn kind(a: &UpArgs) -> Result<Kind> {
    match a.provider.as_deref() {
        None => Ok(Kind::Vagrant(None)),
        Some("ssh") => Ok(Kind::Ssh),
        Some(s) => VagrantProvider::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .map(|p| Kind::Vagrant(Some(p)))
            .ok_or_else(|| {
                classify(
                    Class::Usage,
                    format!("--provider: unknown provider `{s}`; allowed: ssh, virtualbox, hyperv, libvirt"),
                )
            }),
    }
}

pub fn run(g: &Global, a: &UpArgs) -> Result<()> {
    let kind = kind(a)?;
    let vagrant = match kind {
        Kind::Vagrant(v) => v,
        Kind::Ssh => None,
    };
    let (p, src) = super::load_profile(&ProfileArgs {
        profile: a.profile.clone(),
        provider: vagrant,
    })?;
    let target = match kind {
        Kind::Ssh => crate::doctor::Target::Existing,
        Kind::Vagrant(_) => crate::doctor::Target::Vagrant(p.provider),
    };
    // Not skippable: on another architecture no run can succeed.
    crate::doctor::arch::require(target, &crate::doctor::arch::host_arch())?;
    if !a.skip_preflight {
        crate::doctor::preflight(&p, target, &super::doctor::home(g))?;
    }
    let plan = crate::plan::build(&p, &src.file);
    let sel = select::Selection {
        from: a.from.clone(),
        only: select::split_ids(&a.only),
        skip: select::split_ids(&a.skip),
    };
    let picked = select::select(&plan.stages, &sel)?;
    let learned = crate::render::addresses::load(&state::cluster_dir(g.dir.as_deref(), &p.name))?;
    let rendered = crate::render::addresses::render_all_with(&p, &learned)?;
    let provider: Box<dyn Provider> = match kind {
        Kind::Ssh => {
            let inv = a.inventory.as_ref().ok_or_else(|| {
                classify(Class::Usage, "--provider ssh needs --inventory FILE (the format `vagrant ssh-config` prints)")
            })?;
            Box::new(crate::provider::ssh::SshProvider::from_inventory(inv, &p)?)
        }
        Kind::Vagrant(_) => {
            let dir = state::cluster_dir(g.dir.as_deref(), &p.name);
            let connect = super::connect::connector(&dir, Duration::from_secs(a.connect_timeout));
            Box::new(crate::provider::vagrant::VagrantProvider::new(
                &p, &dir, connect,
            )?)
        }
    };
    let dir = state::cluster_dir(g.dir.as_deref(), &p.name);
    let _lock = state::lock::acquire(&dir, "mlk up")?;
    crate::render::write(&dir.join("rendered"), &rendered)?;
    // Later commands (status, report, run-workload) find the profile and the nodes here.
    crate::fsutil::write_atomic(&dir.join("profile.yaml"), src.text.as_bytes(), Some(0o644))?;
    if let (Kind::Ssh, Some(inv)) = (&kind, &a.inventory) {
        let text = std::fs::read(inv).with_context(|| format!("reading {}", inv.display()))?;
        crate::fsutil::write_atomic(&dir.join("ssh-config"), &text, Some(0o600))?;
    }
    let store = Arc::new(Store::open(&dir, &p.name)?);
    let progress = Arc::new(Progress::new(g.progress, a.json, &dir)?);
    {
        let (store, progress) = (store.clone(), progress.clone());
        executor::signal::install(move |sig| {
            let _held = store.interrupt("interrupted by a signal");
            progress.clear();
            progress.run_end("interrupted", 0, 0, 0);
            eprintln!(
                "mlk: interrupted (signal {sig}); state recorded in {}; run `mlk up` again to resume",
                store.path().display()
            );
            std::process::exit(i32::from(Class::Interrupted.code()));
        });
    }
    let connect = super::connect::connector(&dir, Duration::from_secs(a.connect_timeout));
    let run = |rendered: &crate::render::Rendered, picked: &[usize]| {
        let ctx = Ctx {
            profile: &p,
            rendered,
            cluster_dir: &dir,
            provider: provider.as_ref(),
            pool: Pool::new(connect.as_ref(), retry_policy(a)),
            state: &store,
            progress: &progress,
            retry: retry_policy(a),
        };
        executor::execute(&ctx, &plan.stages, picked)
    };
    // Hyper-V ignores static addresses: the machines stage learns the real ones, and every
    // later stage (rke-up's cluster.yml first) must see files rendered with them. So there the
    // run is split after `machines` and re-rendered in between.
    let machines = plan.stages.iter().position(|s| s.id == "machines");
    let split = matches!(kind, Kind::Vagrant(_)) && p.provider == crate::profile::Provider::Hyperv;
    let result = match machines.filter(|m| split && picked.contains(m)) {
        Some(m) => run(&rendered, &[m]).and_then(|first| {
            let learned = crate::render::addresses::load(&dir)?;
            let rendered = crate::render::addresses::render_all_with(&p, &learned)?;
            crate::render::write(&dir.join("rendered"), &rendered)?;
            let rest: Vec<usize> = picked.iter().copied().filter(|i| *i != m).collect();
            let second = run(&rendered, &rest)?;
            Ok(executor::Summary {
                total: first.total + second.total,
                ran: [first.ran, second.ran].concat(),
                already_done: [first.already_done, second.already_done].concat(),
                skipped: [first.skipped, second.skipped].concat(),
            })
        }),
        None => run(&rendered, &picked),
    };
    progress.clear();
    let sum = match result {
        Ok(s) => s,
        Err(e) => {
            progress.run_end("failed", 0, 0, picked.len());
            if a.destroy_on_failure {
                super::down::destroy_after_failure(provider.as_ref(), &p.name);
            }
            return Err(failed(e, &dir));
        }
    };
    let skipped = sum.already_done.len() + sum.skipped.len();
    progress.run_end("done", sum.ran.len(), skipped, sum.total);
    if sum.ran.is_empty() && sum.skipped.is_empty() {
        eprintln!(
            "mlk: nothing to do: all {} stage(s) already done (state: {})",
            sum.total,
            store.path().display()
        );
    } else {
        eprintln!(
            "mlk: up finished: {} stage(s) run, {} already done",
            sum.ran.len(),
            sum.already_done.len()
        );
    }
    if sum.ran.iter().any(|s| s == "summary") {
        crate::login::show_after_up(&dir, a.json);
    }
    if !sum.skipped.is_empty() {
        let list: Vec<String> = sum
            .skipped
            .iter()
            .map(|(id, why)| format!("{id} ({why})"))
            .collect();
        eprintln!(
            "mlk: WARNING: {} stage(s) did not run: {}",
            list.len(),
            list.join(", ")
        );
    }
    Ok(())
}

/// The error of a failed run, with known-error advice for its output, the log and a
/// diagnostics bundle written for it.
fn failed(e: anyhow::Error, dir: &std::path::Path) -> anyhow::Error {
    let mut msg = format!("{e:#}");
    let matches = crate::advice::match_output(&msg);
    let mut class = crate::exit::class_of(&e);
    // An unclassified failure takes the class of the known error it matches.
    if class == crate::exit::Class::Failure
        && let Some(a) = matches.first()
    {
        class = a.class;
    }
    let hints = crate::advice::render(&matches);
    if !hints.is_empty() {
        msg.push('\n');
        msg.push_str(hints.trim_end());
    }
    msg.push_str(&format!("\n  full log: {}", dir.join("mlk.log").display()));
    match crate::diagnose::write(dir) {
        Ok(path) => msg.push_str(&format!("\n  diagnostics: {}", path.display())),
        Err(b) => msg.push_str(&format!("\n  diagnostics bundle not written: {b:#}")),
    }
    classify(class, msg)
}

fn retry_policy(a: &UpArgs) -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(a.retry_budget),
        ..RetryPolicy::default()
    }
}
