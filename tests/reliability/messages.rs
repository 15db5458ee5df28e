//! Finding 7: errors echo input truncated, with control and bidirectional characters escaped.
use super::{mono_with, run, text};

fn plan_err(profile_text: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.yaml");
    std::fs::write(&p, profile_text).unwrap();
    let out = run(&["plan", "-p", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    text(&out.stderr)
}

fn assert_clean(err: &str) {
    for bad in ['\0', '\u{1b}', '\u{202e}', '\u{2066}', '\r', '\u{7}'] {
        assert!(!err.contains(bad), "raw {:?} in the message: {err:?}", bad);
    }
}

#[test]
fn a_huge_name_gives_a_short_message() {
    let err = plan_err(&mono_with(
        "name: mono",
        &format!("name: {}", "n".repeat(500_000)),
    ));
    assert!(err.len() < 2000, "a {} byte message", err.len());
    assert!(
        err.contains("…") && err.contains("500000 characters"),
        "{err}"
    );
}

#[test]
fn nul_escapes_and_bidi_overrides_are_escaped() {
    let err = plan_err(&mono_with(
        "name: mono",
        r#"name: "ev\0il\e[2J\u202Egnp.exe""#,
    ));
    assert_clean(&err);
    assert!(err.contains(r"ev\0il\u{1b}[2J\u{202e}gnp.exe"), "{err}");
}

#[test]
fn an_unknown_key_is_escaped_and_cut_in_the_parse_error() {
    let key = format!("\"k\\u202E{}\"", "z".repeat(1000));
    let err = plan_err(&mono_with(
        "kind: Profile",
        &format!("kind: Profile\n{key}: 1"),
    ));
    assert_clean(&err);
    assert!(err.len() < 3000, "a {} byte message", err.len());
    assert!(err.contains(r"k\u{202e}zzz"), "{err}");
}

#[test]
fn an_unknown_profile_name_is_escaped() {
    let out = run(&["plan", "-p", "no\u{1b}[31mred"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_clean(&err);
    assert!(err.contains(r"no\u{1b}[31mred"), "{err}");
}

#[test]
fn an_inventory_line_is_escaped_in_its_error() {
    let e = mlk::inventory::parse("Host a\n  Port 2\u{1b}[2J\u{202e}\n", "inv")
        .unwrap_err()
        .to_string();
    assert_clean(&e);
    assert!(e.contains(r"\u{1b}[2J\u{202e}"), "{e}");
}
