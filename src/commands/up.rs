//! `mlk up`: bring the lab up, stage by stage, resuming where the last run stopped.
use crate::catalogue::StageId;
use crate::cli::Global;
use crate::cluster::ClusterName;
use crate::executor::{self, pool::Pool, retry::RetryPolicy, select};
use crate::exit::{Class, classify};
use crate::progress::{Progress, RunEnd};
use crate::provider::Provider;
use crate::provider::ProviderKind;
use crate::render::Modes;
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
    let (p, dir) = (&t.profile, t.dir.clone());
    // Not skippable, and first: on another architecture no run can succeed.
    crate::doctor::arch::require(preflight_target(&t), &crate::doctor::arch::host_arch())?;
    let plan = crate::plan::build(p, &t.src.file);
    // Rendered once (pure, nothing written yet): the preflight reads os-prep's sysctls from it.
    let inputs = executor::Inputs::new(&plan, crate::provider::addresses::load(&dir)?)?;
    preflight(&t, a, &home.root, &inputs.rendered)?;
    let picked = select::select(&plan.stages, &selection(a))?;
    let provider = provider(&t, a)?;
    let _lock = crate::state::lock::acquire(&dir, "mlk up")?;
    crate::cluster::target::record(&t)?;
    let files = crate::layout::of(&dir);
    crate::render::write_with(&files.rendered(), &inputs.rendered, Modes::Private)?;
    let store = Arc::new(Store::open(&dir, &p.name)?);
    let progress = Arc::new(Progress::new(g.progress, a.json, &dir)?);
    on_signal(&store, &progress, &p.name);
    let connect = connector(&dir, a);
    let host = crate::remote::LocalRunner::new(crate::state::HOST);
    let run = executor::Run {
        plan: &plan,
        host: &host,
        cluster_dir: &dir,
        provider: provider.as_ref(),
        pool: Pool::new(connect.as_ref(), retry_policy(a)),
        state: &store,
        progress: &progress,
        retry: retry_policy(a),
    };
    let result = executor::execute(&run, &picked, inputs);
    progress.clear();
    let sum = result.map_err(|e| {
        // The bundle first: it holds the state that destroying forgets.
        let (err, bundle) = failed(e, &dir, &p.name);
        if a.destroy_on_failure {
            super::down::destroy_after_failure(provider.as_ref(), &dir, &p.name);
        }
        let mut end = end.lock().unwrap_or_else(|e| e.into_inner());
        end.total = picked.len();
        end.diagnostics = bundle;
        err
    })?;
    *end.lock().unwrap_or_else(|e| e.into_inner()) = RunEnd {
        ran: sum.ran.len(),
        skipped: sum.already_done.len(),
        total: sum.total,
        ..RunEnd::default()
    };
    report(&sum, &store, &dir, a.json);
    Ok(())
}

/// What the doctor checks for: the existing hosts, or the profile's hypervisor.
fn preflight_target(t: &crate::cluster::target::Target) -> ProviderKind {
    match t.kind {
        ProviderKind::Ssh => ProviderKind::Ssh,
        ProviderKind::Vagrant(_) => ProviderKind::Vagrant(t.profile.provider),
    }
}

/// `mlk doctor`'s checks (unless skipped) on the run's own render, as `--json` events too;
/// stops on a FAIL.
fn preflight(
    t: &crate::cluster::target::Target,
    a: &UpArgs,
    home: &Path,
    rendered: &crate::render::Rendered,
) -> Result<()> {
    if a.skip_preflight {
        return Ok(());
    }
    let report = crate::doctor::run_with(&t.profile, preflight_target(t), home, rendered);
    if a.json {
        for c in &report.checks {
            crate::progress::emit_json(&serde_json::json!({"event": "preflight",
                "check": c.id, "status": c.status, "detail": c.detail, "fix": c.fix}));
        }
    }
    crate::doctor::preflight_verdict(&report)
}

fn selection(a: &UpArgs) -> select::Selection {
    select::Selection {
        from: a.from.clone(),
        only: select::split_ids(&a.only),
        skip: select::split_ids(&a.skip),
    }
}

/// The machines' provider: the hosts of the inventory, or Vagrant's VMs.
fn provider(t: &crate::cluster::target::Target, a: &UpArgs) -> Result<Box<dyn Provider>> {
    Ok(match t.kind {
        ProviderKind::Ssh => {
            let inv = t.inventory.as_ref().expect("target() requires it for ssh");
            Box::new(crate::provider::ssh::SshProvider::from_inventory(
                inv, &t.profile,
            )?)
        }
        ProviderKind::Vagrant(_) => Box::new(crate::provider::vagrant::VagrantProvider::new(
            &t.profile,
            &t.dir,
            connector(&t.dir, a),
        )?),
    })
}

/// On SIGINT/SIGTERM: the running stages are recorded interrupted, then mlk exits 130.
fn on_signal(store: &Arc<Store>, progress: &Arc<Progress>, name: &str) {
    let (store, progress, name) = (store.clone(), progress.clone(), name.to_string());
    executor::signal::install(move || {
        let _held = store.interrupt("interrupted by a signal");
        progress.clear();
        progress.run_end(&RunEnd {
            status: "interrupted".into(),
            class: Some(Class::Interrupted),
            ..RunEnd::default()
        });
        eprintln!(
            "mlk: interrupted; state recorded in {}; `mlk up -c {name}` resumes",
            store.path().display()
        );
        std::process::exit(i32::from(Class::Interrupted.code()));
    });
}

/// What the run did, and the summary when it ran.
fn report(sum: &executor::Summary, store: &Store, dir: &Path, json: bool) {
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
        crate::login::show_after_up(dir, json);
    }
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

fn connector(dir: &Path, a: &UpArgs) -> Box<crate::remote::Connector> {
    crate::remote::connector(
        crate::layout::of(dir).known_hosts(),
        Duration::from_secs(a.connect_timeout),
    )
}

fn retry_policy(a: &UpArgs) -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_secs(a.retry_budget),
        ..RetryPolicy::default()
    }
}
