//! Turns a serde_yaml_ng error into a `Problem` naming the exact field and what is allowed.
//!
//! serde_yaml_ng's messages look like `nodes[0]: unknown field `colour`, expected one of ...
//! at line 14 column 5`: the path is the *parent* of an unknown or missing field, so the field
//! itself is appended here, and Rust type names become words a profile author knows.
use super::error::Problem;
use super::lines;

/// The problem a parse error stands for.
pub fn problem(e: &serde_yaml_ng::Error, src: &str) -> Problem {
    let full = e.to_string();
    // "found unexpected end of stream at line 6 column 1, while scanning a quoted scalar at
    // line 3 column 7": the line shown is the first position (the problem, also what
    // `e.location()` gives); the context's position stays in the message, as a line.
    let mut n = 0;
    let msg = position_re()
        .replace_all(&full, |c: &regex::Captures| {
            n += 1;
            if n == 1 {
                String::new()
            } else {
                format!(" that starts on line {}", &c[1])
            }
        })
        .to_string();
    let (parent, message) = match msg.split_once(": ") {
        Some((f, m)) if !f.contains(' ') && !f.is_empty() => (f.to_string(), m.to_string()),
        _ => (String::new(), msg.clone()),
    };
    let join = |name: &str| {
        if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        }
    };
    let named = backticked(&message);
    let (field, message) = if message.starts_with("unknown field") {
        let allowed = message
            .split_once("expected ")
            .map(|(_, a)| a.to_string())
            .unwrap_or_default();
        let allowed = allowed
            .strip_prefix("one of ")
            .unwrap_or(&allowed)
            .to_string();
        let name = named.unwrap_or("?");
        let hint = closest(name, &allowed)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        (
            join(name),
            format!("unknown field{hint}; allowed here: {allowed}"),
        )
    } else if message.starts_with("missing field") {
        (
            join(named.unwrap_or("?")),
            "required field is missing".to_string(),
        )
    } else if message.starts_with("duplicate field") {
        (
            join(named.unwrap_or("?")),
            "the field is given twice".to_string(),
        )
    } else if parent.is_empty() && message.starts_with("invalid type") {
        (
            "(document)".to_string(),
            format!("{message}; a profile is a mapping with apiVersion, kind, name, box and nodes"),
        )
    } else if parent.is_empty() {
        (
            "(document)".to_string(),
            format!("not valid YAML: {message}"),
        )
    } else {
        (parent.clone(), humanize(&message))
    };
    // serde's position is the best line for a value it rejected; for a missing field it is
    // the enclosing mapping, which is what `lines::find` gives for the parent path too.
    let duplicate_line = message
        .starts_with("the field is given twice")
        .then(|| second_occurrence(src, named.unwrap_or("?")))
        .flatten();
    let line = duplicate_line
        .or_else(|| e.location().map(|l| l.line()))
        .or_else(|| lines::find(&lines::index(src), &field));
    Problem {
        field,
        line,
        message,
    }
}

/// The allowed name (from serde's "`a`, `b`" list) nearest to a misspelt one, if it is close.
fn closest(name: &str, allowed: &str) -> Option<String> {
    allowed
        .split(", ")
        .map(|a| a.trim_matches('`'))
        .map(|a| (edit_distance(&name.to_lowercase(), &a.to_lowercase()), a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a.to_string())
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn position_re() -> regex::Regex {
    regex::Regex::new(r" at line (\d+) column \d+").expect("constant regex")
}

/// 1-based line of the second `key:` at the indentation of the first one: serde points at
/// the enclosing mapping, but the user wants the line that repeats the key.
fn second_occurrence(src: &str, key: &str) -> Option<usize> {
    let mut indent = None;
    for (i, l) in src.lines().enumerate() {
        let body = l.trim_start_matches([' ', '-']);
        let Some(rest) = body.strip_prefix(key) else {
            continue;
        };
        if !rest.starts_with(':') {
            continue;
        }
        let at = l.len() - body.len();
        match indent {
            None => indent = Some(at),
            Some(first) if first == at => return Some(i + 1),
            Some(_) => {}
        }
    }
    None
}

/// The first `name` between backticks in `s`.
fn backticked(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

/// Rust type names in serde's messages, in the words of the profile reference.
fn humanize(m: &str) -> String {
    let m = m
        .replace("expected u32", "expected a whole number (0 to 4294967295)")
        .replace("expected u64", "expected a whole number")
        .replace("expected a boolean", "expected true or false");
    if m.starts_with("invalid IPv4 address syntax") {
        return format!("{m}; allowed: an IPv4 address such as 192.168.56.10");
    }
    m.replace("unknown variant", "unknown value")
        .replace("expected one of", "allowed:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_close_names() {
        let allowed = "`name`, `ip`, `cpus`, `memory`, `maxmemory`, `roles`";
        assert_eq!(closest("cpu", allowed).as_deref(), Some("cpus"));
        assert_eq!(closest("memroy", allowed).as_deref(), Some("memory"));
        assert_eq!(closest("colour", allowed), None);
    }
}
