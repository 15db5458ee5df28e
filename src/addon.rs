//! The add-ons a profile switches on under `components:`, and one table of what each brings:
//! the stage that installs it, its Helm charts and namespace, the files it renders besides its
//! stage script and values, its passwords, its dashboards, its entries in the requests table,
//! and the add-ons it needs. Plan, render, secrets, requirements, validation, the summary,
//! `mlk status` and `mlk open` iterate over this table instead of naming add-ons.
//!
//! Adding an add-on: a variant and its row here, its stage row in `crate::catalogue`, its key
//! under `components:` (`profile::spec`, the resolved `profile::Components`, the JSON schema),
//! and its templates (`templates/stages/<stage>.sh.hbs`, `templates/helm/<chart>.yaml.hbs`).
//! The compiler lists the rest: every `match` on `Addon` is exhaustive.
use crate::catalogue::StageId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addon {
    LocalPath,
    CertManager,
    Rancher,
    Tick,
    Kubeflow,
}

/// Names of the generated passwords (files in `<cluster>/secrets/`), by the add-on that needs them.
pub mod secret {
    /// Rancher's bootstrap password (user `admin`).
    pub const RANCHER: &str = "rancher-bootstrap-password";
    /// InfluxDB's admin password (user `admin`); Telegraf, Kapacitor and Chronograf use it too.
    pub const INFLUXDB: &str = "influxdb-password";
    /// The Kubeflow Dex password of `user@example.com`; Dex gets only its bcrypt hash, the
    /// kubeflow stage logs in with it (0600 on the first controlplane node, like the others).
    pub const KUBEFLOW_DEX: &str = "kubeflow-dex-password";
    /// The bcrypt hash of [`KUBEFLOW_DEX`], as Dex reads it from Secret dex-passwords.
    pub const KUBEFLOW_DEX_BCRYPT: &str = "kubeflow-dex-password.bcrypt";
}

/// Namespace of the TICK stack; in-cluster URLs such as http://influxdb.tick:8086 depend on it.
pub const TICK_NAMESPACE: &str = "tick";

/// A Service `mlk open` forwards a local port to, through the first controlplane node.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    /// The name `mlk open` takes.
    pub id: &'static str,
    pub namespace: &'static str,
    pub service: &'static str,
    pub port: u16,
    /// Scheme of the forwarded URL.
    pub scheme: &'static str,
    /// What the student meets at the forwarded URL.
    pub note: &'static str,
}

/// A dashboard: a web page behind the cluster's ingress, with its log-in.
#[derive(Debug, Clone, PartialEq)]
pub struct Dashboard {
    pub addon: Addon,
    pub name: &'static str,
    /// Scheme of its ingress URL.
    pub scheme: &'static str,
    pub user: &'static str,
    /// The generated password that logs in (a [`secret`] name); None without a log-in.
    pub password: Option<&'static str>,
    /// Shown next to it in the summary.
    pub note: &'static str,
    /// Where `mlk open` forwards when its name does not resolve; `forward.id` is its name.
    pub forward: Forward,
}

impl Dashboard {
    /// The name `mlk open` takes and the summary reports.
    pub fn id(&self) -> &'static str {
        self.forward.id
    }
}

struct Row {
    addon: Addon,
    /// Its key under `components:`.
    key: &'static str,
    stage: StageId,
    /// How the requirements check names it.
    title: &'static str,
    charts: &'static [&'static str],
    namespace: &'static str,
    /// Rendered files besides its stage script and chart values (template name = path).
    files: &'static [&'static str],
    /// Keys of its pods in the requests table (`profile/requests.yaml`).
    requests: &'static [&'static str],
    secrets: &'static [&'static str],
    dashboards: &'static [Dashboard],
    /// Other forward targets (APIs without a page).
    apis: &'static [Forward],
    /// Add-ons it cannot work without, each with the reason validation gives.
    needs: &'static [(Addon, &'static str)],
}

