//! Changes applied to seed profiles in the fuzz test: random structural mutations anywhere
//! in the document, and tweaks that keep a valid profile likely valid (so many cases are
//! accepted and their render is checked).
use super::inputs::{label, nasty_string, scalar, semver};
use proptest::prelude::*;
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum Mutation {
    /// Replace the node at the n-th path (modulo) with a value.
    Set(usize, Value),
    Delete(usize),
    /// Add a key to the n-th mapping.
    AddKey(usize, String, Value),
    /// Append a copy of an item to the n-th list.
    DupItem(usize),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
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

pub fn apply(doc: &mut Value, m: &Mutation) {
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
pub enum Tweak {
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

pub fn tweak() -> impl Strategy<Value = Tweak> {
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

pub fn apply_tweak(doc: &mut Value, t: &Tweak) {
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
