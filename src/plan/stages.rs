//! The plan's stage list: the built-in stages (`crate::catalogue`) the profile has, with the
//! profile's custom stages hung after their anchors, each with what it does and where.
use crate::catalogue::{self, HostWork, Nodes, StageId, When, Work};
use crate::profile::{Profile, StageTarget};
use serde::ser::{Serialize, SerializeStruct, Serializer};

/// A stage's name: a built-in id, or a custom stage's id from the profile.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StageName {
    Builtin(StageId),
    Custom(String),
}

impl StageName {
    /// As users, state files and progress lines spell it.
    pub fn as_str(&self) -> &str {
        match self {
            StageName::Builtin(id) => id.as_str(),
            StageName::Custom(s) => s,
        }
    }
}

impl std::fmt::Display for StageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl PartialEq<StageId> for StageName {
    fn eq(&self, id: &StageId) -> bool {
        *self == StageName::Builtin(*id)
    }
}

impl Serialize for StageName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A profile's stage: shell snippets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippets {
    pub run: String,
    /// Exits 0 when the work is already done.
    pub check: Option<String>,
    /// Whether a failed `run` may be retried.
    pub retry: bool,
    /// Seconds before the command is killed.
    pub timeout: Option<u64>,
}

/// What a stage does, and where: each variant carries its own target, so no stage can ask
/// for a pair that cannot run (a script on the host, host work on a node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The provider brings the machines up and says how to reach them. On the host.
    Machines,
    /// Work mlk does on the host, reaching the nodes it needs (`crate::stages`).
    Host(HostWork),
    /// A rendered script with `check` and `run` subcommands, uploaded and run on `on`.
    Script { script: String, on: Nodes },
    /// A profile's stage, on the host or on nodes.
    Custom { on: StageTarget, snippets: Snippets },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub id: StageName,
    pub title: String,
    /// Node names the stage runs on; empty for host stages.
    pub nodes: Vec<String>,
    pub action: Action,
}

impl From<Nodes> for StageTarget {
    fn from(n: Nodes) -> StageTarget {
        match n {
            Nodes::All => StageTarget::AllNodes,
            Nodes::FirstControlplane => StageTarget::FirstControlplane,
        }
    }
}

impl Stage {
    /// Where it runs, as a profile names targets.
    pub fn target(&self) -> StageTarget {
        match &self.action {
            Action::Machines | Action::Host(_) => StageTarget::Host,
            Action::Script { on, .. } => (*on).into(),
            Action::Custom { on, .. } => *on,
        }
    }

    /// Whether it runs on the host (no node).
    pub fn on_host(&self) -> bool {
        self.target() == StageTarget::Host
    }
}

/// `mlk plan --json`'s form: `{id, title, target, nodes, action: {kind, ...}}`.
impl Serialize for Stage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Stage", 5)?;
        st.serialize_field("id", &self.id)?;
        st.serialize_field("title", &self.title)?;
        st.serialize_field("target", &self.target())?;
        st.serialize_field("nodes", &self.nodes)?;
        st.serialize_field("action", &ActionForm(&self.action))?;
        st.end()
    }
}

struct ActionForm<'a>(&'a Action);

impl Serialize for ActionForm<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Action::Machines | Action::Host(_) => {
                let mut st = s.serialize_struct("Action", 1)?;
                st.serialize_field("kind", "builtin")?;
                st.end()
            }
            Action::Script { script, .. } => {
                let mut st = s.serialize_struct("Action", 2)?;
                st.serialize_field("kind", "script")?;
                st.serialize_field("script", script)?;
                st.end()
            }
            Action::Custom { snippets: c, .. } => {
                let mut st = s.serialize_struct("Action", 5)?;
                st.serialize_field("kind", "custom")?;
                st.serialize_field("run", &c.run)?;
                if let Some(check) = &c.check {
                    st.serialize_field("check", check)?;
                }
                st.serialize_field("retry", &c.retry)?;
                if let Some(t) = &c.timeout {
                    st.serialize_field("timeout", t)?;
                }
                st.end()
            }
        }
    }
}

/// Whether the profile's plan has this built-in stage.
pub fn has(p: &Profile, d: &catalogue::Def) -> bool {
    match d.when {
        When::Always => true,
        When::Addon(a) => p.components.enabled(a),
        When::Distribution(x) => p.distribution() == x,
    }
}

/// Nodes a stage with this target runs on.
pub fn target_nodes(p: &Profile, target: StageTarget) -> Vec<String> {
    match target {
        StageTarget::AllNodes => p.nodes.iter().map(|n| n.name.clone()).collect(),
        StageTarget::FirstControlplane => vec![p.first_controlplane().name.clone()],
        StageTarget::Host => Vec::new(),
    }
}

/// The built-in stages of the plan that render a script: the scripts `render` writes.
pub fn script_stages(p: &Profile) -> impl Iterator<Item = StageId> + '_ {
    catalogue::DEFS
        .iter()
        .filter(|d| d.script && has(p, d))
        .map(|d| d.id)
}

fn builtin(p: &Profile, d: &catalogue::Def) -> Stage {
    let action = match d.work {
        Work::Machines => Action::Machines,
        Work::Host(w) => Action::Host(w),
        Work::Script(on) => Action::Script {
            script: d.id.script_path(),
            on,
        },
    };
    let mut s = Stage {
        id: StageName::Builtin(d.id),
        title: d.title.to_string(),
        nodes: Vec::new(),
        action,
    };
    s.nodes = target_nodes(p, s.target());
    s
}

/// The ordered stage list: built-ins the profile has, custom stages after their anchors.
pub fn build(p: &Profile) -> Vec<Stage> {
    let mut out: Vec<Stage> = catalogue::DEFS
        .iter()
        .filter(|d| has(p, d))
        .map(|d| builtin(p, d))
        .collect();
    // Insert each custom stage after its anchor, and after custom stages already hung there,
    // so stages with the same anchor keep profile order. An anchor that is a built-in stage
    // this plan lacks (a disabled add-on) falls back to where it would have been.
    for s in &p.stages {
        let anchor_pos = out
            .iter()
            .rposition(|x| x.id.as_str() == s.after)
            .or_else(|| {
                let anchor = StageName::Builtin(StageId::parse(&s.after)?);
                out.iter()
                    .rposition(|x| matches!(x.id, StageName::Builtin(_)) && x.id < anchor)
            });
        let mut pos = anchor_pos.map_or(out.len(), |i| i + 1);
        while pos < out.len()
            && matches!(&out[pos].id, StageName::Custom(id)
                if p.stages.iter().any(|c| c.id == *id && c.after == s.after))
        {
            pos += 1;
        }
        let mut stage = Stage {
            id: StageName::Custom(s.id.clone()),
            title: format!("Custom stage {}", s.id),
            nodes: Vec::new(),
            action: Action::Custom {
                on: s.target,
                snippets: Snippets {
                    run: s.run.clone(),
                    check: s.check.clone(),
                    retry: s.retry,
                    timeout: s.timeout,
                },
            },
        };
        stage.nodes = target_nodes(p, s.target);
        out.insert(pos, stage);
    }
    out
}