/// InfluxDB's HTTP API, which `mlk open influxdb` forwards to.
pub const INFLUXDB: Forward = Forward {
    id: "influxdb",
    namespace: TICK_NAMESPACE,
    service: "influxdb",
    port: 8086,
    scheme: "http",
    note: "InfluxDB's HTTP API (no web page): point Grafana or the influx CLI here",
};

const TICK_CHARTS: &[&str] = &[
    "influxdb",
    "telegraf",
    "telegraf-ds",
    "kapacitor",
    "chronograf",
];

/// Sources of the forward targets: rancher-2.13.8 `templates/service.yaml` (Service
/// `rancher`, port 443 `https-internal` to Rancher's own TLS listener; its port 80 redirects
/// browsers to https), chronograf-1.2.6 `templates/service.yaml` (`chronograf-chronograf`,
/// port 80), kubeflow/manifests v1.11.0 README "Port-Forward" (`svc/istio-ingressgateway -n
/// istio-system 8080:80`, then http://localhost:8080), influxdb-4.12.5
/// `templates/service.yaml` (`influxdb`, port 8086).
const TABLE: [Row; 5] = [
    Row {
        addon: Addon::LocalPath,
        key: "local-path",
        stage: StageId::Storage,
        title: "local-path storage",
        charts: &["local-path-provisioner"],
        namespace: "local-path-storage",
        files: &[],
        requests: &["local-path-provisioner"],
        secrets: &[],
        dashboards: &[],
        apis: &[],
        needs: &[],
    },
    Row {
        addon: Addon::CertManager,
        key: "cert-manager",
        stage: StageId::CertManager,
        title: "cert-manager",
        charts: &["cert-manager"],
        namespace: "cert-manager",
        files: &[],
        requests: &["cert-manager"],
        secrets: &[],
        dashboards: &[],
        apis: &[],
        needs: &[],
    },
    Row {
        addon: Addon::Rancher,
        key: "rancher",
        stage: StageId::Rancher,
        title: "Rancher",
        charts: &["rancher"],
        namespace: "cattle-system",
        files: &[],
        requests: &["rancher"],
        secrets: &[secret::RANCHER],
        dashboards: &[Dashboard {
            addon: Addon::Rancher,
            name: "Rancher",
            scheme: "https",
            user: "admin",
            password: Some(secret::RANCHER),
            note: "",
            forward: Forward {
                id: "rancher",
                namespace: "cattle-system",
                service: "rancher",
                port: 443,
                scheme: "https",
                note: "Rancher's own TLS listener: its certificate is Rancher's internal one, so accept the browser's warning",
            },
        }],
        apis: &[],
        needs: &[(
            Addon::CertManager,
            "Rancher's ingress certificate needs cert-manager: enable components.cert-manager or disable rancher",
        )],
    },
    Row {
        addon: Addon::Tick,
        key: "tick",
        stage: StageId::Tick,
        title: "TICK stack",
        charts: TICK_CHARTS,
        namespace: TICK_NAMESPACE,
        files: &[],
        requests: TICK_CHARTS,
        secrets: &[secret::INFLUXDB],
        dashboards: &[Dashboard {
            addon: Addon::Tick,
            name: "Chronograf",
            scheme: "http",
            user: "-",
            password: None,
            note: "no log-in of its own",
            forward: Forward {
                id: "chronograf",
                namespace: TICK_NAMESPACE,
                service: "chronograf-chronograf",
                port: 80,
                scheme: "http",
                note: "no log-in",
            },
        }],
        apis: &[INFLUXDB],
        needs: &[(
            Addon::LocalPath,
            "InfluxDB needs PersistentVolumes and RKE ships no StorageClass: enable components.local-path",
        )],
    },
    Row {
        addon: Addon::Kubeflow,
        key: "kubeflow",
        stage: StageId::Kubeflow,
        title: "Kubeflow",
        charts: &[],
        namespace: "kubeflow",
        files: &[
            "kubeflow/kustomization.yaml",
            "kubeflow/ingress.yaml",
            "kubeflow/certificate.yaml",
        ],
        requests: &["kubeflow"],
        // The kubeflow stage logs in with the password to prove the dashboard works
        // (docs/contracts.md); Dex gets the hash.
        secrets: &[secret::KUBEFLOW_DEX, secret::KUBEFLOW_DEX_BCRYPT],
        dashboards: &[Dashboard {
            addon: Addon::Kubeflow,
            name: "Kubeflow",
            scheme: "https",
            user: "user@example.com",
            password: Some(secret::KUBEFLOW_DEX),
            note: "Dex static user",
            forward: Forward {
                id: "kubeflow",
                namespace: "istio-system",
                service: "istio-ingressgateway",
                port: 80,
                scheme: "http",
                note: "Istio's ingress gateway, as upstream's port-forward: Dex's log-in form follows",
            },
        }],
        apis: &[],
        needs: &[
            (
                Addon::CertManager,
                "Kubeflow's webhooks need cert-manager: enable components.cert-manager or disable kubeflow",
            ),
            (
                Addon::LocalPath,
                "Kubeflow needs PersistentVolumes and RKE ships no StorageClass: enable components.local-path",
            ),
        ],
    },
];

