//! Runs one diagnostic command with a deadline and captures its output (stdout then stderr).
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn capture(cmd: &str, args: &[&str], cwd: &Path, timeout: Duration) -> Result<String, String> {
    let out = tempfile::tempfile().map_err(|e| e.to_string())?;
    let err = tempfile::tempfile().map_err(|e| e.to_string())?;
    let (out2, err2) = (
        out.try_clone().map_err(|e| e.to_string())?,
        err.try_clone().map_err(|e| e.to_string())?,
    );
    let mut child = Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .env("VAGRANT_CHECKPOINT_DISABLE", "1")
        .stdin(Stdio::null())
        .stdout(out2)
        .stderr(err2)
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(st) => break st,
            None if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("killed after {}s", timeout.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let read = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut s = String::new();
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let mut b = Vec::new();
        let _ = f.read_to_end(&mut b);
        s.push_str(&String::from_utf8_lossy(&b));
        s
    };
    let (o, e) = (read(out), read(err));
    let text = format!(
        "$ {cmd} {}\n# exit: {status}\n{o}{}",
        args.join(" "),
        if e.is_empty() {
            String::new()
        } else {
            format!("# stderr:\n{e}")
        }
    );
    Ok(text)
}
