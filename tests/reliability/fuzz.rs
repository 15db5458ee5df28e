//! Property test of the profile loader on random and mutated profiles, seeded with the
//! embedded profiles and every fixture (good and bad). For every input mlk must finish within
//! a bound and never panic, and either accept it, and then its plan builds and its render
//! passes `bash -n` (stage scripts), `ruby -c` (Vagrantfile), a YAML parse (values, cluster.yml,
//! Kubeflow overlay) and, for a sample, `vagrant validate --ignore-provider`; or refuse it as
//! bad input (exit 2). A sample goes through the real binary, which must agree.
//!
//! `MLK_FUZZ_CASES` sets the number of cases (default 300, well under a minute);
//! `MLK_FUZZ_VAGRANT` how many accepted cases `vagrant validate` checks (default 3).
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn env_count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Seed texts: the embedded profiles, then the good and bad fixtures.
fn seeds() -> &'static Vec<String> {
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

fn load(text: &str) -> Result<mlk::profile::Profile, mlk::profile::ProfileError> {
    let src = mlk::profile::Source {
        file: "fuzz.yaml".into(),
        text: text.to_string(),
    };
    mlk::profile::load(&src, &Default::default(), &rules())
}

/// Strings that break naive quoting or hide in a terminal, next to plausible values.
fn nasty_string() -> impl Strategy<Value = String> {
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
fn scalar() -> impl Strategy<Value = Value> {
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

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the node at the n-th path (modulo) with a value.
    Set(usize, Value),
    Delete(usize),
    /// Add a key to the n-th mapping.
    AddKey(usize, String, Value),
    /// Append a copy of an item to the n-th list.
    DupItem(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        5 => (any::<usize>(), scalar()).prop_map(|(p, v)| Mutation::Set(p, v)),
        1 => any::<usize>().prop_map(Mutation::Delete),
        1 => (any::<usize>(), nasty_string(), scalar()).prop_map(|(p, k, v)| Mutation::AddKey(p, k, v)),
        1 => any::<usize>().prop_map(Mutation::DupItem),
    ]
}

/// JSON pointers of every node of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(
                    x,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut ptrs = Vec::new();
    pointers(doc, String::new(), &mut ptrs);
    let pick = |n: usize| ptrs[n % ptrs.len()].clone();
    match m {
        Mutation::Set(n, v) => {
            if let Some(x) = doc.pointer_mut(&pick(*n)) {
                *x = v.clone();
            }
        }
        Mutation::Delete(n) => {
            let p = pick(*n);
            if let Some((parent, key)) = p.rsplit_once('/')
                && let Some(x) = doc.pointer_mut(parent)
            {
                match x {
                    Value::Object(o) => {
                        o.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Value::Array(a) => {
                        if let Ok(i) = key.parse::<usize>()
                            && i < a.len()
                        {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::AddKey(n, k, v) => {
            if let Some(Value::Object(o)) = doc.pointer_mut(&pick(*n)) {
                o.insert(k.clone(), v.clone());
            }
        }
        Mutation::DupItem(n) => {
            if let Some(Value::Array(a)) = doc.pointer_mut(&pick(*n))
                && let Some(first) = a.first().cloned()
            {
                a.push(first);
            }
        }
    }
}

/// Changes that keep a valid profile likely valid, so that many cases are accepted and
/// their render is checked: names, addresses, counts and versions within their forms.
#[derive(Debug, Clone)]
enum Tweak {
    Name(String),
    NodeName(usize, String),
    Cpus(usize, u64),
    Memory(usize, u64),
    LastOctet(usize, u8),
    Version(&'static str, String),
    Domain(String),
    Component(&'static str, bool),
    Stage(String, String, Option<String>, u64),
    Provider(&'static str),
    Box(String, Option<String>),
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
}

fn semver() -> impl Strategy<Value = String> {
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

fn tweak() -> impl Strategy<Value = Tweak> {
    prop_oneof![
        label().prop_map(Tweak::Name),
        (0usize..4, label()).prop_map(|(i, n)| Tweak::NodeName(i, n)),
        (0usize..4, 1u64..=64).prop_map(|(i, c)| Tweak::Cpus(i, c)),
        (0usize..4, 512u64..=65_536).prop_map(|(i, m)| Tweak::Memory(i, m)),
        (0usize..4, 2u8..=254).prop_map(|(i, o)| Tweak::LastOctet(i, o)),
        (
            prop::sample::select(vec![
                "/components/rancher/version",
                "/components/cert-manager/version",
                "/components/local-path/version",
                "/components/tick/versions/influxdb",
            ]),
            semver()
        )
            .prop_map(|(f, v)| Tweak::Version(f, v)),
        (27u32..=32, 0u32..40, 1u32..4, 1u32..4).prop_map(|(m, p, r, b)| Tweak::Version(
            "/kubernetes/version",
            format!("v1.{m}.{p}-rancher{r}-{b}")
        )),
        prop::collection::vec(label(), 1..4).prop_map(|l| Tweak::Domain(l.join("."))),
        (
            prop::sample::select(vec![
                "rancher",
                "tick",
                "kubeflow",
                "cert-manager",
                "local-path"
            ]),
            any::<bool>()
        )
            .prop_map(|(c, on)| Tweak::Component(c, on)),
        (
            label(),
            nasty_string(),
            prop::option::of(nasty_string()),
            1u64..=86_400
        )
            .prop_map(|(id, run, check, t)| Tweak::Stage(id, run, check, t)),
        prop::sample::select(vec!["virtualbox", "libvirt", "hyperv"]).prop_map(Tweak::Provider),
        (
            "[a-z0-9]{1,10}/[a-z0-9][a-z0-9.-]{0,12}",
            prop::option::of("(>= |~> )?[0-9]{1,6}(\\.[0-9]{1,3}){0,2}")
        )
            .prop_map(|(b, v)| Tweak::Box(b, v)),
    ]
}

fn apply_tweak(doc: &mut Value, t: &Tweak) {
    match t {
        Tweak::Name(n) => doc["name"] = n.clone().into(),
        Tweak::NodeName(i, _)
        | Tweak::Cpus(i, _)
        | Tweak::Memory(i, _)
        | Tweak::LastOctet(i, _) => {
            let Some(nodes) = doc.get_mut("nodes").and_then(Value::as_array_mut) else {
                return;
            };
            if nodes.is_empty() {
                return;
            }
            let len = nodes.len();
            let node = &mut nodes[i % len];
            if !node.is_object() {
                return;
            }
            match t {
                Tweak::NodeName(_, n) => node["name"] = n.clone().into(),
                Tweak::Cpus(_, c) => node["cpus"] = (*c).into(),
                Tweak::Memory(_, m) => node["memory"] = (*m).into(),
                Tweak::LastOctet(_, o) => {
                    if let Some(ip) = node["ip"].as_str() {
                        let mut parts: Vec<String> = ip.split('.').map(String::from).collect();
                        if parts.len() == 4 {
                            parts[3] = o.to_string();
                            node["ip"] = parts.join(".").into();
                        }
                    }
                }
                _ => {}
            }
        }
        Tweak::Version(ptr, v) => set_ptr(doc, ptr, v.clone().into()),
        Tweak::Domain(d) => set_ptr(doc, "/ingress/domain", format!("{d}.sslip.io").into()),
        Tweak::Component(c, on) => set_ptr(doc, &format!("/components/{c}/enabled"), (*on).into()),
        Tweak::Stage(id, run, check, timeout) => {
            let mut s =
                serde_json::json!({"id": id, "after": "docker", "run": run, "timeout": timeout});
            if let Some(c) = check {
                s["check"] = c.clone().into();
            }
            if !doc.get("stages").is_some_and(Value::is_array) {
                doc["stages"] = Value::Array(vec![]);
            }
            doc["stages"].as_array_mut().unwrap().push(s);
        }
        Tweak::Provider(p) => doc["provider"] = (*p).into(),
        Tweak::Box(b, v) => {
            set_ptr(doc, "/box/name", b.clone().into());
            if let Some(v) = v {
                set_ptr(doc, "/box/version", v.clone().into());
            }
        }
    }
}

/// Sets the value at a pointer, making the mappings on the way.
fn set_ptr(doc: &mut Value, ptr: &str, v: Value) {
    let mut cur = doc;
    for part in ptr.trim_start_matches('/').split('/') {
        if !cur.is_object() {
            *cur = Value::Object(Default::default());
        }
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry(part.to_string())
            .or_insert(Value::Null);
    }
    *cur = v;
}

#[derive(Debug, Clone)]
enum Case {
    /// A valid seed with tweaks that keep it mostly valid.
    Tweaked(usize, Vec<Tweak>),
    /// Any seed with random structural mutations.
    Mutated(usize, Vec<Mutation>),
    /// Any seed with its text edited: (position, bytes removed, text inserted).
    Edited(usize, Vec<(usize, usize, String)>),
    /// Text from nothing.
    Random(String),
}

fn case() -> impl Strategy<Value = Case> {
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

fn to_text(c: &Case) -> String {
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

/// What the loader made of one input, computed on a thread so a hang is caught.
enum Verdict {
    Accepted(mlk::render::Rendered),
    Refused(String),
}

fn judge(text: &str) -> Result<Verdict, TestCaseError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let t = text.to_string();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| match load(&t) {
            Ok(p) => {
                let _ = mlk::plan::build(&p, "fuzz.yaml");
                mlk::render::render_all(&p)
                    .map(Verdict::Accepted)
                    .map_err(|e| format!("accepted, but the render failed: {e:#}"))
            }
            Err(e) => {
                let class = mlk::exit::class_of(&anyhow::Error::new(e.clone()));
                if class == mlk::exit::Class::Usage {
                    Ok(Verdict::Refused(e.to_string()))
                } else {
                    Err(format!(
                        "refused with exit class {class:?}, not bad input: {e}"
                    ))
                }
            }
        });
        let _ = tx.send(r);
    });
    // A hang detector, not a benchmark: every real input takes milliseconds.
    match rx.recv_timeout(Duration::from_secs(20)) {
        Err(_) => Err(TestCaseError::fail("the loader did not finish within 20 s")),
        Ok(Err(_)) => Err(TestCaseError::fail("the loader panicked")),
        Ok(Ok(Err(m))) => Err(TestCaseError::fail(m)),
        Ok(Ok(Ok(v))) => Ok(v),
    }
}

fn run_tool(cmd: &mut std::process::Command, what: &str) -> Result<(), TestCaseError> {
    let out = cmd
        .output()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what} rejects the render: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

static VAGRANT_LEFT: std::sync::OnceLock<AtomicUsize> = std::sync::OnceLock::new();
static CASE_NO: AtomicUsize = AtomicUsize::new(0);

/// The rendered files pass bash, ruby, a YAML parser and (a sample) vagrant.
fn check_render(files: &mlk::render::Rendered) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    for (rel, text) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        if rel.ends_with(".yaml") || rel.ends_with(".yml") {
            for doc in serde_yaml_ng::Deserializer::from_str(text) {
                serde_yaml_ng::Value::deserialize(doc)
                    .map_err(|e| TestCaseError::fail(format!("{rel} is not YAML: {e}")))?;
            }
        }
    }
    run_tool(
        std::process::Command::new("bash")
            .args([
                "-c",
                r#"for f in stages/*.sh; do bash -n "$f" || exit 1; done"#,
            ])
            .current_dir(dir.path()),
        "bash -n",
    )?;
    run_tool(
        std::process::Command::new("ruby")
            .args(["-c", "Vagrantfile"])
            .current_dir(dir.path()),
        "ruby -c",
    )?;
    let left = VAGRANT_LEFT.get_or_init(|| AtomicUsize::new(env_count("MLK_FUZZ_VAGRANT", 3)));
    if left
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        let home = tempfile::tempdir().unwrap();
        let out = std::process::Command::new("vagrant")
            .args(["validate", "--ignore-provider"])
            .current_dir(dir.path())
            .env("VAGRANT_CHECKPOINT_DISABLE", "1")
            .env("VAGRANT_HOME", home.path())
            .output()
            .map_err(|e| TestCaseError::fail(format!("vagrant: {e}")))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        prop_assert!(
            out.status.success() && stdout.contains("validated successfully"),
            "vagrant validate: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// One in this many cases also goes through the real binary (`mlk plan`).
const BINARY_EVERY: usize = 8;

fn through_the_binary(text: &str, accepted: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.yaml");
    std::fs::write(&f, text).unwrap();
    let mut cmd = super::mlk();
    cmd.args(["plan", "-p", f.to_str().unwrap()]);
    let out = super::run_bounded(cmd, 30)
        .ok_or_else(|| TestCaseError::fail("mlk plan did not finish within 30 s"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    prop_assert!(!err.contains("panicked"), "mlk panicked: {err}");
    let want = if accepted { 0 } else { 2 };
    prop_assert_eq!(out.status.code(), Some(want), "{}", err);
    Ok(())
}

fn have_tools() -> bool {
    ["bash", "ruby", "vagrant"].iter().all(|t| {
        let ok = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{t} is not installed, but CI=true"
            );
            eprintln!("SKIP: {t} is not installed");
        }
        ok
    })
}

#[test]
fn the_profile_loader_never_panics_hangs_or_accepts_what_it_cannot_render() {
    if !have_tools() {
        return;
    }
    let cases = env_count("MLK_FUZZ_CASES", 300) as u32;
    let accepted = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| {
        let text = to_text(&c);
        let verdict = judge(&text)?;
        let is_ok = matches!(verdict, Verdict::Accepted(_));
        match &verdict {
            Verdict::Accepted(files) => {
                accepted.fetch_add(1, Ordering::Relaxed);
                check_render(files)?;
            }
            Verdict::Refused(msg) => {
                prop_assert!(msg.len() < 64 * 1024, "a {} byte error message", msg.len());
            }
        }
        if CASE_NO
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(BINARY_EVERY)
        {
            through_the_binary(&text, is_ok)?;
        }
        Ok(())
    });
    let accepted = accepted.load(Ordering::Relaxed);
    eprintln!("fuzz: {cases} cases, {accepted} accepted and rendered");
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both sides are exercised: a generator that only makes garbage proves little.
    assert!(
        accepted * 10 >= cases as usize,
        "only {accepted} of {cases} cases were accepted"
    );
    assert!(accepted < cases as usize, "every case was accepted");
}
