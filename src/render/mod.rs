//! Renders a profile into the files a cluster needs: Vagrantfile, cluster.yml, Helm values, stage scripts.
//!
//! Handlebars runs with HTML escaping off (these are not HTML files) and strict mode on (a
//! missing variable is an error, not an empty string). User values are quoted explicitly
//! with the `ruby`, `yaml` and `sh` helpers.
pub mod addresses;
pub mod context;
pub mod egress;
pub mod manifest;
pub mod safe_dir;

use crate::plan;
use crate::profile::Profile;
use crate::quote;
use anyhow::{Context, Result, bail};
use handlebars::{Handlebars, handlebars_helper};
use include_dir::{Dir, include_dir};
use safe_dir::SafeDir;
use std::collections::BTreeMap;
use std::path::Path;

static TEMPLATES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Rendered files: path relative to the render folder → contents.
pub type Rendered = BTreeMap<String, String>;

handlebars_helper!(ruby_helper: |s: str| quote::ruby(s));
handlebars_helper!(yaml_helper: |s: str| quote::yaml(s));
handlebars_helper!(sh_helper: |s: str| quote::shell(s));
handlebars_helper!(eq_helper: |a: str, b: str| a == b);

/// The template registry with mlk's settings and helpers.
pub fn registry() -> Result<Handlebars<'static>> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.set_strict_mode(true);
    hb.register_helper("ruby", Box::new(ruby_helper));
    hb.register_helper("yaml", Box::new(yaml_helper));
    hb.register_helper("sh", Box::new(sh_helper));
    hb.register_helper("eq", Box::new(eq_helper));
    register_dir(&mut hb, &TEMPLATES)?;
    Ok(hb)
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

/// Renders every file for `p`. Pure: writes nothing.
pub fn render_all(p: &Profile) -> Result<Rendered> {
    let hb = registry()?;
    let ctx = context::build(p);
    let plan = plan::build(p, "");
    let mut out = Rendered::new();
    p.distribution().render(&hb, p, &ctx, &mut out)?;
    let mut put = |tpl: &str, path: String| -> Result<()> {
        let text = hb
            .render(tpl, &ctx)
            .with_context(|| format!("rendering {tpl}"))?;
        out.insert(path, text);
        Ok(())
    };
    put("Vagrantfile", "Vagrantfile".into())?;
    for r in &plan.helm_releases {
        put(&format!("helm/{}.yaml", r.release), r.values.clone())?;
    }
    for id in plan::stages::script_stages(p) {
        put(&format!("stages/{id}.sh"), id.script_path())?;
    }
    for f in p.components.addons().flat_map(|a| a.files()) {
        put(f, f.to_string())?;
    }
    Ok(out)
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
