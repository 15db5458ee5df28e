//! Rule `issuer-exists`: every certificate asks an issuer that the set creates, and every CA
//! issuer names a Secret that something creates where cert-manager reads it. Sources,
//! cert-manager v1.20.3: `pkg/controller/certificaterequests/sync.go` (a missing issuer leaves
//! the request Pending with reason `IssuerNotFound`, so the Certificate is never Ready);
//! `pkg/apis/certmanager/v1/types.go` (Ingress annotations `cert-manager.io/issuer` and
//! `cert-manager.io/cluster-issuer`, read by ingress-shim); `pkg/issuer/ca/setup.go` (a CA
//! issuer reads its Secret from the resource namespace: the issuer's own for an Issuer, the
//! cluster resource namespace for a ClusterIssuer, which the chart sets to the release
//! namespace `cert-manager`).
use super::{Checker, Rule};
use crate::manifest::Object;

const GROUP: &str = "cert-manager.io";
/// cert-manager's cluster resource namespace with mlk's values (the release namespace).
pub const CLUSTER_RESOURCE_NAMESPACE: &str = "cert-manager";

fn exists(c: &Checker, o: &Object, kind: &str, name: &str, ns: Option<&str>) -> bool {
    c.by_then(o).into_iter().any(|x| {
        x.group() == GROUP
            && x.kind() == kind
            && x.name() == name
            && (ns.is_none() || x.namespace() == ns)
    })
}

fn want_issuer(c: &mut Checker, o: &Object, kind: &str, name: &str) {
    let ns = o.namespace().unwrap_or("default");
    let (found, where_) = match kind {
        "ClusterIssuer" => (exists(c, o, kind, name, None), String::new()),
        _ => (
            exists(c, o, "Issuer", name, Some(ns)),
            format!(" in namespace `{ns}`"),
        ),
    };
    if !found {
        c.add(
            Rule::IssuerExists,
            o,
            format!(
                "{kind} `{name}`{where_} is created by no object at or before stage `{}` (cert-manager leaves the request Pending: IssuerNotFound)",
                o.stage
            ),
        );
    }
}

pub(super) fn check(c: &mut Checker, o: &Object) {
    match (o.group(), o.kind()) {
        (GROUP, "Certificate") => {
            let r = &o.doc["spec"]["issuerRef"];
            let group = r["group"].as_str().unwrap_or(GROUP);
            if group != GROUP {
                return; // an external issuer: not cert-manager's to find
            }
            let kind = r["kind"].as_str().unwrap_or("Issuer");
            let name = r["name"].as_str().unwrap_or("");
            want_issuer(c, o, kind, name);
        }
        ("networking.k8s.io", "Ingress") => {
            let a = &o.doc["metadata"]["annotations"];
            if let Some(n) = a["cert-manager.io/cluster-issuer"].as_str() {
                want_issuer(c, o, "ClusterIssuer", n);
            }
            if let Some(n) = a["cert-manager.io/issuer"].as_str() {
                let kind = a["cert-manager.io/issuer-kind"]
                    .as_str()
                    .unwrap_or("Issuer");
                want_issuer(c, o, kind, n);
            }
        }
        (GROUP, kind @ ("Issuer" | "ClusterIssuer")) => {
            let Some(secret) = o.doc["spec"]["ca"]["secretName"].as_str() else {
                return;
            };
            let ns = match kind {
                "ClusterIssuer" => CLUSTER_RESOURCE_NAMESPACE,
                _ => o.namespace().unwrap_or("default"),
            };
            let made = c.by_then(o).into_iter().any(|x| {
                x.namespace() == Some(ns)
                    && ((x.group() == "" && x.kind() == "Secret" && x.name() == secret)
                        || (x.group() == GROUP
                            && x.kind() == "Certificate"
                            && x.doc["spec"]["secretName"].as_str() == Some(secret)))
            });
            if !made {
                c.add(
                    Rule::IssuerExists,
                    o,
                    format!(
                        "its CA Secret `{ns}/{secret}` is made by no Secret or Certificate at or before stage `{}`",
                        o.stage
                    ),
                );
            }
        }
        _ => {}
    }
}
