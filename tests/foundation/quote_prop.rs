//! Property test: the template quoting helpers make any value inert. A string quoted with
//! `ruby` evaluates back to itself under real Ruby, `yaml` parses back to itself, `sh` prints
//! back to itself under real bash. Each case checks a batch of strings in one process.
use super::common::have;
use mlk::quote;
use proptest::prelude::*;
use std::io::Write;
use std::process::{Command, Stdio};

/// Characters that break naive quoting, mixed with arbitrary Unicode.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        4 => prop::sample::select(vec![
            '\'', '"', '\\', '#', '{', '}', '$', '(', ')', '`', '\n', '\r', '\t', ' ', '\0',
            '\u{7f}', '\u{85}', '\u{2028}', '\u{feff}', 'a', 'é',
        ]),
    ]
}

fn batch() -> impl Strategy<Value = Vec<String>> {
    let s = prop_oneof![
        prop::collection::vec(nasty_char(), 0..24).prop_map(|v| v.into_iter().collect::<String>()),
        prop::sample::select(vec![
            "#{`id`}",
            "$(id)",
            "a\\'b",
            "'; system('id'); '",
            "x\r\ny",
            "\\"
        ])
        .prop_map(String::from),
    ];
    prop::collection::vec(s, 1..24)
}

fn run(cmd: &mut Command, stdin: &[u8]) -> Vec<u8> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Ruby reads the program from stdin and prints each literal's bytes in hex, one per line.
fn ruby_roundtrip(strings: &[String]) -> Vec<String> {
    let mut prog = String::from("# encoding: utf-8\n");
    for s in strings {
        prog.push_str(&format!("puts(({}).unpack1('H*'))\n", quote::ruby(s)));
    }
    let out = run(Command::new("ruby").arg("-"), prog.as_bytes());
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| String::from_utf8(hex::decode(l).unwrap()).unwrap())
        .collect()
}

/// bash prints every quoted word NUL-terminated. A shell word cannot hold NUL, so NULs are
/// left out of what reaches bash (mlk never quotes a value with one for the shell).
fn bash_roundtrip(strings: &[String]) -> Vec<String> {
    let words: Vec<String> = strings.iter().map(|s| quote::shell(s)).collect();
    let script = format!("printf '%s\\0' {}\n", words.join(" "));
    let out = run(Command::new("bash").arg("-s"), script.as_bytes());
    let mut v: Vec<String> = out
        .split(|b| *b == 0)
        .map(|b| String::from_utf8(b.to_vec()).unwrap())
        .collect();
    v.pop(); // after the last terminator
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn yaml_quoted_strings_parse_back_unchanged(strings in batch()) {
        for s in &strings {
            let doc = format!("key: {}\nlist:\n  - {}\n", quote::yaml(s), quote::yaml(s));
            let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&doc).unwrap();
            prop_assert_eq!(v["key"].as_str(), Some(s.as_str()), "{}", doc);
            prop_assert_eq!(v["list"][0].as_str(), Some(s.as_str()));
        }
    }

    #[test]
    fn ruby_quoted_strings_evaluate_back_unchanged(strings in batch()) {
        if have("ruby") {
            prop_assert_eq!(ruby_roundtrip(&strings), strings);
        }
    }

    #[test]
    fn sh_quoted_strings_print_back_unchanged(strings in batch()) {
        let strings: Vec<String> = strings.into_iter().map(|s| s.replace('\0', "")).collect();
        prop_assert_eq!(bash_roundtrip(&strings), strings);
    }
}
