//! A stage that failed on one node: everything the user needs to see and paste.
use crate::exit::{Class, classify};
use serde_json::{Value, json};

use crate::remote::TAIL_LINES;

#[derive(Debug, Clone)]
pub struct NodeFailure {
    pub node: String,
    pub stage: String,
    /// What went wrong, in words (exit status, retry budget spent, host key mismatch...).
    pub reason: String,
    /// The exact command run on the node, when a command failed.
    pub command: Option<String>,
    pub exit_status: Option<i32>,
    pub tail: Vec<String>,
    /// Whether the fault is in reaching the node (SSH) rather than in the command.
    pub connection: bool,
}

impl NodeFailure {
    /// The multi-line message printed on stderr.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "stage `{}` failed on node `{}`: {}",
            self.stage, self.node, self.reason
        );
        if let Some(cmd) = &self.command {
            s.push_str(&format!("\n  command (run on {}):\n    {cmd}", self.node));
        }
        if !self.tail.is_empty() {
            s.push_str(&format!("\n  last {} lines of output:", self.tail.len()));
            for l in &self.tail {
                s.push_str("\n    | ");
                s.push_str(l);
            }
        }
        s
    }

    pub fn to_json(&self) -> Value {
        json!({"node": self.node, "stage": self.stage, "reason": self.reason,
            "command": self.command, "exit_status": self.exit_status, "tail": self.tail,
            "ssh_fault": self.connection})
    }
}

/// A command that a host stage ran on `node` exited with `status`: a remote failure (exit 4)
/// showing, like a node stage's, the command and its last output lines (`rke: command not
/// found` must be on the screen, not only in mlk.log). `note` is appended to the first line.
pub fn remote_exit(
    node: &str,
    command: &str,
    status: i32,
    tail: &[String],
    note: &str,
) -> anyhow::Error {
    let shown = &tail[tail.len().saturating_sub(TAIL_LINES)..];
    let mut s = format!("{node}: the command exited with status {status}{note}");
    s.push_str(&format!("\n  command (run on {node}):\n    {command}"));
    if !shown.is_empty() {
        s.push_str(&format!("\n  last {} lines of output:", shown.len()));
        for l in shown {
            s.push_str("\n    | ");
            s.push_str(l);
        }
    }
    classify(Class::Remote, s)
}
