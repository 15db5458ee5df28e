//! Every cluster-side check decides on what the real program answers (docs/contracts.md): the
//! REAL rendered stage script is sourced under bash and its decision functions are run on
//! answers recorded from, or constructed from the source of, each upstream program at the
//! pinned tag (tests/fixtures/contracts/<component>/README.md says which). Negative answers
//! are included, so a wrong parser fails.
mod kubeflow;
mod small;
mod tick;

use crate::foundation::common::{load, repo};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Output of one bash run.
pub struct Out {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn text(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

/// A rendered stage script of the `distributed` profile (three nodes node1..node3, namespace
/// tick), written to a temp dir that also serves the test as scratch space.
pub struct Stage {
    pub dir: tempfile::TempDir,
    script: PathBuf,
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/contracts")
}

impl Stage {
    pub fn new(stage: &str) -> Stage {
        let files = mlk::render::render_all(&load("distributed", None)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join(format!("{stage}.sh"));
        std::fs::write(&script, &files[&format!("stages/{stage}.sh")]).unwrap();
        Stage { dir, script }
    }

    fn wrapper(&self, snippet: &str, netns: bool) -> PathBuf {
        let w = self.dir.path().join("test.sh");
        let lo = if netns { "ip link set lo up\n" } else { "" };
        std::fs::write(
            &w,
            format!(
                "{lo}source {}\nset +e\n{snippet}\n",
                crate::contracts::shq(&self.script)
            ),
        )
        .unwrap();
        w
    }

    fn run(&self, mut cmd: Command) -> Out {
        let o = cmd
            .env("FIX", fixtures())
            .env("TMPD", self.dir.path())
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        Out {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Sources the stage script, then runs `snippet` (errexit off) under bash.
    pub fn sh(&self, snippet: &str) -> Out {
        let mut c = Command::new("bash");
        c.arg(self.wrapper(snippet, false));
        self.run(c)
    }

    /// The same inside a fresh network namespace (`unshare -n`, loopback only), so a test can
    /// serve recorded answers on the ports the stage really uses (80, 443, 8086). Needs root.
    pub fn sh_netns(&self, snippet: &str) -> Out {
        let mut c = Command::new("unshare");
        c.args(["-n", "bash"]).arg(self.wrapper(snippet, true));
        self.run(c)
    }

    /// Runs `func < fixture` and says whether the function accepted it.
    pub fn decides(&self, func: &str, fixture: &str) -> Out {
        self.sh(&format!("{func} < \"$FIX\"/{fixture}"))
    }
}

/// Single-quotes a path for bash.
pub fn shq(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn rendered_stage_scripts_run_main_only_when_executed_not_when_sourced() {
    let s = Stage::new("rancher");
    let sourced = s.sh("echo sourced-ok");
    assert!(
        sourced.ok && sourced.stdout == "sourced-ok\n",
        "{}",
        sourced.text()
    );
    // Executed, main runs and rejects a missing mode with its usage line.
    let script = s.dir.path().join("rancher.sh");
    let o = Command::new("bash").arg(&script).output().unwrap();
    assert_eq!(o.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&o.stderr).contains("usage:"));
}
