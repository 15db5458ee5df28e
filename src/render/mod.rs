//! Renders a profile into the files a cluster needs: Vagrantfile, cluster.yml, Helm values, stage scripts.
//!
//! Handlebars runs with HTML escaping off (these are not HTML files) and strict mode on (a
//! missing variable is an error, not an empty string). User values are quoted explicitly
//! with the `ruby`, `yaml` and `sh` helpers.
pub mod context;
pub mod egress;
pub mod manifest;
// The render folder: descriptor-based (openat) where there is one, by path elsewhere.
#[cfg(unix)]
pub mod safe_dir;
#[cfg(any(test, not(unix)))]
pub mod safe_dir_portable;
#[cfg(not(unix))]
pub use safe_dir_portable as safe_dir;

use crate::catalogue::StageId;
use crate::plan::{self, Plan};
use crate::profile::Profile;
use crate::provider::addresses::{self, Addresses};
use crate::quote;
use anyhow::{Context, Result, bail};
use handlebars::{Handlebars, handlebars_helper};
use include_dir::{Dir, include_dir};
use safe_dir::SafeDir;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::path::Path;

/// Whether `rel` is a plain relative path: no root, no `.` or `..`, no empty component, and
/// none of what Windows also reads as a separator or a drive (`\`, `:`).
pub fn is_plain_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains(['\0', '\\', ':'])
        && rel
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Rendered files: path relative to the render folder → contents.
pub type Rendered = BTreeMap<String, String>;

handlebars_helper!(ruby_helper: |s: str| quote::ruby(s));
handlebars_helper!(yaml_helper: |s: str| quote::yaml(s));
handlebars_helper!(sh_helper: |s: str| quote::shell(s));
handlebars_helper!(eq_helper: |a: str, b: str| a == b);

/// The template registry with mlk's settings and helpers.
pub fn registry() -> Result<Handlebars<'static>> {
    let mut hb = empty_registry();
    register_dir(&mut hb, &TEMPLATES)?;
    Ok(hb)
}

/// A registry with only the templates `names` (each partial they use among them): parsing
/// every template was most of `mlk plan`'s time, for the one workload template its checks
/// render.
pub fn registry_of(names: &[&str]) -> Result<Handlebars<'static>> {
    let mut hb = empty_registry();
    for name in names {
        let path = format!("{name}.hbs");
        let text = TEMPLATES
            .get_file(&path)
            .and_then(|f| f.contents_utf8())
            .with_context(|| format!("no template {path}"))?;
        hb.register_template_string(name, text)
            .with_context(|| format!("template {path}"))?;
    }
    Ok(hb)
}

fn empty_registry() -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.set_strict_mode(true);
    hb.register_helper("ruby", Box::new(ruby_helper));
    hb.register_helper("yaml", Box::new(yaml_helper));
    hb.register_helper("sh", Box::new(sh_helper));
    hb.register_helper("eq", Box::new(eq_helper));
    hb
}

fn register_dir(hb: &mut Handlebars<'static>, dir: &'static Dir<'static>) -> Result<()> {
    for f in dir.files() {
        let path = f.path().to_str().context("template path is not UTF-8")?;
        let Some(name) = path.strip_suffix(".hbs") else {
            continue;
        };
        let text = f
            .contents_utf8()
            .with_context(|| format!("template {path} is not UTF-8"))?;
        hb.register_template_string(name, text)
            .with_context(|| format!("template {path}"))?;
    }
    for d in dir.dirs() {
        register_dir(hb, d)?;
    }
    Ok(())
}

/// The files a plan renders: (template, path in the render folder), the Vagrantfile first.
fn files(plan: &Plan) -> Vec<(String, String)> {
    let p = &plan.resolved;
    let mut v = vec![(VAGRANTFILE.to_string(), VAGRANTFILE.to_string())];
    for r in &plan.helm_releases {
        v.push((format!("helm/{}.yaml", r.release), r.values.clone()));
    }
    for id in plan::stages::script_stages(p) {
        v.push((format!("stages/{id}.sh"), id.script_path()));
    }
    for f in p.components.addons().flat_map(|a| a.files()) {
        v.push((f.to_string(), f.to_string()));
    }
    v
}

