//! Secret redaction for the diagnostics bundle: every value stored under `<cluster>/secrets/`,
//! and known secret shapes (password=, bootstrapPassword, token:, client-key-data, PEM private
//! keys), are replaced before anything is written.
use regex::{Captures, Regex};
use std::path::Path;
use std::sync::OnceLock;

pub const MASK: &str = "[REDACTED]";

/// Secret values shorter than this are masked only where they stand alone (not inside a
/// longer word), so a short secret does not mask every word that contains it. Every secret
/// is redacted, whatever its length; mlk itself refuses secrets shorter than 12 characters.
const MIN_SECRET_LEN: usize = 6;

/// Redacts known secrets from text.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Literal secret values, longest first (so a value containing another is masked whole).
    values: Vec<String>,
    /// Secrets shorter than [`MIN_SECRET_LEN`], masked as whole words.
    short: Vec<String>,
}

/// `s` with every occurrence of `v` that is not part of a longer word replaced by [`MASK`].
fn replace_token(s: &str, v: &str) -> String {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (i, _) in s.match_indices(v) {
        if i < last {
            continue;
        }
        let before = s[..i].chars().next_back();
        let after = s[i + v.len()..].chars().next();
        if !word(before) && !word(after) {
            out.push_str(&s[last..i]);
            out.push_str(MASK);
            last = i + v.len();
        }
    }
    out.push_str(&s[last..]);
    out
}

fn patterns() -> &'static [Regex; 3] {
    static P: OnceLock<[Regex; 3]> = OnceLock::new();
    P.get_or_init(|| {
        [
            Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)")
                .expect("constant"),
            // key, separator, value: `password=...`, `"bootstrapPassword": "..."`, `token: ...`.
            Regex::new(
                r#"(?i)\b([a-z0-9_.-]*(?:password|passwd|secret|token|client-key-data|private[_-]?key|api[_-]?key)[a-z0-9_.-]*)(["']?[ \t]*[:=][ \t]*["']?)([^\s"',;}]+)"#,
            )
            .expect("constant"),
            Regex::new(r"(?i)\b(bearer)([ \t]+)([A-Za-z0-9._~+/=-]{8,})").expect("constant"),
        ]
    })
}

impl Redactor {
    /// Learns every value of the files under `secrets_dir` (whole file and each line).
    pub fn from_secrets_dir(secrets_dir: &Path) -> Redactor {
        let mut r = Redactor::default();
        r.learn_dir(secrets_dir);
        r
    }

    fn learn_dir(&mut self, dir: &Path) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(Result::ok) {
            let path = e.path();
            // A real subfolder only (a symlink to `..` would recurse forever); files through
            // read_input, so a FIFO or a device there cannot hang or flood the redactor.
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                self.learn_dir(&path);
            } else if let Ok(bytes) = crate::fsutil::read_input(&path, crate::fsutil::MAX_INPUT) {
                self.learn(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    /// Adds a secret value (and each of its lines).
    pub fn learn(&mut self, value: &str) {
        let mut add = |v: &str| {
            let v = v.trim();
            let list = if v.len() >= MIN_SECRET_LEN {
                &mut self.values
            } else {
                &mut self.short
            };
            if !v.is_empty() && !list.iter().any(|x| x == v) {
                list.push(v.to_string());
            }
        };
        add(value);
        value.lines().for_each(&mut add);
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        self.short.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Number of literal secrets known.
    pub fn known(&self) -> usize {
        self.values.len() + self.short.len()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut s = text.to_string();
        for v in &self.values {
            if s.contains(v.as_str()) {
                s = s.replace(v.as_str(), MASK);
            }
        }
        for v in &self.short {
            if s.contains(v.as_str()) {
                s = replace_token(&s, v);
            }
        }
        let [pem, kv, bearer] = patterns();
        let s = pem.replace_all(&s, "[REDACTED PRIVATE KEY]");
        let keep_refs = |c: &Captures| {
            let value = &c[3];
            // Shell/template references name a secret, they are not one.
            if value.starts_with('$') || value.starts_with("{{") || value.starts_with(MASK) {
                c[0].to_string()
            } else {
                format!("{}{}{MASK}", &c[1], &c[2])
            }
        };
        let s = kv.replace_all(&s, keep_refs);
        bearer.replace_all(&s, keep_refs).into_owned()
    }
}
