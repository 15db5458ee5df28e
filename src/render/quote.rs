//! Quoting for the languages templates emit. Every user value goes through one of these.
//!
//! Each function returns a literal that the target language reads back as exactly `s`,
//! with nothing interpolated or executed.

/// A single-quoted Ruby string literal. Only `\` and `'` are special inside `'...'`,
/// so `#{...}` and newlines stay inert.
pub fn ruby(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        if ch == '\\' || ch == '\'' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// A YAML double-quoted scalar. A JSON string is valid YAML, and JSON escapes every control
/// character, so quotes, backslashes and newlines cannot end the scalar early.
pub fn yaml(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

/// A POSIX shell single-quoted word: `'` becomes `'\''`; nothing else is special.
pub fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
