//! The download cache: files named by their sha256 under the XDG cache dir (`~/.cache/mlk`),
//! fetched with reqwest, checked against the lock table before anyone may use them.
//!
//! A download goes to `<sha256>.part` and is renamed to `<sha256>` only after its digest
//! matched, so the cache never holds a file that was not verified. An interrupted download
//! keeps its `.part` and the next try resumes it with an HTTP Range request.
use anyhow::Context;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Failures of a download; callers branch on `Checksum` (never retry into the same bad file).
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error(
        "{url}: sha256 is {actual}, but versions.lock.yaml expects {expected}; the file was deleted"
    )]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{url}: the server answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error(
        "{url}: transfer failed after {received} bytes: {message} (the partial file is kept and resumed next time)"
    )]
    Transfer {
        url: String,
        received: u64,
        message: String,
    },
    #[error("`{0}` is not a sha256 (64 hex digits); fix versions.lock.yaml")]
    BadDigest(String),
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// Whether a download hit the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Network,
}

pub struct Cache {
    dir: PathBuf,
    show_progress: bool,
}

/// `$MLK_CACHE_DIR`, else `<XDG cache dir>/mlk` (`~/.cache/mlk` on Linux).
pub fn default_dir() -> anyhow::Result<PathBuf> {
    if let Some(d) = std::env::var_os("MLK_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    Ok(dirs::cache_dir()
        .context("cannot tell the cache folder (set MLK_CACHE_DIR)")?
        .join(crate::layout::HOME_NAME))
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Runs a future on a runtime owned by a separate thread, so this works from inside another
/// runtime too.
fn block_on<T: Send>(
    fut: impl std::future::Future<Output = Result<T, DownloadError>> + Send,
) -> Result<T, DownloadError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the download runtime")?;
            rt.block_on(fut)
        })
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("download thread panicked").into()))
    })
}

/// A small text file (a release's checksum list), not cached.
pub fn get_text(url: &str) -> Result<String, DownloadError> {
    block_on(async {
        let transfer = |e: &dyn std::fmt::Display| DownloadError::Transfer {
            url: url.to_string(),
            received: 0,
            message: e.to_string(),
        };
        let resp = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?
            .get(url)
            .send()
            .await
            .map_err(|e| transfer(&e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(DownloadError::Http {
                url: url.to_string(),
                status,
            });
        }
        resp.text().await.map_err(|e| transfer(&e))
    })
}

/// The digest of `asset` in a `sha256sum`-style list (`<hex> <name>`, one or two spaces,
/// optional `*` binary marker).
pub fn digest_from_sums(sums: &str, asset: &str) -> Option<String> {
    sums.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        let (hex, name) = (it.next()?, it.next()?);
        (name.trim_start_matches('*') == asset && is_sha256(hex)).then(|| hex.to_ascii_lowercase())
    })
}

impl Cache {
    pub fn new(dir: PathBuf, show_progress: bool) -> Cache {
        Cache { dir, show_progress }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the verified file with this digest lives (it may not exist yet).
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir.join(sha256.to_ascii_lowercase())
    }

    /// The verified file for `sha256`, from the cache or downloaded from `url`.
    pub fn fetch(
        &self,
        url: &str,
        sha256: &str,
        label: &str,
    ) -> Result<(PathBuf, Source), DownloadError> {
        if !is_sha256(sha256) {
            return Err(DownloadError::BadDigest(sha256.to_string()));
        }
        let want = sha256.to_ascii_lowercase();
        let done = self.path_for(&want);
        if done.exists() {
            if sha256_file(&done)? == want {
                return Ok((done, Source::Cache));
            }
            // Someone changed the file behind our back: never hand it out.
            std::fs::remove_file(&done).map_err(anyhow::Error::from)?;
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let part = self.dir.join(format!("{want}.part"));
        block_on(self.download(url, &part, label))?;
        let actual = sha256_file(&part)?;
        if actual != want {
            let _ = std::fs::remove_file(&part);
            return Err(DownloadError::Checksum {
                url: url.to_string(),
                expected: want,
                actual,
            });
        }
        std::fs::rename(&part, &done)
            .with_context(|| format!("renaming into {}", done.display()))?;
        Ok((done, Source::Network))
    }

    fn bar(&self, label: &str, total: Option<u64>) -> ProgressBar {
        let target = if self.show_progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let pb = ProgressBar::with_draw_target(total, target);
        let style = ProgressStyle::with_template(
            "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        pb.set_style(style);
        pb.set_message(label.to_string());
        pb
    }

    async fn download(&self, url: &str, part: &Path, label: &str) -> Result<(), DownloadError> {
        let have = std::fs::metadata(part).map(|m| m.len()).unwrap_or(0);
        let client = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let mut req = client.get(url);
        if have > 0 {
            req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
        }
        let transfer = |received: u64, e: &dyn std::fmt::Display| DownloadError::Transfer {
            url: url.to_string(),
            received,
            message: e.to_string(),
        };
        let resp = req.send().await.map_err(|e| transfer(0, &e))?;
        let status = resp.status().as_u16();
        let (append, start) = match status {
            206 => (true, have),
            200 => (false, 0),
            // The .part is already whole; the digest check decides.
            416 if have > 0 => return Ok(()),
            _ => {
                return Err(DownloadError::Http {
                    url: url.to_string(),
                    status,
                });
            }
        };
        let total = resp.content_length().map(|n| n + start);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(part)
            .with_context(|| format!("opening {}", part.display()))?;
        let pb = self.bar(label, total);
        pb.set_position(start);
        let mut got = start;
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                pb.abandon();
                transfer(got, &e)
            })?;
            file.write_all(&chunk)
                .with_context(|| format!("writing {}", part.display()))?;
            got += chunk.len() as u64;
            pb.set_position(got);
        }
        file.sync_all().context("syncing the download")?;
        pb.finish_and_clear();
        if let Some(t) = total
            && got != t
        {
            return Err(transfer(got, &format!("expected {t} bytes")));
        }
        Ok(())
    }
}
