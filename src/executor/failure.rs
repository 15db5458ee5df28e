//! A stage that failed on one node: everything the user needs to see and paste.
use serde_json::{Value, json};

/// Lines of output kept for the error message.
pub const TAIL_LINES: usize = 20;

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
