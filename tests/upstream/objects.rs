//! Every object mlk would apply for a profile, in stage order: the Helm releases (real
//! charts), mlk's own manifests in the stage scripts, the Kubeflow build and the sample
//! workload. The validation tests take their input from here.
use mlk::manifest::{Object, rules::Cluster};
use mlk::profile::Profile;
use serde_yaml_ng::Value;

/// The stage id the sample workload is applied in (`mlk run-workload`, after `up`).
pub const WORKLOAD_STAGE: &str = "workload";

/// Namespaces a new RKE cluster has before mlk applies anything: Kubernetes' own four, and
/// `ingress-nginx` from RKE's ingress addon (rancher/kontainer-driver-metadata
/// pkg/rke/templates/nginx-*.go create it).
pub const PREEXISTING_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "ingress-nginx",
];

pub fn cluster(p: &Profile) -> Cluster {
    let v = p.kubernetes.version.as_str();
    let mut stages: Vec<String> = mlk::catalogue::names().map(|s| s.to_string()).collect();
    stages.push(WORKLOAD_STAGE.into());
    Cluster {
        minor: mlk::manifest::apis::minor_of(v).unwrap(),
        namespaces: PREEXISTING_NAMESPACES
            .iter()
            .map(|s| s.to_string())
            .collect(),
        stages,
    }
}

/// Value of a plain `NAME=value` or `NAME='value'` line of a rendered script.
fn assignment<'a>(script: &'a str, name: &str) -> Option<&'a str> {
    script.lines().find_map(|l| {
        let v = l.trim().strip_prefix(name)?.strip_prefix('=')?;
        Some(v.trim_matches(['\'', '"']))
    })
}

/// Expands `$NAME` and `${NAME}` from the script's own assignments.
fn expand(script: &str, text: &str) -> String {
    let re = regex::Regex::new(r"\$\{([A-Z_][A-Z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)").unwrap();
    re.replace_all(text, |c: &regex::Captures| {
        let name = c.get(1).or(c.get(2)).unwrap().as_str();
        assignment(script, name)
            .unwrap_or_else(|| panic!("stage script uses ${name} without a plain assignment"))
            .to_string()
    })
    .into_owned()
}

/// What a rendered stage script applies itself: `kubectl apply -f - <<YAML` heredocs,
/// `kubectl create namespace X`, and `kubectl -n X create secret generic Y` (both piped
/// through `--dry-run=client -o yaml | kubectl apply`).
pub fn from_script(stage: &str, script: &str) -> Vec<Object> {
    let source = format!("stage:{stage}");
    let mut out = Vec::new();
    let mut lines = script.lines();
    let ns_re = regex::Regex::new(r#"kubectl create namespace "?([^" ]+)"?"#).unwrap();
    let secret_re =
        regex::Regex::new(r#"kubectl -n "?([^" ]+)"? create secret generic ([a-z0-9-]+)"#).unwrap();
    while let Some(l) = lines.next() {
        if l.contains("kubectl apply -f - <<") {
            let body: Vec<&str> = lines.by_ref().take_while(|x| x.trim() != "YAML").collect();
            let quoted = l.contains("<<'YAML'");
            let text = body.join("\n");
            let text = if quoted { text } else { expand(script, &text) };
            for d in mlk::manifest::parse_all(&text).unwrap() {
                out.push(Object::new(stage, &source, d));
            }
        } else if let Some(c) = ns_re.captures(l) {
            let ns = expand(script, &c[1]);
            out.push(Object::new(
                stage,
                &source,
                yaml(&format!(
                    "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n"
                )),
            ));
        } else if let Some(c) = secret_re.captures(l) {
            let (ns, name) = (expand(script, &c[1]), c[2].to_string());
            out.push(Object::new(stage, &source, yaml(&format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: {ns}}}\ntype: Opaque\n"))));
        }
    }
    out
}

fn yaml(s: &str) -> Value {
    serde_yaml_ng::from_str(s).unwrap()
}

/// Every `kubectl apply`/`create` line of a script that `from_script` turns into objects,
/// and those it does not know (which a test fails on, so no new apply goes unchecked).
pub fn unknown_applies(script: &str) -> Vec<String> {
    script
        .lines()
        .filter(|l| l.contains("kubectl apply") || l.contains("kubectl create"))
        .filter(|l| {
            !(l.contains("kubectl apply -f - <<")
                || l.contains("kubectl create namespace")
                || l.contains("create secret generic")
                // the generated YAML of the two lines above, piped into apply
                || l.trim_start().starts_with("--dry-run=client -o yaml | kubectl apply -f -")
                || l.contains("--dry-run=client -o yaml | kubectl apply -f -")
                // the Kubeflow build, validated as such
                || l.contains("kubectl apply --server-side --force-conflicts -f \"$BUILD\""))
        })
        .map(str::to_string)
        .collect()
}

/// Everything mlk applies for `p`, in stage order. None when helm or kubectl is missing
/// (outside CI). Panics when the Kubeflow build fails (the Kubeflow tests report that).
pub fn all(p: &Profile) -> Option<Vec<Object>> {
    let files = mlk::render::render_all(p).unwrap();
    let releases = super::charts::render(p, &files)?;
    let helm = super::charts::objects(&releases);
    let mut out = Vec::new();
    for stage in mlk::catalogue::names() {
        out.extend(helm.iter().filter(|o| o.stage == stage).cloned());
        if let Some(script) = files.get(&format!("stages/{stage}.sh")) {
            out.extend(from_script(stage, script));
        }
        if stage == "kubeflow" && p.components.kubeflow.enabled {
            let built = super::kubeflow::build(p, &files)?
                .unwrap_or_else(|e| panic!("kustomize build of the Kubeflow overlay failed: {e}"));
            out.extend(
                built
                    .0
                    .iter()
                    .map(|d| Object::new("kubeflow", "kubeflow", d.clone())),
            );
        }
    }
    let w = mlk::workload::mnist(p, "r1", &mlk::workload::Training::default()).unwrap();
    for d in mlk::manifest::parse_all(&w.yaml).unwrap() {
        out.push(Object::new(WORKLOAD_STAGE, "workload", d));
    }
    Some(out)
}