/// The Vagrantfile's path in the render folder (and its template's name).
pub const VAGRANTFILE: &str = "Vagrantfile";

thread_local! {
    // Already const; clippy 1.96 on the Windows target flags the expansion anyway.
    #[allow(clippy::missing_const_for_thread_local)]
    static RENDERS: Cell<usize> = const { Cell::new(0) };
}

/// How many times this thread rendered a plan ([`render`], [`readdress`]): the hook the tests
/// hold "one `mlk up` renders once" with. Per thread, so tests running side by side do not
/// count each other's renders.
pub fn renders_on_this_thread() -> usize {
    RENDERS.with(Cell::get)
}

/// Renders the files of `files` whose path `which` accepts, node addresses from `learned`
/// except in the Vagrantfile.
fn render_some(plan: &Plan, learned: &Addresses, which: &dyn Fn(&str) -> bool) -> Result<Rendered> {
    RENDERS.with(|n| n.set(n.get() + 1));
    let hb = registry()?;
    let as_made = context::build(&plan.resolved);
    let moved = (!learned.is_empty()).then(|| addresses::apply(&plan.resolved, learned));
    let readdressed = moved.as_ref().map(context::build);
    let mut out = Rendered::new();
    // The distribution's own files (cluster.yml, RKE2's per-node config) name the nodes'
    // addresses: always the learned ones.
    let (dp, dctx) = match (&moved, &readdressed) {
        (Some(p), Some(c)) => (p, c),
        _ => (&plan.resolved, &as_made),
    };
    let mut own = Rendered::new();
    plan.resolved
        .distribution()
        .render(&hb, dp, dctx, &mut own)?;
    for (path, text) in own.into_iter().filter(|(p, _)| which(p)) {
        out.insert(path, lf(text));
    }
    for (tpl, path) in files(plan).into_iter().filter(|(_, p)| which(p)) {
        // The Vagrantfile makes the machines: it keeps the profile's addresses.
        let ctx = match &readdressed {
            Some(c) if path != VAGRANTFILE => c,
            _ => &as_made,
        };
        let text = hb
            .render(&tpl, ctx)
            .with_context(|| format!("rendering {tpl}"))?;
        out.insert(path, lf(text));
    }
    Ok(out)
}

/// Every file the plan needs: Vagrantfile, the distribution's files, Helm values, stage
/// scripts, add-on files. Node addresses are the `learned` ones where the provider learned
/// them (Hyper-V), except in the Vagrantfile. Pure: writes nothing.
pub fn render(plan: &Plan, learned: &Addresses) -> Result<Rendered> {
    render_some(plan, learned, &|_| true)
}

/// After the machines learned their addresses: renders again only what names them (every
/// file but the Vagrantfile) into `rendered`.
pub fn readdress(plan: &Plan, learned: &Addresses, rendered: &mut Rendered) -> Result<()> {
    rendered.extend(render_some(plan, learned, &|p| p != VAGRANTFILE)?);
    Ok(())
}

/// Every file for `p` as its profile says (no learned addresses): `mlk render`'s output.
pub fn render_all(p: &Profile) -> Result<Rendered> {
    render(&plan::build(p, ""), &Addresses::new())
}

/// One stage's script, as [`render_all`] makes it, from its template and the shared
/// `stages/_*.sh` partials only: `mlk doctor` reads os-prep's sysctls without rendering the
/// whole tree (`mlk up`'s preflight reads them from the render the run makes anyway).
pub fn stage_script(p: &Profile, id: StageId) -> Result<String> {
    let tpl = id.script_path();
    let partials = TEMPLATES
        .get_dir("stages")
        .into_iter()
        .flat_map(|d| d.files())
        .filter_map(|f| f.path().to_str()?.strip_suffix(".hbs"))
        .filter(|n| n.starts_with("stages/_"));
    let names: Vec<&str> = std::iter::once(tpl.as_str()).chain(partials).collect();
    let text = registry_of(&names)?
        .render(&tpl, &context::build(p))
        .with_context(|| format!("rendering {tpl}"))?;
    Ok(lf(text))
}

