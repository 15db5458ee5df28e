//! Each rule: a set that passes, and the smallest change that breaks it.
use super::*;
use crate::manifest::Object;

fn cluster() -> Cluster {
    Cluster {
        minor: 32,
        namespaces: vec!["default".into(), "kube-system".into()],
        stages: vec!["storage".into(), "tick".into(), "workload".into()],
    }
}

fn obj(stage: &str, yaml: &str) -> Object {
    Object::new(stage, "test", serde_yaml_ng::from_str(yaml).unwrap())
}

fn rules_of(objects: &[Object]) -> Vec<Rule> {
    check(objects, &cluster())
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: tick}\n";
const SVC: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: tick}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80}]\n";
const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: tick}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n        ports: [{name: http, containerPort: 80}]\n        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}\n";

fn base() -> Vec<Object> {
    vec![obj("tick", NS), obj("tick", SVC), obj("tick", DEPLOY)]
}

fn with(replace: (&str, &str), which: usize) -> Vec<Object> {
    let mut v = base();
    let text = [NS, SVC, DEPLOY][which].replace(replace.0, replace.1);
    assert_ne!(
        text,
        [NS, SVC, DEPLOY][which],
        "replacement must change the text"
    );
    v[which] = obj("tick", &text);
    v
}

#[test]
fn a_valid_set_has_no_findings() {
    assert_eq!(check(&base(), &cluster()), vec![]);
}

#[test]
fn service_without_ports_fails_unless_headless_or_external_name() {
    let bare = "apiVersion: v1\nkind: Service\nmetadata: {name: telegraf, namespace: tick}\nspec:\n  type: ClusterIP\n  ports:\n  selector: {app: t}\n";
    assert_eq!(
        rules_of(&[obj("tick", NS), obj("tick", bare)]),
        vec![Rule::ServicePorts]
    );
    let headless = bare.replace("type: ClusterIP", "clusterIP: None");
    assert_eq!(rules_of(&[obj("tick", NS), obj("tick", &headless)]), vec![]);
    let ext = bare.replace(
        "type: ClusterIP",
        "type: ExternalName\n  externalName: a.example",
    );
    assert_eq!(rules_of(&[obj("tick", NS), obj("tick", &ext)]), vec![]);
}

#[test]
fn service_ports_need_unique_names_when_several() {
    let two = with(
        (
            "ports: [{name: http, port: 80}]",
            "ports: [{port: 80}, {name: b, port: 81}]",
        ),
        1,
    );
    assert_eq!(rules_of(&two), vec![Rule::ServicePorts]);
    let dup = with(
        (
            "ports: [{name: http, port: 80}]",
            "ports: [{name: http, port: 80}, {name: http, port: 81}]",
        ),
        1,
    );
    assert_eq!(rules_of(&dup), vec![Rule::ServicePorts]);
}

#[test]
fn selector_must_match_template_labels() {
    assert_eq!(
        rules_of(&with(("labels: {app: web}", "labels: {app: other}"), 2)),
        vec![Rule::SelectorMatchesTemplate]
    );
    let expr = with(
        (
            "selector: {matchLabels: {app: web}}",
            "selector: {matchExpressions: [{key: app, operator: In, values: [db]}]}",
        ),
        2,
    );
    assert_eq!(rules_of(&expr), vec![Rule::SelectorMatchesTemplate]);
    let ok = with(
        (
            "selector: {matchLabels: {app: web}}",
            "selector: {matchExpressions: [{key: app, operator: Exists}]}",
        ),
        2,
    );
    assert_eq!(rules_of(&ok), vec![]);
}

#[test]
fn names_follow_each_kinds_format() {
    assert_eq!(
        rules_of(&with(
            (
                "name: web, namespace: tick}\nspec:\n  selector: {app",
                "name: 1web, namespace: tick}\nspec:\n  selector: {app"
            ),
            1
        )),
        vec![Rule::Names],
        "a Service name is a DNS-1035 label"
    );
    assert_eq!(
        rules_of(&with(
            (
                "name: web, namespace: tick}\nspec:\n  selector: {matchLabels",
                "name: Web, namespace: tick}\nspec:\n  selector: {matchLabels"
            ),
            2
        )),
        vec![Rule::Names]
    );
    let role = obj(
        "tick",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'influx:telegraf'}\nrules: []\n",
    );
    assert_eq!(rules_of(&[role]), vec![], "RBAC names may hold ':'");
    let crd = obj(
        "tick",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: tfjobs.kubeflow.org}\nspec: {group: kubeflow.org, scope: Namespaced, names: {plural: tfjob, kind: TFJob}, versions: []}\n",
    );
    assert_eq!(rules_of(&[crd]), vec![Rule::Names]);
    assert_eq!(
        rules_of(&with(
            ("labels: {app: web}", "labels: {app: web, v: 'a b'}"),
            2
        )),
        vec![Rule::Names]
    );
}

