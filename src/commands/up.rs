//! `mlk up`: bring the lab up, stage by stage, resuming where the last run stopped.
use crate::catalogue::StageId;
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::executor::{self, Ctx, pool::Pool, retry::RetryPolicy, select};
use crate::exit::{Class, classify};
use crate::progress::{Progress, RunEnd};
use crate::provider::Provider;
use crate::provider::ProviderKind;
use crate::state::Store;
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk up -p mono                                  # new cluster from an embedded profile
  mlk up -p distributed --distribution rke2       # the same lab on RKE2 (Kubernetes 1.36)
  mlk up -p ./my-lab.yaml --provider libvirt      # your own profile, another hypervisor
  mlk up -p my.yaml --provider ssh --inventory hosts.cfg   # machines you already have
  mlk up -c distributed                           # resume, with what its first up recorded
  mlk up -c mono --from rke-up                    # this stage and every later one
  mlk up -p mono --json --destroy-on-failure      # for CI: one JSON event per line")]
pub struct UpArgs {
    /// An embedded profile (mono, distributed; `mlk profile list`) or the path of a profile
    /// YAML file. Default: the profile --cluster recorded; without --cluster, mono.
    #[arg(long, short = 'p')]
    pub profile: Option<String>,
    /// Resume this cluster with the profile, provider and inventory its `mlk up` recorded.
    #[arg(long, short = 'c', value_name = "NAME", value_parser = crate::cli::parse_cluster)]
    pub cluster: Option<ClusterName>,
    /// Where the nodes come from: `ssh` (existing hosts listed in --inventory) or a Vagrant
    /// provider (virtualbox, hyperv, libvirt). Default: what the cluster recorded, else the
    /// profile's provider.
    #[arg(long, value_parser = crate::cli::parse_provider, value_name = "PROVIDER")]
    pub provider: Option<ProviderKind>,
    /// With `--provider ssh`: the hosts, in the format `vagrant ssh-config` prints. mlk keeps
    /// a copy in the cluster folder, so later commands need no --inventory.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// How Kubernetes is made: rke (the default) or rke2. Default: what the cluster
    /// recorded, else the profile's `kubernetes.distribution`.
    #[arg(long, value_parser = crate::distribution::Distribution::check, value_name = "DIST")]
    pub distribution: Option<crate::distribution::Distribution>,
    /// Start at this stage (and run every later one).
    #[arg(long, value_name = "STAGE")]
    pub from: Option<String>,
    /// Run only these stages (comma-separated or repeated).
    #[arg(long, value_name = "STAGE,...")]
    pub only: Vec<String>,
    /// Leave out these stages (comma-separated or repeated).
    #[arg(long, value_name = "STAGE,...")]
    pub skip: Vec<String>,
    /// Print one JSON event per line on stdout (preflight checks, stage start, end, failure,
    /// and one `run_end` with the exit code and the diagnostics bundle).
    #[arg(long)]
    pub json: bool,
    /// Seconds to keep retrying transient SSH faults (reset, timeout, auth while booting).
    #[arg(long, default_value_t = 120, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub retry_budget: u64,
    /// On failure, destroy the VMs (as `mlk down --force` does); for CI. Labs keep them.
    #[arg(long)]
    pub destroy_on_failure: bool,
    /// Do not run `mlk doctor`'s checks first (up stops on any FAIL otherwise).
    #[arg(long)]
    pub skip_preflight: bool,
    /// Seconds for one SSH connection: the TCP connect and the SSH handshake (authentication
    /// has its own 30 s).
    #[arg(long, default_value_t = 15, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub connect_timeout: u64,
}

pub fn run(g: &Global, a: &UpArgs) -> Result<()> {
    let end = Mutex::new(RunEnd::default());
    let result = run_inner(g, a, &end);
    if a.json {
        let mut e = end.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match &result {
            Ok(()) => e.status = "done".into(),
            Err(err) => {
                e.status = "failed".into();
                e.class = Some(crate::exit::class_of(err));
            }
        }
        crate::progress::emit_json(&crate::progress::run_end_event(&e));
    }
    result
}