impl Addon {
    /// Every add-on, in install order.
    pub const ALL: [Addon; 5] = [
        Addon::LocalPath,
        Addon::CertManager,
        Addon::Rancher,
        Addon::Tick,
        Addon::Kubeflow,
    ];

    fn row(self) -> &'static Row {
        let r = &TABLE[self as usize];
        debug_assert_eq!(r.addon, self, "TABLE is in declaration order");
        r
    }

    /// Its key under `components:` in a profile.
    pub fn key(self) -> &'static str {
        self.row().key
    }

    /// The stage that installs it.
    pub fn stage(self) -> StageId {
        self.row().stage
    }

    /// How the requirements check names it.
    pub fn title(self) -> &'static str {
        self.row().title
    }

    /// Its Helm charts (each installed as a release of the same name), in install order.
    pub fn charts(self) -> &'static [&'static str] {
        self.row().charts
    }

    pub fn namespace(self) -> &'static str {
        self.row().namespace
    }

    /// Files it renders besides its stage script and chart values.
    pub fn files(self) -> &'static [&'static str] {
        self.row().files
    }

    /// Its components in the requests table.
    pub fn requests(self) -> &'static [&'static str] {
        self.row().requests
    }

    /// The passwords it needs (files in `<cluster>/secrets/`), all uploaded to the first
    /// controlplane node for its stage.
    pub fn secrets(self) -> &'static [&'static str] {
        self.row().secrets
    }

    pub fn dashboards(self) -> &'static [Dashboard] {
        self.row().dashboards
    }

    /// Everything `mlk open` can forward to: its dashboards, then its APIs.
    pub fn forwards(self) -> impl Iterator<Item = &'static Forward> {
        let r = self.row();
        r.dashboards.iter().map(|d| &d.forward).chain(r.apis)
    }

    /// The add-ons it needs, each with the reason.
    pub fn needs(self) -> &'static [(Addon, &'static str)] {
        self.row().needs
    }
}

/// The dashboard `mlk open` and the summary call `id`.
pub fn dashboard(id: &str) -> Option<&'static Dashboard> {
    TABLE
        .iter()
        .flat_map(|r| r.dashboards)
        .find(|d| d.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_declaration_order_and_ids_are_unique() {
        for (i, a) in Addon::ALL.iter().enumerate() {
            assert_eq!(TABLE[i].addon, *a);
        }
        let mut ids: Vec<&str> = Addon::ALL
            .iter()
            .flat_map(|a| a.forwards().map(|f| f.id))
            .collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "forward ids are unique");
        assert_eq!(dashboard("chronograf").map(|d| d.addon), Some(Addon::Tick));
        assert!(dashboard("influxdb").is_none(), "an API, not a dashboard");
    }
}
