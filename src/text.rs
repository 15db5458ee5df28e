//! Echoing untrusted text in messages: escaped and bounded, so a hostile value can neither
//! move the terminal's cursor, reverse the line (U+202E), hide behind a NUL nor fill the screen.

/// Longest value shown in a message, in characters; a longer one is cut and marked with `…`.
pub const SHOWN_CHARS: usize = 80;

/// Whether `c` changes how text around it is displayed without being visible itself:
/// bidirectional overrides and isolates, zero-width characters, the byte-order mark and the
/// Unicode line and paragraph separators.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
        | '\u{feff}')
}

/// Whether `c` must be shown escaped: control characters (C0, DEL, C1) and invisible ones.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c => out.push(c),
    }
}

/// `s` as it may appear inside a message: control and invisible characters escaped (`\n`,
/// `\0`, `\u{1b}`, `\u{202e}`), and cut after [`SHOWN_CHARS`] characters with `…` and the
/// full length.
pub fn shown(s: &str) -> String {
    if is_cut(s) {
        return s.to_string(); // shown already: keep the original length it names
    }
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        if n == SHOWN_CHARS {
            out.push_str(&format!("… ({} characters)", s.chars().count()));
            return out;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// Whether `s` is already the output of [`shown`] for a long value.
fn is_cut(s: &str) -> bool {
    let Some((head, tail)) = s.split_once("… (") else {
        return false;
    };
    head.chars().count() >= SHOWN_CHARS
        && tail
            .strip_suffix(" characters)")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A whole message made safe to print: every control or invisible character escaped except
/// the newlines and tabs that lay it out. The last line of defence in `exit::report`.
pub fn printable(msg: &str) -> String {
    if !msg
        .chars()
        .any(|c| needs_escape(c) && c != '\n' && c != '\t')
    {
        return msg.to_string();
    }
    let mut out = String::with_capacity(msg.len());
    for c in msg.chars() {
        if c == '\n' || c == '\t' {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    out
}

/// A message built from parts that may echo input (a serde error quoting a key): escaped,
/// every backticked value longer than [`SHOWN_CHARS`] cut, and the whole bounded to `max`
/// characters.
pub fn bounded(msg: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, part) in msg.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are between backticks: values.
        if i % 2 == 1 {
            out.push_str(&shown(part));
        } else {
            out.push_str(&printable(part).replace('\n', "\\n"));
        }
    }
    let count = out.chars().count();
    if count > max {
        let cut: String = out.chars().take(max).collect();
        return format!("{cut}… ({count} characters)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_and_cuts_long_values() {
        assert_eq!(
            shown("a\0b\u{1b}[31m\u{202e}c\n"),
            "a\\0b\\u{1b}[31m\\u{202e}c\\n"
        );
        assert_eq!(shown("plain-name"), "plain-name");
        let long = "x".repeat(10_000);
        let s = shown(&long);
        assert!(s.starts_with(&"x".repeat(SHOWN_CHARS)));
        assert!(s.ends_with("… (10000 characters)"), "{s}");
        assert!(s.chars().count() < SHOWN_CHARS + 30);
        assert_eq!(shown(&s), s, "idempotent");
        assert_eq!(printable("line 1\n\tline 2\u{7}"), "line 1\n\tline 2\\u{7}");
        let b = bounded(&format!("unknown field `{long}`, expected `a`"), 400);
        assert!(b.len() < 200 && b.contains("expected `a`"), "{b}");
        assert_eq!(bounded(&"y".repeat(500), 100).chars().count(), 100 + 18);
    }
}