/// `text` with LF line endings only. Every rendered file is read on a Linux guest (bash, YAML,
/// Ruby all accept LF), whatever the host: a Windows checkout with `core.autocrlf` gives the
/// embedded templates CRLF endings, which would reach the guests as `$'\r': command not found`.
pub fn lf(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    }
}

/// File modes of a render: a user's folder is shared like any project folder; the copy in a
/// cluster folder is private to its owner, like everything else there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modes {
    Shared,
    Private,
}

impl Modes {
    fn file(self, rel: &str) -> u32 {
        let exec = rel.ends_with(".sh");
        match (self, exec) {
            (Modes::Shared, true) => 0o755,
            (Modes::Shared, false) => 0o644,
            (Modes::Private, true) => 0o700,
            (Modes::Private, false) => 0o600,
        }
    }
    fn dir(self) -> u32 {
        match self {
            Modes::Shared => 0o755,
            Modes::Private => 0o700,
        }
    }
}

/// Writes rendered files under `dir` (shared modes; scripts 0755), each atomically. See
/// [`write_with`].
pub fn write(dir: &Path, files: &Rendered) -> Result<()> {
    write_with(dir, files, Modes::Shared)
}

/// Writes rendered files under `dir`, each atomically and never through a symlink, then
/// removes what an earlier render wrote that this one does not (only files listed in the
/// folder's manifest and unchanged since), and records what it wrote in the manifest.
/// Every other file in `dir` is left alone.
pub fn write_with(dir: &Path, files: &Rendered, modes: Modes) -> Result<()> {
    let root = SafeDir::open(dir, true, modes.dir())?
        .with_context(|| format!("{} vanished while rendering", dir.display()))?;
    let old = manifest::read(&root)?;
    let mut new = manifest::Manifest::new();
    for (rel, text) in files {
        let (d, name) = root
            .parent_of(rel, true, modes.dir())?
            .with_context(|| format!("creating the folders of {rel}"))?;
        d.write_atomic(name, text.as_bytes(), modes.file(rel))?;
        new.insert(rel.clone(), manifest::digest(text.as_bytes()));
    }
    for (rel, _) in manifest::stale(&root, &old, &|r| files.contains_key(r))? {
        if let Some((d, name)) = root.parent_of(&rel, false, 0)? {
            d.remove(name)?;
        }
    }
    manifest::write(&root, &new, modes.file(manifest::FILE))
}

/// Unified diffs of every file in `dir` that differs from `files`, is missing, or is stale
/// (written by an earlier render, unchanged, and not written by this one); empty when the
/// folder matches the render. Files mlk did not write are not looked at.
pub fn check(dir: &Path, files: &Rendered) -> Result<Vec<String>> {
    if !dir.is_dir() {
        bail!("{} does not exist or is not a folder", dir.display());
    }
    let root = SafeDir::open(dir, false, 0)?
        .with_context(|| format!("{} does not exist", dir.display()))?;
    let mut diffs = Vec::new();
    for (rel, want) in files {
        let have = match root.parent_of(rel, false, 0)? {
            Some((d, name)) => d.read(name)?,
            None => None,
        };
        let (have, old) = match have {
            Some(b) => (String::from_utf8_lossy(&b).into_owned(), format!("a/{rel}")),
            None => (String::new(), "/dev/null".to_string()),
        };
        if &have != want {
            let d = similar::TextDiff::from_lines(&have, want);
            diffs.push(format!(
                "{}",
                d.unified_diff().header(&old, &format!("b/{rel}"))
            ));
        }
    }
    let listed = manifest::read(&root)?;
    for (rel, data) in manifest::stale(&root, &listed, &|r| files.contains_key(r))? {
        let have = String::from_utf8_lossy(&data);
        let d = similar::TextDiff::from_lines(have.as_ref(), "");
        diffs.push(format!(
            "{}",
            d.unified_diff().header(&format!("a/{rel}"), "/dev/null")
        ));
    }
    Ok(diffs)
}
