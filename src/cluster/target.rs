//! What `mlk up` brings up, decided from its flags and what the cluster recorded:
//! `mlk up -c NAME` alone resumes with the recorded profile, provider and inventory; flags
//! given override them (a cluster whose machines exist keeps its provider); a bare `mlk up`
//! resumes or suggests the one unfinished cluster, else takes the embedded mono profile.
//! Also writes the record, the profile's text and the inventory's copy for later commands.
use super::{ClusterName, Found, Home, Record};
use crate::distribution::Distribution;
use crate::exit::{Class, classify};
use crate::layout;
use crate::profile::validate::HostRules;
use crate::profile::{self, Hypervisor, Profile};
use crate::provider::ProviderKind;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// `mlk up`'s flags that choose the cluster.
pub struct Request<'a> {
    pub profile: Option<&'a str>,
    pub cluster: Option<&'a ClusterName>,
    pub provider: Option<ProviderKind>,
    /// `--distribution`; without it, what the cluster recorded, else the profile's.
    pub distribution: Option<Distribution>,
    pub inventory: Option<&'a Path>,
    /// This host's rules for validating the profile.
    pub rules: HostRules,
}

/// What this run brings up, decided from the flags and what the cluster recorded.
pub struct Target {
    pub profile: Profile,
    pub src: profile::Source,
    /// What the record keeps as the profile: an embedded name or an absolute path.
    pub profile_label: String,
    pub kind: ProviderKind,
    /// The inventory to read (ssh): the user's file or the cluster's copy.
    pub inventory: Option<PathBuf>,
    /// `--inventory` was given (its copy is refreshed), not taken from the record.
    pub inventory_given: bool,
    /// The `--distribution` to record (given now, or recorded before).
    pub distribution: Option<Distribution>,
    pub dir: PathBuf,
}

/// Decides the profile, provider, inventory and folder from the flags and the cluster's
/// record: `-c NAME` alone resumes with what was recorded; flags given override it.
pub fn decide(home: &Home, a: &Request) -> Result<Target> {
    let named = a.cluster.map(|n| (n, home.find(n)));
    let (src, label, recorded) = match (a.profile, named) {
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
    let recorded_dist = match (a.profile, a.cluster.map(|n| home.find(n))) {
        (None, Some(Some(found))) => Record::load_or_infer(&found.dir, &found.name)?.distribution(),
        _ => None,
    };
    let distribution = a.distribution.or(recorded_dist);
    let mut p = load(&src, hypervisor, distribution, &a.rules)?;
    if let Some(n) = a.cluster
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
    // Kubernetes runs on the machines: switching distributions needs new ones.
    if let (true, Some(want)) = (live, a.distribution)
        && let Some(rec) = Record::load(&dir)?
    {
        let saved = profile::Source {
            file: layout::of(&dir).profile().display().to_string(),
            text: std::fs::read_to_string(layout::of(&dir).profile()).unwrap_or_default(),
        };
        let was = rec.distribution().or_else(|| {
            profile::load(&saved, &profile::Overrides::default(), &a.rules)
                .ok()
                .map(|q| q.distribution())
        });
        if let Some(was) = was
            && was != want
        {
            return Err(classify(
                Class::Usage,
                format!(
                    "cluster {name} was brought up with distribution {was}; to use {want} instead, `mlk down -c {name}` first"
                ),
            ));
        }
    }
    if let Some(h) = kind.hypervisor()
        && h != p.provider
    {
        p = load(&src, Some(h), distribution, &a.rules)?;
    }
    let inventory = match (kind, a.inventory) {
        (ProviderKind::Ssh, Some(f)) => Some(absolute(f)?),
        (ProviderKind::Ssh, None) => {
            let copy = layout::of(&dir).ssh_config();
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
        inventory_given: a.inventory.is_some(),
        distribution,
        dir,
    })
}

fn load(
    src: &profile::Source,
    hypervisor: Option<Hypervisor>,
    distribution: Option<Distribution>,
    rules: &HostRules,
) -> Result<Profile> {
    let overrides = profile::Overrides {
        provider: hypervisor,
        distribution,
    };
    Ok(profile::load(src, &overrides, rules)?)
}

/// The saved profile of an existing cluster, and the hypervisor it recorded.
fn saved(found: &Found) -> Result<(profile::Source, String, Option<Hypervisor>)> {
    let rec = Record::load_or_infer(&found.dir, &found.name)?;
    let (_, src) = super::summary::saved_profile(&found.dir, &rec)?;
    let hv = rec.provider_kind().and_then(ProviderKind::hypervisor);
    Ok((src, rec.profile, hv))
}

/// `mlk up` without -p or -c: resume the one unfinished cluster if it is mono, suggest it
/// if it is another, else the embedded mono profile (saying so).
fn bare(home: &Home) -> Result<(profile::Source, String, Option<Hypervisor>)> {
    let unfinished: Vec<super::summary::Summary> = home
        .clusters()
        .iter()
        .map(super::summary::summarize)
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
                super::summary::table(many)
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
pub fn record(t: &Target) -> Result<()> {
    let dir = &t.dir;
    let mut rec = match Record::load(dir)? {
        Some(r) if r.destroyed.is_none() => r,
        Some(_) => Record::new(&t.profile.name, t.kind, &t.profile_label, dir),
        None if layout::of(dir).state().exists() => {
            // A folder from an older mlk: keep its age.
            Record::load_or_infer(dir, &t.profile.name)?
        }
        None => Record::new(&t.profile.name, t.kind, &t.profile_label, dir),
    };
    rec.provider = t.kind.as_str().to_string();
    rec.profile = t.profile_label.clone();
    rec.distribution = t.distribution.map(|d| d.as_str().to_string());
    rec.dir = dir.display().to_string();
    rec.stopped = None;
    rec.destroyed = None;
    if t.inventory_given {
        rec.inventory = t.inventory.as_ref().map(|p| p.display().to_string());
    }
    rec.save(dir)?;
    crate::fsutil::write_atomic(
        &layout::of(dir).profile(),
        t.src.text.as_bytes(),
        Some(0o600),
    )?;
    if let (ProviderKind::Ssh, true, Some(inv)) = (t.kind, t.inventory_given, &t.inventory) {
        // A regular file of at most 1 MiB (never a FIFO that would hang the run).
        let text = crate::fsutil::read_input(inv, crate::fsutil::MAX_INPUT)
            .map_err(|r| classify(Class::Usage, format!("reading {}: {r}", inv.display())))?;
        crate::fsutil::write_atomic(&layout::of(dir).ssh_config(), &text, Some(0o600))?;
    }
    Ok(())
}
