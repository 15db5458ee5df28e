//! Renders a profile into the files a cluster needs: Vagrantfile, cluster.yml, Helm values, stage scripts.
//!
//! Handlebars runs with HTML escaping off (these are not HTML files) and strict mode on (a
//! missing variable is an error, not an empty string). User values are quoted explicitly
//! with the `ruby`, `yaml` and `sh` helpers.
pub mod addresses;
pub mod context;
pub mod egress;
pub mod quote;
mod stale;

use crate::plan;
use crate::profile::Profile;
use anyhow::{Context, Result, bail};
use handlebars::{Handlebars, handlebars_helper};
use include_dir::{Dir, include_dir};
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
    let mut put = |tpl: &str, path: String| -> Result<()> {
        let text = hb
            .render(tpl, &ctx)
            .with_context(|| format!("rendering {tpl}"))?;
        out.insert(path, text);
        Ok(())
    };
    put("Vagrantfile", "Vagrantfile".into())?;
    put("rke/cluster.yml", "cluster.yml".into())?;
    for r in &plan.helm_releases {
        put(&format!("helm/{}.yaml", r.release), r.values.clone())?;
    }
    for id in plan::stages::script_stage_ids(p) {
        put(&format!("stages/{id}.sh"), plan::stages::script_path(id))?;
    }
    if p.components.kubeflow.enabled {
        put(
            "kubeflow/kustomization.yaml",
            "kubeflow/kustomization.yaml".into(),
        )?;
        put("kubeflow/ingress.yaml", "kubeflow/ingress.yaml".into())?;
        put(
            "kubeflow/certificate.yaml",
            "kubeflow/certificate.yaml".into(),
        )?;
    }
    Ok(out)
}

/// Writes rendered files under `dir`, each atomically, then removes stale files from mlk's
/// own subfolders (see `stale`), so the folder matches the render. Scripts get mode 0755.
pub fn write(dir: &Path, files: &Rendered) -> Result<()> {
    for (rel, text) in files {
        let mode = if rel.ends_with(".sh") { 0o755 } else { 0o644 };
        crate::fsutil::write_atomic(&dir.join(rel), text.as_bytes(), Some(mode))?;
    }
    for rel in stale::find(dir, files)? {
        let path = dir.join(&rel);
        std::fs::remove_file(&path)
            .with_context(|| format!("removing stale {}", path.display()))?;
    }
    Ok(())
}

/// Unified diffs of every file in `dir` that differs from `files`, is missing, or is stale;
/// empty when the folder matches the render.
pub fn check(dir: &Path, files: &Rendered) -> Result<Vec<String>> {
    if !dir.is_dir() {
        bail!("{} does not exist or is not a folder", dir.display());
    }
    let mut diffs = Vec::new();
    for (rel, want) in files {
        let path = dir.join(rel);
        let (have, old) = match std::fs::read_to_string(&path) {
            Ok(s) => (s, format!("a/{rel}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                (String::new(), "/dev/null".to_string())
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        if &have != want {
            let d = similar::TextDiff::from_lines(&have, want);
            diffs.push(format!(
                "{}",
                d.unified_diff().header(&old, &format!("b/{rel}"))
            ));
        }
    }
    for rel in stale::find(dir, files)? {
        let path = dir.join(&rel);
        let have = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let d = similar::TextDiff::from_lines(have.as_str(), "");
        diffs.push(format!(
            "{}",
            d.unified_diff().header(&format!("a/{rel}"), "/dev/null")
        ));
    }
    Ok(diffs)
}
