//! Inputs of the profile-loader fuzz test: seed texts, hostile strings and values, and the
//! cases (tweaked, mutated, edited or random profiles) turned into YAML text.
use super::mutate::{Mutation, Tweak, apply, apply_tweak, mutation, tweak};
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

/// Seed texts: the embedded profiles, then the good and bad fixtures.
pub fn seeds() -> &'static Vec<String> {
    static SEEDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut v: Vec<String> = mlk::profile::embedded_names()
            .iter()
            .map(|n| mlk::profile::embedded_source(n).unwrap().to_string())
            .collect();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/profiles");
        for sub in ["good", "bad"] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect();
            files.sort();
            v.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
        }
        v
    })
}

/// Number of seeds that load (the embedded profiles and the good fixtures come first).
fn valid_seeds() -> usize {
    seeds()
        .iter()
        .take_while(|t| load(t).is_ok())
        .count()
        .max(1)
}

fn rules() -> mlk::profile::validate::HostRules {
    mlk::profile::validate::HostRules {
        vbox_ranges: Some(vec!["192.168.56.0/21".parse().unwrap()]),
        vbox_source: "fuzz".into(),
    }
}

pub fn load(text: &str) -> Result<mlk::profile::Profile, mlk::profile::ProfileError> {
    let src = mlk::profile::Source {
        file: "fuzz.yaml".into(),
        text: text.to_string(),
    };
    mlk::profile::load(&src, &Default::default(), &rules())
}

/// Strings that break naive quoting or hide in a terminal, next to plausible values.
pub fn nasty_string() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => any::<char>(),
        5 => prop::sample::select(vec![
            '\'', '"', '\\', '#', '{', '}', '$', '(', ')', '`', '\n', '\r', '\t', ' ', '\0',
            '\u{1b}', '\u{7f}', '\u{85}', '\u{202e}', '\u{2028}', '\u{feff}', 'a', '-', '.', '/',
            ':', '[', ']', '&', '*', '!', '|', '>', '%', '@', '0', '9',
        ]),
    ];
    prop_oneof![
        3 => prop::collection::vec(ch, 0..40).prop_map(|v| v.into_iter().collect::<String>()),
        3 => prop::sample::select(vec![
            "v1.32.5-rancher1-1", "v1.27.16-rancher2-1", "v1.33.0-rancher1-1", "2.13.8",
            "v1.20.3", "0.0.37", "v1.11.0", "1.2.3-rc.1+b.5", "node1", "node-2", "lab",
            "192.168.56.10", "192.168.56.254", "10.0.2.15", "rancher.192.168.56.10.sslip.io",
            "x.xip.io", "eth1", "enp0s8", "bento/ubuntu-24.04", ">= 202510, < 202601",
            "$(touch /tmp/pwned)", "#{`id`}", "'; system('id'); '", "a\nb", "", " ",
            "all-nodes", "host", "first-controlplane", "docker", "os-prep", "canal", "qemu",
        ]).prop_map(String::from),
        1 => (1usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

/// A value to put somewhere in a profile.
pub fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => nasty_string().prop_map(Value::from),
        2 => prop::sample::select(vec![
            0i64, 1, -1, 2, 3, 8, 63, 64, 65, 511, 512, 4096, 86_400, 86_401, 1_048_576,
            1_048_577, 4_294_967, 4_294_968, 4_294_967_295, 4_294_967_296, i64::MAX,
        ])
        .prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        1 => (0usize..40).prop_map(|d| {
            let mut v = Value::from("x");
            for _ in 0..d {
                v = Value::Array(vec![v]);
            }
            v
        }),
    ]
}

pub fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
}

pub fn semver() -> impl Strategy<Value = String> {
    (
        0u32..30,
        0u32..30,
        0u32..300,
        prop::option::of("[0-9A-Za-z-]{1,8}"),
        any::<bool>(),
    )
        .prop_map(|(a, b, c, pre, v)| {
            let mut s = format!("{}{a}.{b}.{c}", if v { "v" } else { "" });
            if let Some(p) = pre {
                s.push('-');
                s.push_str(&p);
            }
            s
        })
}

#[derive(Debug, Clone)]
pub enum Case {
    /// A valid seed with tweaks that keep it mostly valid.
    Tweaked(usize, Vec<Tweak>),
    /// Any seed with random structural mutations.
    Mutated(usize, Vec<Mutation>),
    /// Any seed with its text edited: (position, bytes removed, text inserted).
    Edited(usize, Vec<(usize, usize, String)>),
    /// Text from nothing.
    Random(String),
}

pub fn case() -> impl Strategy<Value = Case> {
    let n = seeds().len();
    let valid = valid_seeds();
    prop_oneof![
        5 => (0..valid, prop::collection::vec(tweak(), 1..6)).prop_map(|(s, t)| Case::Tweaked(s, t)),
        4 => (0..n, prop::collection::vec(mutation(), 1..5)).prop_map(|(s, m)| Case::Mutated(s, m)),
        2 => (0..n, prop::collection::vec((any::<usize>(), 0usize..20, nasty_string()), 1..4))
            .prop_map(|(s, e)| Case::Edited(s, e)),
        1 => nasty_string().prop_map(Case::Random),
    ]
}

pub fn to_text(c: &Case) -> String {
    let doc_of =
        |s: usize| -> Value { serde_yaml_ng::from_str(&seeds()[s]).unwrap_or(Value::Null) };
    match c {
        Case::Tweaked(s, ts) => {
            let mut d = doc_of(*s);
            for t in ts {
                apply_tweak(&mut d, t);
            }
            serde_yaml_ng::to_string(&d).unwrap()
        }
        Case::Mutated(s, ms) => {
            let mut d = doc_of(*s);
            for m in ms {
                apply(&mut d, m);
            }
            serde_yaml_ng::to_string(&d).unwrap()
        }
        Case::Edited(s, edits) => {
            let mut t = seeds()[*s].clone();
            for (pos, del, ins) in edits {
                let mut at = pos % (t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                let mut end = (at + del).min(t.len());
                while !t.is_char_boundary(end) {
                    end += 1;
                }
                t.replace_range(at..end, ins);
            }
            t
        }
        Case::Random(s) => s.clone(),
    }
}
