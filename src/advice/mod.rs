//! Known-error advice: match a failing tool's output against `table.yaml` and say what fixes it.
//!
//! The table is data (regex, id, advice, exit class, issue links), like minikube's
//! known_issues.go; callers print [`render`] under the error and may use [`Advice::class`]
//! for the exit code.
use crate::exit::Class;
use anyhow::{Context, Result};
use regex::Regex;
use serde::Deserialize;
use std::sync::OnceLock;

static TABLE_YAML: &str = include_str!("table.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    tool: String,
    class: String,
    pattern: String,
    advice: String,
    issues: Vec<String>,
}

/// One known error.
#[derive(Debug)]
pub struct Advice {
    /// Stable id, e.g. `VBOX_HOSTONLY_RANGE`.
    pub id: String,
    /// The tool whose output the pattern is for: vagrant, rke, helm, kubectl, docker, rancher.
    pub tool: String,
    pub class: Class,
    pub regex: Regex,
    /// What to do, naming the command or setting that fixes it.
    pub advice: String,
    /// Threads where users hit this error.
    pub issues: Vec<String>,
}

fn class_named(s: &str) -> Option<Class> {
    Some(match s {
        "provider" => Class::Provider,
        "remote" => Class::Remote,
        "preflight" => Class::Preflight,
        "usage" => Class::Usage,
        "failure" => Class::Failure,
        _ => return None,
    })
}

/// Parses and compiles a table in the format of `table.yaml`; errors name the entry.
pub fn parse(text: &str) -> Result<Vec<Advice>> {
    let raw: Vec<Raw> = serde_yaml_ng::from_str(text).context("advice table")?;
    let mut seen = std::collections::BTreeSet::new();
    raw.into_iter()
        .map(|r| {
            anyhow::ensure!(seen.insert(r.id.clone()), "advice {}: duplicate id", r.id);
            let class = class_named(&r.class).with_context(|| {
                format!(
                    "advice {}: class `{}`; allowed: provider, remote, preflight, usage, failure",
                    r.id, r.class
                )
            })?;
            let regex =
                Regex::new(&r.pattern).with_context(|| format!("advice {}: pattern", r.id))?;
            Ok(Advice {
                id: r.id,
                tool: r.tool,
                class,
                regex,
                advice: r.advice.trim().to_string(),
                issues: r.issues,
            })
        })
        .collect()
}

/// The built-in table, compiled once. A broken table is a build defect caught by the tests.
pub fn table() -> &'static [Advice] {
    static T: OnceLock<Vec<Advice>> = OnceLock::new();
    T.get_or_init(|| parse(TABLE_YAML).unwrap_or_else(|e| panic!("built-in advice table: {e:#}")))
}

/// The entry with this id.
pub fn by_id(id: &str) -> Option<&'static Advice> {
    table().iter().find(|a| a.id == id)
}

/// Every entry whose pattern occurs in `text`, in table order.
pub fn match_output(text: &str) -> Vec<&'static Advice> {
    table().iter().filter(|a| a.regex.is_match(text)).collect()
}

/// The advice for `matches` as lines to print under an error; empty when there is none.
pub fn render(matches: &[&Advice]) -> String {
    let mut s = String::new();
    for a in matches {
        s.push_str(&format!("  hint [{}]: {}\n", a.id, a.advice));
        if let Some(first) = a.issues.first() {
            s.push_str(&format!("    (known issue: {first})\n"));
        }
    }
    s
}

/// Advice lines for `text`, ready to append to an error message; empty when nothing matches.
pub fn hints_for(text: &str) -> String {
    render(&match_output(text))
}
