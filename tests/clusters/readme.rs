//! Every `mlk` command the README and docs show parses with the real command definition,
//! and the ones that touch nothing (plan, profile, version...) really run.
use super::{Sandbox, err};
use std::path::Path;

/// The `mlk ...` commands in the ```sh blocks of `file` (also inside `> ` quotes).
fn commands(file: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut out = Vec::new();
    let mut in_sh = false;
    for raw in text.lines() {
        let line = raw.trim_start().trim_start_matches('>').trim();
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let code = line.split(" #").next().unwrap_or("");
        for seg in code
            .split("&&")
            .flat_map(|s| s.split('|'))
            .flat_map(|s| s.split(';'))
        {
            // An unquoted `${LIST:-}` expands to zero or more words: leave it out.
            let words: Vec<String> = shell_words(seg.trim())
                .into_iter()
                .filter(|w| !w.starts_with("${"))
                .collect();
            if words.first().map(String::as_str) == Some("mlk") {
                out.push(words);
            }
        }
    }
    out
}

/// Whitespace-split with '...' and "..." quoting; stops at a redirection.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, '>' | '<') => break,
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[test]
fn every_command_in_the_docs_parses_and_the_harmless_ones_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let s = Sandbox::new();
    let mut seen = 0;
    for f in &files {
        for words in commands(f) {
            seen += 1;
            if let Err(e) = mlk::cli::command().try_get_matches_from(&words) {
                panic!(
                    "{}: `{}` does not parse:\n{e}",
                    f.display(),
                    words.join(" ")
                );
            }
            let sub = words.get(1).map(String::as_str);
            let harmless = matches!(sub, Some("plan" | "profile" | "version" | "list"))
                && !words.iter().any(|w| w.starts_with("./"));
            if harmless {
                let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
                let o = s.mlk(&args);
                assert!(
                    o.status.success(),
                    "{}: `{}`: {}",
                    f.display(),
                    words.join(" "),
                    err(&o)
                );
            }
        }
    }
    assert!(seen > 40, "only {seen} commands found");
}