#[test]
fn container_port_names_are_iana_service_names_and_unique() {
    assert_eq!(
        rules_of(&with(
            (
                "{name: http, containerPort: 80}",
                "{name: influxdb-listener, containerPort: 80}"
            ),
            2
        )),
        vec![Rule::ContainerPorts]
    );
    assert_eq!(
        rules_of(&with(
            (
                "{name: http, containerPort: 80}",
                "{name: http, containerPort: 80}, {name: http, containerPort: 81}"
            ),
            2
        )),
        vec![Rule::ContainerPorts]
    );
}

#[test]
fn ingress_backend_must_name_an_existing_service_and_port() {
    let ing = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: tick}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n";
    let mut set = base();
    set.push(obj("tick", ing));
    assert_eq!(rules_of(&set), vec![]);
    set[3] = obj("tick", &ing.replace("number: 80", "number: 8080"));
    assert_eq!(rules_of(&set), vec![Rule::IngressBackend]);
    set[3] = obj("tick", &ing.replace("name: web, port", "name: gone, port"));
    assert_eq!(rules_of(&set), vec![Rule::IngressBackend]);
    set[3] = obj("tick", &ing.replace("{number: 80}", "{name: http}"));
    assert_eq!(rules_of(&set), vec![]);
}

#[test]
fn namespace_must_exist_by_the_stage_that_uses_it() {
    let mut set = base();
    set[0] = obj("workload", NS);
    assert!(
        rules_of(&set).iter().all(|r| *r == Rule::NamespaceExists) && !rules_of(&set).is_empty()
    );
    set.remove(0);
    assert!(rules_of(&set).contains(&Rule::NamespaceExists));
    // Pre-existing namespaces need no object; cluster-scoped kinds need none at all.
    let sc = obj(
        "storage",
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local-path}\nprovisioner: x\n",
    );
    let cm = obj(
        "storage",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: kube-system}\n",
    );
    assert_eq!(rules_of(&[sc, cm]), vec![]);
}

#[test]
fn pvc_storage_class_must_exist_or_a_default_must() {
    let sc = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: local-path, annotations: {storageclass.kubernetes.io/is-default-class: 'true'}}\nprovisioner: x\n";
    let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: tick}\nspec: {storageClassName: local-path, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n";
    let set =
        |sc_stage: &str, pvc: &str| vec![obj(sc_stage, sc), obj("tick", NS), obj("tick", pvc)];
    assert_eq!(rules_of(&set("storage", pvc)), vec![]);
    assert_eq!(
        rules_of(&set("workload", pvc)),
        vec![Rule::StorageClassExists],
        "the class comes too late"
    );
    assert_eq!(
        rules_of(&set("storage", &pvc.replace("local-path", "fast"))),
        vec![Rule::StorageClassExists]
    );
    let classless = pvc.replace("storageClassName: local-path, ", "");
    assert_eq!(rules_of(&set("storage", &classless)), vec![]);
    let not_default = [
        obj("storage", &sc.replace("'true'", "'false'")),
        obj("tick", NS),
        obj("tick", &classless),
    ];
    assert_eq!(rules_of(&not_default), vec![Rule::StorageClassExists]);
}

#[test]
fn images_need_a_fixed_tag() {
    assert_eq!(
        rules_of(&with(("nginx:1.27", "nginx:latest"), 2)),
        vec![Rule::ImageTag]
    );
    assert_eq!(
        rules_of(&with(("nginx:1.27", "registry:5000/nginx"), 2)),
        vec![Rule::ImageTag]
    );
    assert_eq!(
        rules_of(&with(("nginx:1.27", "nginx@sha256:abc"), 2)),
        vec![]
    );
    assert_eq!(image_problem("registry:5000/a/b:1.0"), None);
}

#[test]
fn removed_apis_fail() {
    let pdb = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: a, namespace: tick}\nspec: {minAvailable: 1}\n";
    assert_eq!(
        rules_of(&[obj("tick", NS), obj("tick", pdb)]),
        vec![Rule::RemovedApi]
    );
    assert_eq!(
        rules_of(&[obj("tick", NS), obj("tick", &pdb.replace("v1beta1", "v1"))]),
        vec![]
    );
}

