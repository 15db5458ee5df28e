//! Quoting for the languages templates emit. Every user value goes through one of these.
//!
//! Each function returns a literal that the target language reads back as exactly `s`,
//! with nothing interpolated or executed.
use std::fmt::Write;

/// A Ruby string literal. Single-quoted when that is exact: only `\` and `'` are special
/// there, so `#{...}` stays inert. Ruby's reader turns CR LF into LF even inside `'...'`, so
/// a string with control characters becomes a double-quoted literal with every control
/// character, `"`, `\` and `#` escaped instead.
pub fn ruby(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    if !s.chars().any(char::is_control) {
        out.push('\'');
        for ch in s.chars() {
            if ch == '\\' || ch == '\'' {
                out.push('\\');
            }
            out.push(ch);
        }
        out.push('\'');
        return out;
    }
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' | '\\' | '#' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A YAML double-quoted scalar that survives any YAML 1.1 or 1.2 parser.
///
/// Not JSON's escaping: JSON leaves DEL, C1 controls, U+2028/U+2029 (YAML 1.1 line breaks,
/// folded by the parser), U+FEFF and U+FFFE/U+FFFF raw, and libyaml rejects or rewrites those.
/// Everything outside printable ASCII and ordinary Unicode letters is escaped as `\uXXXX`.
pub fn yaml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(ch),
            c if yaml_raw_ok(c) => out.push(c),
            c if (c as u32) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Non-ASCII characters YAML allows unescaped and never treats as a line break or BOM.
fn yaml_raw_ok(c: char) -> bool {
    let u = c as u32;
    (0xA0..=0xD7FF).contains(&u) && u != 0x2028 && u != 0x2029
        || (0xE000..=0xFFFD).contains(&u) && u != 0xFEFF
        || u >= 0x10000
}

/// A POSIX shell single-quoted word: `'` becomes `'\''`; nothing else is special.
///
/// A shell word cannot hold a NUL byte; nothing mlk quotes for the shell can contain one
/// (versions, host names and paths are validated first).
pub fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_escapes_control_characters_in_double_quotes() {
        assert_eq!(ruby("a'b\\"), r"'a\'b\\'");
        assert_eq!(ruby("x\r\n#{y}"), r#""x\u{d}\u{a}\#{y}""#);
    }

    #[test]
    fn yaml_escapes_what_json_leaves_raw() {
        assert_eq!(yaml("a\u{2028}b"), r#""a\u2028b""#);
        assert_eq!(yaml("\u{7f}\u{85}"), r#""\u007F\u0085""#);
        assert_eq!(yaml("é\"\\"), "\"é\\\"\\\\\"");
    }
}
