//! Real test hosts for the SSH tests: `scripts/testhosts.sh` nodes brought up per test with a
//! unique namespace prefix and state dir, and torn down by a Drop guard (also on panic).
use mlk::inventory::Endpoint;
use mlk::remote::{ConnectOptions, SshRunner};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// Whether this process may create namespaces. Outside CI a non-root run skips (and says
/// why); in CI (CI=true) a non-root run fails, so the suite can never pass by skipping.
pub fn have_root(test: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{test}: needs root for network namespaces, and CI=true: refusing to skip");
    }
    eprintln!("SKIP {test}: needs root (network namespaces); run the suite as root");
    false
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/testhosts.sh")
}

/// N nodes of `testhosts.sh up N`; `down` on drop.
pub struct TestHosts {
    pub prefix: String,
    pub dir: PathBuf,
    pub endpoints: Vec<Endpoint>,
    /// Per-test scratch dir (known_hosts lives here).
    pub scratch: tempfile::TempDir,
    loopback: bool,
}

impl TestHosts {
    pub fn up(n: usize) -> TestHosts {
        let prefix = format!("mlkt{:06x}", rand::random::<u32>() & 0xff_ffff);
        let dir = std::env::temp_dir().join(&prefix);
        let scratch = tempfile::tempdir().expect("tempdir");
        let mut hosts = TestHosts {
            prefix,
            dir,
            endpoints: vec![],
            scratch,
            loopback: false,
        };
        // Labs of earlier test runs that were killed before their Drop ran.
        hosts.ctl(&["gc"]);
        let out = hosts.ctl(&["up", &n.to_string()]);
        let config = PathBuf::from(
            out.lines()
                .last()
                .expect("up prints the ssh-config path")
                .trim(),
        );
        let text = std::fs::read_to_string(&config).expect("read ssh_config");
        hosts.endpoints =
            mlk::inventory::parse(&text, &config.display().to_string()).expect("parse ssh_config");
        assert_eq!(hosts.endpoints.len(), n, "ssh_config has one Host per node");
        hosts
    }

    /// The loopback variant: N sshd on 127.0.0.1 (random port range), plain TCP, no namespaces.
    pub fn up_loopback(n: usize) -> TestHosts {
        let prefix = format!("mlkt{:06x}", rand::random::<u32>() & 0xff_ffff);
        let dir = std::env::temp_dir().join(&prefix);
        let scratch = tempfile::tempdir().expect("tempdir");
        let mut hosts = TestHosts {
            prefix,
            dir,
            endpoints: vec![],
            scratch,
            loopback: true,
        };
        let base = 20000 + (rand::random::<u16>() % 20000) / 10 * 10;
        let out = hosts.ctl_env(
            &["up-loopback", &n.to_string()],
            &[("LAB_LO_PORT", &base.to_string())],
        );
        let config = PathBuf::from(
            out.lines()
                .last()
                .expect("prints the ssh-config path")
                .trim(),
        );
        let text = std::fs::read_to_string(&config).expect("read ssh_config");
        hosts.endpoints =
            mlk::inventory::parse(&text, "loopback ssh_config").expect("parse ssh_config");
        hosts
    }

    /// Runs `testhosts.sh ARGS` with this lab's prefix; panics (with its output) on failure.
    pub fn ctl(&self, args: &[&str]) -> String {
        self.ctl_env(args, &[])
    }

    pub fn ctl_env(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = Command::new(script())
            .args(args)
            .env("LAB_OWNER", std::process::id().to_string())
            .env("LAB_PREFIX", &self.prefix)
            .env("LAB_DIR", &self.dir)
            // last, so that a caller can override the three above
            .envs(env.iter().copied())
            .output()
            .expect("run testhosts.sh");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "testhosts.sh {args:?} failed: {}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    pub fn endpoint(&self, i: usize) -> Endpoint {
        self.endpoints[i - 1].clone()
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.scratch.path().join("known_hosts")
    }

    /// Short timeouts so fault tests finish quickly.
    pub fn options(&self) -> ConnectOptions {
        let mut o = ConnectOptions::new(self.known_hosts());
        o.connect_timeout = Duration::from_secs(5);
        o.auth_timeout = Duration::from_secs(5);
        o.io_timeout = Duration::from_secs(5);
        o.keepalive_interval = Duration::from_secs(1);
        o.keepalive_max_missed = 2;
        o
    }

    pub fn connect(&self, i: usize) -> SshRunner {
        SshRunner::connect(&self.endpoint(i), &self.options())
            .expect("connect to a fresh test node")
    }
}

impl Drop for TestHosts {
    fn drop(&mut self) {
        let st = Command::new(script())
            .arg(if self.loopback {
                "down-loopback"
            } else {
                "down"
            })
            .env("LAB_PREFIX", &self.prefix)
            .env("LAB_DIR", &self.dir)
            .status();
        if !matches!(st, Ok(s) if s.success()) {
            eprintln!("testhosts.sh down failed for {} ({st:?})", self.prefix);
        }
    }
}

/// Runs `cmd` and collects its lines.
pub fn run(r: &dyn mlk::remote::Runner, cmd: &str) -> (i32, Vec<String>) {
    let mut lines = Vec::new();
    let out = r
        .exec(cmd, Some(Duration::from_secs(60)), &mut |l| {
            lines.push(l.to_string())
        })
        .unwrap_or_else(|e| panic!("`{cmd}` failed: {e}"));
    (out.status, lines)
}

/// Retries transient failures (at most 5 tries, 0.5 s apart), as the engine does after a
/// fault; any other error, or the 5th transient one, fails the test.
pub fn with_retries<T>(
    what: &str,
    mut f: impl FnMut() -> Result<T, mlk::remote::RemoteError>,
) -> T {
    let mut attempt = 1;
    loop {
        match f() {
            Ok(v) => return v,
            Err(e) if e.is_transient() && attempt < 5 => {
                eprintln!("{what}: transient error, retrying as the engine would: {e}");
                attempt += 1;
                std::thread::sleep(Duration::from_millis(500));
            }
            Err(e) => panic!("{what} (attempt {attempt}): {e}"),
        }
    }
}