fn run_inner(g: &Global, a: &UpArgs, end: &Mutex<RunEnd>) -> Result<()> {
    let home = g.home()?;
    let t = crate::cluster::target::decide(
        &home,
        &crate::cluster::target::Request {
            profile: a.profile.as_deref(),
            cluster: a.cluster.as_ref(),
            provider: a.provider,
            distribution: a.distribution,
            inventory: a.inventory.as_deref(),
            rules: super::host_rules(),
        },
    )?;
    let p = &t.profile;
    let target = match t.kind {
        ProviderKind::Ssh => ProviderKind::Ssh,
        ProviderKind::Vagrant(_) => ProviderKind::Vagrant(p.provider),
    };
    // Not skippable: on another architecture no run can succeed.
    crate::doctor::arch::require(target, &crate::doctor::arch::host_arch())?;
    if !a.skip_preflight {
        let report = crate::doctor::run(p, target, &home.root);
        if a.json {
            for c in &report.checks {
                crate::progress::emit_json(&serde_json::json!({"event": "preflight",
                    "check": c.id, "status": c.status, "detail": c.detail, "fix": c.fix}));
            }
        }
        crate::doctor::preflight_verdict(&report)?;
    }
    let plan = crate::plan::build(p, &t.src.file);
    let sel = select::Selection {
        from: a.from.clone(),
        only: select::split_ids(&a.only),
        skip: select::split_ids(&a.skip),
    };
    let picked = select::select(&plan.stages, &sel)?;
    let dir = t.dir.clone();
    let learned = crate::render::addresses::load(&dir)?;
    let rendered = crate::render::addresses::render_all_with(p, &learned)?;
    let provider: Box<dyn Provider> = match t.kind {
        ProviderKind::Ssh => {
            let inv = t.inventory.as_ref().expect("target() requires it for ssh");
            Box::new(crate::provider::ssh::SshProvider::from_inventory(inv, p)?)
        }
        ProviderKind::Vagrant(_) => {
            let connect = super::connect::connector(&dir, Duration::from_secs(a.connect_timeout));
            Box::new(crate::provider::vagrant::VagrantProvider::new(
                p, &dir, connect,
            )?)
        }
    };
    let _lock = crate::state::lock::acquire(&dir, "mlk up")?;
    crate::cluster::target::record(&t)?;
    crate::render::write_with(
        &crate::layout::of(&dir).rendered(),
        &rendered,
        crate::render::Modes::Private,
    )?;
    let store = Arc::new(Store::open(&dir, &p.name)?);
    let progress = Arc::new(Progress::new(g.progress, a.json, &dir)?);
    {
        let (store, progress, name) = (store.clone(), progress.clone(), p.name.clone());
        executor::signal::install(move |sig| {
            let _held = store.interrupt("interrupted by a signal");
            progress.clear();
            progress.run_end(&RunEnd {
                status: "interrupted".into(),
                class: Some(Class::Interrupted),
                ..RunEnd::default()
            });
            eprintln!(
                "mlk: interrupted (signal {sig}); state recorded in {}; `mlk up -c {name}` resumes",
                store.path().display()
            );
            std::process::exit(i32::from(Class::Interrupted.code()));
        });
    }
    let connect = super::connect::connector(&dir, Duration::from_secs(a.connect_timeout));
    let run = |rendered: &crate::render::Rendered, picked: &[usize]| {
        let ctx = Ctx {
            profile: p,
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
    let machines = plan
        .stages
        .iter()
        .position(|s| s.action == crate::plan::stages::Action::Machines);
    let split = matches!(t.kind, ProviderKind::Vagrant(_))
        && p.provider == crate::profile::Hypervisor::Hyperv;
    let result = match machines.filter(|m| split && picked.contains(m)) {
        Some(m) => run(&rendered, &[m]).and_then(|first| {
            let learned = crate::render::addresses::load(&dir)?;
            let rendered = crate::render::addresses::render_all_with(p, &learned)?;
            crate::render::write_with(
                &crate::layout::of(&dir).rendered(),
                &rendered,
                crate::render::Modes::Private,
            )?;
            let rest: Vec<usize> = picked.iter().copied().filter(|i| *i != m).collect();
            let second = run(&rendered, &rest)?;
            Ok(executor::Summary {
                total: first.total + second.total,
                ran: [first.ran, second.ran].concat(),
                already_done: [first.already_done, second.already_done].concat(),
            })
        }),
        None => run(&rendered, &picked),
    };
    progress.clear();
    let sum = match result {
        Ok(s) => s,
        Err(e) => {
            // The bundle first: it holds the state that destroying forgets.
            let (err, bundle) = failed(e, &dir, &p.name);
            if a.destroy_on_failure {
                super::down::destroy_after_failure(provider.as_ref(), &dir, &p.name);
            }
            let mut end = end.lock().unwrap_or_else(|e| e.into_inner());
            end.total = picked.len();
            end.diagnostics = bundle;
            return Err(err);
        }
    };
    *end.lock().unwrap_or_else(|e| e.into_inner()) = RunEnd {
        ran: sum.ran.len(),
        skipped: sum.already_done.len(),
        total: sum.total,
        ..RunEnd::default()
    };
    if sum.ran.is_empty() {
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
    if sum.ran.iter().any(|s| *s == StageId::Summary) {
        crate::login::show_after_up(&dir, a.json);
    }
    Ok(())
}

/// The error of a failed run, with known-error advice for its output, the log and a
/// diagnostics bundle written for it (whose path is returned too, for `run_end`).
fn failed(e: anyhow::Error, dir: &Path, name: &str) -> (anyhow::Error, Option<PathBuf>) {
    // The message shows the failed command's last output lines: never a secret in them.
    let redactor =
        crate::diagnose::redact::Redactor::from_secrets_dir(&crate::layout::of(dir).secrets());
    let mut msg = redactor.redact(&format!("{e:#}"));
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
    msg.push_str(&format!(
        "\n  full log: {}",
        crate::layout::of(dir).log().display()
    ));
    let bundle = match crate::diagnose::write(dir) {
        Ok(path) => {
            msg.push_str(&format!("\n  diagnostics: {}", path.display()));
            Some(path)
        }
        Err(b) => {
            msg.push_str(&format!("\n  diagnostics bundle not written: {b:#}"));
            None
        }
    };
    msg.push_str(&format!(
        "\n  after fixing the cause, `mlk up -c {name}` resumes"
    ));
    (classify(class, msg), bundle)
}

fn retry_policy(a: &UpArgs) -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(a.retry_budget),
        ..RetryPolicy::default()
    }
}
