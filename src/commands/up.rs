//! `mlk up`: bring the lab up, stage by stage, resuming where the last run stopped.
use crate::cli::Global;
use crate::cluster::{self, ClusterName, Home, ProviderKind, Record};
use crate::executor::{self, Ctx, pool::Pool, retry::RetryPolicy, select};
use crate::exit::{Class, classify};
use crate::profile::{self, Profile};
use crate::progress::{Progress, RunEnd};
use crate::provider::Provider;
use crate::state::Store;
use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk up -p mono                                  # new cluster from an embedded profile
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
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub retry_budget: u64,
    /// On failure, destroy the VMs (as `mlk down --force` does); for CI. Labs keep them.
    #[arg(long)]
    pub destroy_on_failure: bool,
    /// Do not run `mlk doctor`'s checks first (up stops on any FAIL otherwise).
    #[arg(long)]
    pub skip_preflight: bool,
    /// Seconds for one SSH connect and authentication.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub connect_timeout: u64,
}

/// What this run brings up, decided from the flags and what the cluster recorded.
struct Target {
    profile: Profile,
    src: profile::Source,
    /// What the record keeps as the profile: an embedded name or an absolute path.
    profile_label: String,
    kind: ProviderKind,
    /// The inventory to read (ssh): the user's file or the cluster's copy.
    inventory: Option<PathBuf>,
    dir: PathBuf,
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
    let t = target(&home, a)?;
    let p = &t.profile;
    if !a.skip_preflight {
        let target = match t.kind {
            ProviderKind::Ssh => crate::doctor::Target::Existing,
            ProviderKind::Vagrant(_) => crate::doctor::Target::Vagrant(p.provider),
        };
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
    record(&t, a)?;
    crate::render::write(&dir.join("rendered"), &rendered)?;
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
    let machines = plan.stages.iter().position(|s| s.id == "machines");
    let split = matches!(t.kind, ProviderKind::Vagrant(_))
        && p.provider == crate::profile::Provider::Hyperv;
    let result = match machines.filter(|m| split && picked.contains(m)) {
        Some(m) => run(&rendered, &[m]).and_then(|first| {
            let learned = crate::render::addresses::load(&dir)?;
            let rendered = crate::render::addresses::render_all_with(p, &learned)?;
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
    let skipped = sum.already_done.len() + sum.skipped.len();
    *end.lock().unwrap_or_else(|e| e.into_inner()) = RunEnd {
        ran: sum.ran.len(),
        skipped,
        total: sum.total,
        ..RunEnd::default()
    };
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

/// Decides the profile, provider, inventory and folder from the flags and the cluster's
/// record: `-c NAME` alone resumes with what was recorded; flags given override it.
fn target(home: &Home, a: &UpArgs) -> Result<Target> {
    let named = a.cluster.as_ref().map(|n| (n, home.find(n)));
    let (src, label, recorded) = match (&a.profile, named) {
        (Some(arg), _) => {
            let src = profile::Source::resolve(arg)?;
            (src, profile_label(arg), None)
        }
        (None, Some((_, Some(found)))) => saved(&found)?,
        (None, Some((n, None))) => {
            return Err(classify(
                Class::Usage,
                format!(
                    "no cluster {n} in {} to resume; make one with `mlk up -p PROFILE` (the cluster \
                     is named by the profile's `name`; embedded profiles: {})",
                    home.describe(),
                    profile::embedded_names().join(", ")
                ),
            ));
        }
        (None, None) => bare(home)?,
    };
    let hypervisor = a.provider.and_then(ProviderKind::hypervisor).or(recorded);
    let mut p = load(&src, hypervisor)?;
    if let Some(n) = &a.cluster
        && n.as_str() != p.name
    {
        return Err(classify(
            Class::Usage,
            format!(
                "--cluster {n}, but profile {} names its cluster `{}` (a cluster is named by its profile's `name`)",
                src.file, p.name
            ),
        ));
    }
    let name = ClusterName::parse(&p.name)?;
    let existing = home.find(&name);
    if let Some(f) = &existing
        && let Some(note) = f.note(home)
    {
        eprintln!("mlk: note: {note}");
    }
    let dir = existing
        .as_ref()
        .map_or_else(|| home.new_dir(&name), |f| f.dir.clone());
    let was = match &existing {
        Some(f) => Record::load_or_infer(&f.dir, &f.name)?.provider_kind(),
        None => None,
    };
    let kind = a
        .provider
        .or(was)
        .unwrap_or(ProviderKind::Vagrant(p.provider));
    // Only a recorded (not inferred) provider of machines that still exist is binding.
    let live = Record::load(&dir)?.is_some_and(|r| r.destroyed.is_none());
    if let (true, Some(want), Some(was)) = (live, a.provider, was)
        && want != was
    {
        return Err(classify(
            Class::Usage,
            format!(
                "cluster {name} was brought up with provider {}; to use {} instead, `mlk down -c {name}` first",
                was.as_str(),
                want.as_str()
            ),
        ));
    }
    if let Some(h) = kind.hypervisor()
        && h != p.provider
    {
        p = load(&src, Some(h))?;
    }
    let inventory = match (kind, &a.inventory) {
        (ProviderKind::Ssh, Some(f)) => Some(absolute(f)?),
        (ProviderKind::Ssh, None) => {
            let copy = dir.join(cluster::record::SSH_CONFIG_FILE);
            if !copy.is_file() {
                return Err(classify(
                    Class::Usage,
                    "--provider ssh needs --inventory FILE (the format `vagrant ssh-config` prints)",
                ));
            }
            Some(copy)
        }
        (ProviderKind::Vagrant(h), Some(_)) => {
            return Err(classify(
                Class::Usage,
                format!(
                    "--inventory lists existing hosts and needs --provider ssh; cluster {name} uses Vagrant ({})",
                    h.as_str()
                ),
            ));
        }
        (ProviderKind::Vagrant(_), None) => None,
    };
    Ok(Target {
        profile: p,
        src,
        profile_label: label,
        kind,
        inventory,
        dir,
    })
}

fn load(src: &profile::Source, hypervisor: Option<crate::profile::Provider>) -> Result<Profile> {
    let overrides = profile::Overrides {
        provider: hypervisor,
    };
    Ok(profile::load(src, &overrides, &super::host_rules())?)
}

/// The saved profile of an existing cluster, and the hypervisor it recorded.
fn saved(
    found: &cluster::Found,
) -> Result<(profile::Source, String, Option<crate::profile::Provider>)> {
    let rec = Record::load_or_infer(&found.dir, &found.name)?;
    let (_, src) = cluster::summary::saved_profile(&found.dir, &rec)?;
    let hv = rec.provider_kind().and_then(ProviderKind::hypervisor);
    Ok((src, rec.profile, hv))
}

/// `mlk up` without -p or -c: resume the one unfinished cluster if it is mono, suggest it
/// if it is another, else the embedded mono profile (saying so).
fn bare(home: &Home) -> Result<(profile::Source, String, Option<crate::profile::Provider>)> {
    let unfinished: Vec<cluster::summary::Summary> = home
        .clusters()
        .iter()
        .map(cluster::summary::summarize)
        .filter(|s| s.phase.unfinished())
        .collect();
    match unfinished.as_slice() {
        [one] if one.name == "mono" => {
            eprintln!("mlk: resuming cluster mono ({})", one.state_text);
            let found = home
                .find(&ClusterName::parse("mono")?)
                .expect("just listed");
            saved(&found)
        }
        [one] => Err(classify(
            Class::Usage,
            format!(
                "cluster {} is unfinished ({}): resume it with `mlk up -c {}`, or start another with `mlk up -p PROFILE`",
                one.name, one.state_text, one.name
            ),
        )),
        [] => {
            eprintln!(
                "mlk: no --profile: using the embedded profile mono (one VM; `mlk profile list` shows the others)"
            );
            Ok((profile::Source::resolve("mono")?, "mono".into(), None))
        }
        many => Err(classify(
            Class::Usage,
            format!(
                "{} unfinished clusters; resume one with `mlk up -c NAME`, or start another with `mlk up -p PROFILE`:\n{}",
                many.len(),
                cluster::summary::table(many)
                    .lines()
                    .map(|l| format!("  {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )),
    }
}

/// An embedded name stays a name; a file is recorded by its absolute path.
fn profile_label(arg: &str) -> String {
    if profile::embedded_names().iter().any(|n| n == arg) {
        arg.to_string()
    } else {
        absolute(Path::new(arg)).map_or_else(|_| arg.to_string(), |p| p.display().to_string())
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("{}: cannot make it absolute", p.display()))
}

/// Writes what later commands need: the record, the profile's text, the inventory's copy.
fn record(t: &Target, a: &UpArgs) -> Result<()> {
    let dir = &t.dir;
    let mut rec = match Record::load(dir)? {
        Some(r) if r.destroyed.is_none() => r,
        Some(_) => Record::new(&t.profile.name, t.kind, &t.profile_label, dir),
        None if dir.join("state.json").exists() => {
            // A folder from an older mlk: keep its age.
            Record::load_or_infer(dir, &t.profile.name)?
        }
        None => Record::new(&t.profile.name, t.kind, &t.profile_label, dir),
    };
    rec.provider = t.kind.as_str().to_string();
    rec.profile = t.profile_label.clone();
    rec.dir = dir.display().to_string();
    rec.stopped = None;
    rec.destroyed = None;
    if a.inventory.is_some() {
        rec.inventory = t.inventory.as_ref().map(|p| p.display().to_string());
    }
    rec.save(dir)?;
    crate::fsutil::write_atomic(
        &dir.join(cluster::record::PROFILE_FILE),
        t.src.text.as_bytes(),
        Some(0o644),
    )?;
    if let (ProviderKind::Ssh, Some(inv)) = (t.kind, &a.inventory) {
        let text = std::fs::read(inv).with_context(|| format!("reading {}", inv.display()))?;
        crate::fsutil::write_atomic(
            &dir.join(cluster::record::SSH_CONFIG_FILE),
            &text,
            Some(0o600),
        )?;
    }
    Ok(())
}

/// The error of a failed run, with known-error advice for its output, the log and a
/// diagnostics bundle written for it (whose path is returned too, for `run_end`).
fn failed(e: anyhow::Error, dir: &Path, name: &str) -> (anyhow::Error, Option<PathBuf>) {
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
