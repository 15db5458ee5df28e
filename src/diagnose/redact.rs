//! Secret redaction for the diagnostics bundle: every value stored under `<cluster>/secrets/`,
//! and known secret shapes (password=, bootstrapPassword, token:, client-key-data, PEM private
//! keys), are replaced before anything is written.
use regex::{Captures, Regex};
use std::path::Path;
use std::sync::OnceLock;

pub const MASK: &str = "[REDACTED]";

/// Secret values shorter than this are not searched for: they would mask ordinary words.
const MIN_SECRET_LEN: usize = 6;

/// Redacts known secrets from text.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    /// Literal secret values, longest first (so a value containing another is masked whole).
    values: Vec<String>,
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
        r.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        r.values.dedup();
        r
    }

    fn learn_dir(&mut self, dir: &Path) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.filter_map(Result::ok) {
            let path = e.path();
            if path.is_dir() {
                self.learn_dir(&path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                self.learn(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    /// Adds a secret value (and each of its lines).
    pub fn learn(&mut self, value: &str) {
        let mut add = |v: &str| {
            let v = v.trim();
            if v.len() >= MIN_SECRET_LEN && !self.values.iter().any(|x| x == v) {
                self.values.push(v.to_string());
            }
        };
        add(value);
        value.lines().for_each(&mut add);
        self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// Number of literal secrets known.
    pub fn known(&self) -> usize {
        self.values.len()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut s = text.to_string();
        for v in &self.values {
            if s.contains(v.as_str()) {
                s = s.replace(v.as_str(), MASK);
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
