//! Running one command on an ssh2 session: streamed output, keepalives, dead-link detection
//! and the command timeout.
//!
//! The session is switched to non-blocking mode for the command and the socket is polled
//! here, because only then can we send keepalives while a silent command runs, notice that
//! nothing has come back for too long (a link that is down never resets the connection,
//! and through a ProxyCommand we do not even see the TCP connection), and stop at a deadline.
use super::{ExecOutput, RemoteError, TAIL_LINES};
use crate::platform::socket::{self, RawSock, Want};
use ssh2::{BlockDirections, Channel, Session};
use std::collections::VecDeque;
use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

/// Longest line passed on; a longer run without a newline (a binary blob, `\r` progress
/// bars) is cut into pieces of this size, so memory stays bounded.
const MAX_LINE: usize = 64 * 1024;
/// Grace after the remote `timeout` should have killed the command before we give up on it.
const KILL_AFTER: Duration = Duration::from_secs(5);
/// libssh2's LIBSSH2_ERROR_EAGAIN: a non-blocking call would block.
const EAGAIN: i32 = -37;

/// When to give up on a silent connection.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// Longest time without any byte from the server (keepalive replies count) before the
    /// connection is declared dead.
    pub max_silence: Duration,
    /// Deadline for protocol steps (opening the channel, collecting the exit status).
    pub io_timeout: Duration,
}

/// The session's socket plus the bookkeeping for dead-link detection.
pub struct Io<'a> {
    pub sess: &'a Session,
    pub fd: RawSock,
    pub node: &'a str,
    pub live: Liveness,
    last_in: Instant,
}

impl<'a> Io<'a> {
    pub fn new(sess: &'a Session, fd: RawSock, node: &'a str, live: Liveness) -> Self {
        Io {
            sess,
            fd,
            node,
            live,
            last_in: Instant::now(),
        }
    }

    fn transient(&self, message: String) -> RemoteError {
        RemoteError::Transient {
            node: self.node.to_string(),
            message,
        }
    }

    /// Waits (at most 250 ms) for the socket, sends due keepalives, and fails once the server
    /// has been silent for longer than `max_silence`.
    pub fn wait(&mut self) -> Result<(), RemoteError> {
        let _ = self.sess.keepalive_send();
        let want = Want {
            read: true,
            write: matches!(
                self.sess.block_directions(),
                BlockDirections::Outbound | BlockDirections::Both
            ),
        };
        // The socket belongs to the session's transport, alive here.
        let ready = socket::wait(&[(self.fd, want)], Duration::from_millis(250));
        if ready[0].input {
            self.last_in = Instant::now();
        }
        let silent = self.last_in.elapsed();
        if silent > self.live.max_silence {
            return Err(self.transient(format!(
                "no answer from the node for {} (keepalives unanswered): connection lost",
                humantime::format_duration(Duration::from_secs(silent.as_secs()))
            )));
        }
        Ok(())
    }

    /// Repeats a non-blocking libssh2 call until it stops saying "would block".
    pub fn retry<T>(
        &mut self,
        what: &str,
        mut f: impl FnMut() -> Result<T, ssh2::Error>,
    ) -> Result<T, RemoteError> {
        // checked: an absurd timeout means no deadline, never a panic.
        let deadline = Instant::now().checked_add(self.live.io_timeout);
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if e.code() == ssh2::ErrorCode::Session(EAGAIN) => {
                    if deadline.is_some_and(|d| Instant::now() > d) {
                        return Err(self.transient(format!(
                            "timed out after {} waiting to {what}",
                            humantime::format_duration(self.live.io_timeout)
                        )));
                    }
                    self.wait()?;
                }
                Err(e) => return Err(super::classify::classify(self.node, what, &e)),
            }
        }
    }
}

/// Splits streamed bytes into lines for `on_line` and keeps the last ones. stdout and stderr
/// arrive as separate SSH streams, so each has its own partial line (`pending[0]`, `[1]`).
struct Lines<'f> {
    pending: [Vec<u8>; 2],
    tail: VecDeque<String>,
    on_line: &'f mut dyn FnMut(&str),
}

impl Lines<'_> {
    fn emit(&mut self, raw: &[u8]) {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = String::from_utf8_lossy(raw).into_owned();
        (self.on_line)(&line);
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    fn push(&mut self, stream: usize, bytes: &[u8]) {
        self.pending[stream].extend_from_slice(bytes);
        while let Some(i) = self.pending[stream].iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending[stream].drain(..=i).collect();
            self.emit(&line[..i]);
        }
        while self.pending[stream].len() >= MAX_LINE {
            let piece: Vec<u8> = self.pending[stream].drain(..MAX_LINE).collect();
            self.emit(&piece);
        }
    }

    fn finish(mut self) -> Vec<String> {
        for stream in 0..2 {
            if !self.pending[stream].is_empty() {
                let rest = std::mem::take(&mut self.pending[stream]);
                self.emit(&rest);
            }
        }
        self.tail.into()
    }
}

/// The command line sent to sshd: with a timeout, coreutils `timeout` on the node kills the
/// command's whole process group, which closing the channel alone would not do.
fn wrap(cmd: &str, timeout: Option<Duration>) -> String {
    match timeout {
        None => cmd.to_string(),
        Some(t) => format!(
            "exec timeout -k {}s {}s \"${{SHELL:-/bin/sh}}\" -c {}",
            KILL_AFTER.as_secs(),
            // `timeout 0s` would mean "no timeout": at least one second
            (t.as_secs_f64().ceil() as u64).max(1),
            crate::quote::shell(cmd)
        ),
    }
}