#[test]
fn custom_resources_need_their_crd_in_the_set() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: tfjobs.kubeflow.org}\nspec: {group: kubeflow.org, scope: Namespaced, names: {plural: tfjobs, kind: TFJob}, versions: [{name: v1, served: true, storage: true}]}\n";
    let cr = "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: mnist, namespace: tick}\nspec: {}\n";
    assert_eq!(
        rules_of(&[obj("tick", NS), obj("storage", crd), obj("workload", cr)]),
        vec![]
    );
    assert_eq!(
        rules_of(&[obj("tick", NS), obj("workload", cr)]),
        vec![Rule::CustomResourceDefinition]
    );
    assert_eq!(
        rules_of(&[
            obj("tick", NS),
            obj("storage", crd),
            obj("workload", &cr.replace("/v1", "/v2"))
        ]),
        vec![Rule::CustomResourceDefinition]
    );
    let mut same = [obj("tick", NS), obj("tick", crd), obj("tick", cr)];
    same[1].source = "helm:x".into();
    same[2].source = "helm:x".into();
    assert_eq!(
        rules_of(&same),
        vec![Rule::CustomResourceDefinition],
        "one helm release cannot install both"
    );
}

#[test]
fn requests_may_not_exceed_limits() {
    assert_eq!(
        rules_of(&with(
            ("limits: {memory: 128Mi}", "limits: {memory: 32Mi}"),
            2
        )),
        vec![Rule::RequestsWithinLimits]
    );
}

#[test]
fn an_unknown_stage_is_reported() {
    assert!(!check(&[obj("later", NS)], &cluster()).is_empty());
}

const CA_SET: [&str; 4] = [
    "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: self}\nspec: {selfSigned: {}}\n",
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ca, namespace: cert-manager}\nspec:\n  isCA: true\n  commonName: ca\n  secretName: ca-secret\n  issuerRef: {name: self, kind: ClusterIssuer, group: cert-manager.io}\n",
    "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: ca}\nspec: {ca: {secretName: ca-secret}}\n",
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: tick}\nspec:\n  secretName: web-tls\n  dnsNames: [web.example]\n  issuerRef: {name: ca, kind: ClusterIssuer, group: cert-manager.io}\n",
];

fn issuer_findings(docs: &[(&str, String)]) -> Vec<Finding> {
    let set: Vec<Object> = docs.iter().map(|(st, d)| obj(st, d)).collect();
    check(&set, &cluster())
        .into_iter()
        .filter(|f| f.rule == Rule::IssuerExists)
        .collect()
}

#[test]
fn issuer_exists_follows_certificates_ingresses_and_ca_secrets() {
    let ok: Vec<(&str, String)> = CA_SET.iter().map(|d| ("storage", d.to_string())).collect();
    assert_eq!(issuer_findings(&ok), vec![]);
    // The CA issuer names a Secret nothing makes.
    let mut v = ok.clone();
    v[1].1 = v[1].1.replace("secretName: ca-secret", "secretName: other");
    let f = issuer_findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].message.contains("cert-manager/ca-secret"), "{f:?}");
    // The CA's Secret in another namespace: a ClusterIssuer reads only cert-manager's.
    let mut v = ok.clone();
    v[1].1 = v[1].1.replace("namespace: cert-manager", "namespace: tick");
    assert_eq!(issuer_findings(&v).len(), 1);
    // A certificate for an issuer that is not there (a typo, or kind Issuer by default).
    let mut v = ok.clone();
    v[3].1 = v[3].1.replace("{name: ca,", "{name: cb,");
    assert_eq!(issuer_findings(&v).len(), 1);
    let mut v = ok.clone();
    v[3].1 = v[3].1.replace(", kind: ClusterIssuer", "");
    assert_eq!(issuer_findings(&v).len(), 1);
    // The issuer comes only in a later stage.
    let mut v = ok.clone();
    v[2].0 = "tick";
    v[3].0 = "storage";
    assert_eq!(issuer_findings(&v).len(), 1);
    // ingress-shim's annotation names an issuer too.
    let ing = |issuer: &str| {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: tick\n  annotations: {{cert-manager.io/cluster-issuer: {issuer}}}\nspec: {{}}\n"
        )
    };
    let mut v = ok.clone();
    v.push(("tick", ing("ca")));
    assert_eq!(issuer_findings(&v), vec![]);
    v.push(("tick", ing("nope")));
    assert_eq!(issuer_findings(&v).len(), 1);
}