fn signal_number(name: &str) -> i32 {
    match name.trim_start_matches("SIG") {
        "HUP" => 1,
        "INT" => 2,
        "QUIT" => 3,
        "ILL" => 4,
        "ABRT" => 6,
        "FPE" => 8,
        "KILL" => 9,
        "USR1" => 10,
        "SEGV" => 11,
        "USR2" => 12,
        "PIPE" => 13,
        "ALRM" => 14,
        "TERM" => 15,
        _ => 0,
    }
}

/// Runs `cmd` on the session (which the caller has set non-blocking).
pub fn run(
    io: &mut Io,
    cmd: &str,
    timeout: Option<Duration>,
    on_line: &mut dyn FnMut(&str),
) -> Result<ExecOutput, RemoteError> {
    let started = Instant::now();
    let sess = io.sess;
    let mut ch: Channel = io.retry("open a session channel", || sess.channel_session())?;
    let line = wrap(cmd, timeout);
    io.retry("start the command", || ch.exec(&line))?;
    // Nothing is ever typed into a command: EOF on its stdin now, so a prompt or a stray
    // `cat` fails at once instead of hanging until the timeout.
    io.retry("close the command's stdin", || ch.send_eof())?;
    // checked: a timeout too large to add to an Instant is no deadline, never a panic
    // ("overflow when adding duration to instant").
    let deadline = timeout.and_then(|t| started.checked_add(t)?.checked_add(KILL_AFTER * 2));
    let mut lines = Lines {
        pending: [Vec::new(), Vec::new()],
        tail: VecDeque::new(),
        on_line,
    };
    let mut buf = [0u8; 16 * 1024];
    let mut stderr = ch.stderr();
    loop {
        if let (Some(t), Some(d)) = (timeout, deadline)
            && Instant::now() > d
        {
            let _ = ch.close();
            return Err(timed_out(io.node, t, lines.finish()));
        }
        // Drain stderr and stdout; wait on the socket only when neither had anything.
        let mut got = false;
        for stream in [1, 0] {
            let read = if stream == 0 {
                ch.read(&mut buf)
            } else {
                stderr.read(&mut buf)
            };
            match read {
                Ok(0) => {}
                Ok(n) => {
                    got = true;
                    lines.push(stream, &buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => {
                    return Err(RemoteError::Transient {
                        node: io.node.to_string(),
                        message: format!("connection lost while the command ran: {e}"),
                    });
                }
            }
        }
        if got {
            continue;
        }
        if ch.eof() {
            break;
        }
        io.wait()?;
    }
    io.retry("collect the exit status", || ch.wait_close())?;
    let signal = ch.exit_signal().ok().and_then(|s| s.exit_signal);
    let status = match &signal {
        Some(name) => 128 + signal_number(name),
        None => ch
            .exit_status()
            .map_err(|e| super::classify::classify(io.node, "read exit status", &e))?,
    };
    let tail = lines.finish();
    if let Some(t) = timeout
        && started.elapsed() >= t
        && (status == 124 || status == 137)
    {
        return Err(timed_out(io.node, t, tail));
    }
    Ok(ExecOutput { status, tail })
}

fn timed_out(node: &str, t: Duration, tail: Vec<String>) -> RemoteError {
    RemoteError::Timeout {
        node: node.to_string(),
        message: format!(
            "command timed out after {} and was killed",
            humantime::format_duration(t)
        ),
        tail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_newlines_strip_cr_and_keep_a_bounded_tail() {
        let mut seen = Vec::new();
        let mut cb = |l: &str| seen.push(l.to_string());
        let mut lines = Lines {
            pending: [Vec::new(), Vec::new()],
            tail: VecDeque::new(),
            on_line: &mut cb,
        };
        lines.push(0, b"a\r\nb");
        lines.push(1, b"err-");
        lines.push(0, b"c\n");
        for i in 0..40 {
            lines.push(0, format!("{i}\n").as_bytes());
        }
        lines.push(1, b"line\n");
        lines.push(0, b"partial");
        let tail = lines.finish();
        assert_eq!(seen[..2], ["a", "bc"]);
        assert_eq!(seen.len(), 44);
        assert_eq!(tail.len(), TAIL_LINES);
        assert_eq!(tail[TAIL_LINES - 2..], ["err-line", "partial"]);
        assert_eq!(tail[0], "12");
    }

    #[test]
    fn a_line_without_newline_is_cut_at_the_cap() {
        let mut seen = Vec::new();
        let mut cb = |l: &str| seen.push(l.len());
        let mut lines = Lines {
            pending: [Vec::new(), Vec::new()],
            tail: VecDeque::new(),
            on_line: &mut cb,
        };
        for _ in 0..10 {
            lines.push(0, &[b'x'; 20_000]);
        }
        assert_eq!(lines.pending[0].len(), 200_000 - 3 * MAX_LINE);
        lines.finish();
        assert_eq!(seen, [MAX_LINE, MAX_LINE, MAX_LINE, 200_000 - 3 * MAX_LINE]);
    }

    #[test]
    fn timeout_wrapper_quotes_the_command_as_one_word() {
        let w = wrap("echo 'hi' && exit 3", Some(Duration::from_millis(1500)));
        assert_eq!(
            w,
            r#"exec timeout -k 5s 2s "${SHELL:-/bin/sh}" -c 'echo '\''hi'\'' && exit 3'"#
        );
        assert_eq!(wrap("true", None), "true");
        assert!(
            wrap("true", Some(Duration::from_millis(10))).starts_with("exec timeout -k 5s 1s ")
        );
    }
}
