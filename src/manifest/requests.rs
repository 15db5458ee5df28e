//! The CPU and memory the scheduler reserves for the pods an object set runs, read from the
//! rendered manifests: what `kube-scheduler` adds up when it places a pod.
//!
//! Kubernetes v1.32.5 rules used here:
//! - pkg/apis/core/v1/defaults.go `SetDefaults_Pod`: a container with a limit and no request
//!   gets the limit as its request.
//! - staging/src/k8s.io/component-helpers/resource/helpers.go `PodRequests`: a pod requests
//!   the larger of (its containers plus its restartable init containers, i.e. sidecars) and
//!   (each plain init container, which runs alone, plus the sidecars started before it).
//! - Istio's injector adds the `istio-proxy` container to pods in namespaces labelled
//!   `istio-injection: enabled` (unless the pod says `sidecar.istio.io/inject: "false"`),
//!   with the requests in the injector ConfigMap's `values` (`global.proxy.resources`).
use super::{Object, containers, pod_specs, quantity, template_metadata};
use serde::{Deserialize, Serialize};
use serde_yaml_ng::Value;

/// Requests of one pod: millicores and MiB (rounded up).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Req {
    pub cpu_m: u64,
    pub mem_mib: u64,
}

impl Req {
    pub fn from_raw(cores: f64, bytes: f64) -> Req {
        Req {
            cpu_m: (cores * 1000.0 - 1e-6).ceil().max(0.0) as u64,
            mem_mib: (bytes / 1048576.0 - 1e-9).ceil().max(0.0) as u64,
        }
    }
    pub fn plus(self, o: Req) -> Req {
        Req {
            cpu_m: self.cpu_m.saturating_add(o.cpu_m),
            mem_mib: self.mem_mib.saturating_add(o.mem_mib),
        }
    }
    pub fn times(self, n: u64) -> Req {
        Req {
            cpu_m: self.cpu_m.saturating_mul(n),
            mem_mib: self.mem_mib.saturating_mul(n),
        }
    }
}

/// Pods of one workload object that stay running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodGroup {
    /// `Kind namespace/name`.
    pub owner: String,
    /// How many such pods (replicas); a DaemonSet has one per node.
    pub count: u64,
    /// One pod's requests.
    #[serde(flatten)]
    pub each: Req,
}

/// A container's (cores, bytes) requests, defaulted from its limits.
fn container(c: &Value) -> (f64, f64) {
    let r = &c["resources"];
    let get = |k: &str| {
        quantity::of(&r["requests"][k])
            .or_else(|| quantity::of(&r["limits"][k]))
            .unwrap_or(0.0)
    };
    (get("cpu"), get("memory"))
}

/// One pod's (cores, bytes), as `PodRequests` computes them.
pub fn pod(spec: &Value) -> (f64, f64) {
    let (mut cpu, mut mem) = (0.0, 0.0);
    for (list, c) in containers(spec) {
        if list == "containers" {
            let (a, b) = container(c);
            cpu += a;
            mem += b;
        }
    }
    // Init containers in order: sidecars (restartPolicy Always) keep running and add up; a
    // plain one runs next to the sidecars started before it.
    let (mut side_cpu, mut side_mem, mut init_cpu, mut init_mem) = (0.0, 0.0, 0.0f64, 0.0f64);
    for (list, c) in containers(spec) {
        if list != "initContainers" {
            continue;
        }
        let (a, b) = container(c);
        if c["restartPolicy"].as_str() == Some("Always") {
            side_cpu += a;
            side_mem += b;
        } else {
            init_cpu = init_cpu.max(side_cpu + a);
            init_mem = init_mem.max(side_mem + b);
        }
    }
    (
        (cpu + side_cpu).max(init_cpu),
        (mem + side_mem).max(init_mem),
    )
}

/// What Istio's injector adds to each pod of the namespaces it injects.
#[derive(Debug, Clone, Default)]
pub struct Sidecar {
    pub namespaces: Vec<String>,
    pub each: (f64, f64),
}

/// The injected sidecar, read from the set: namespaces labelled `istio-injection: enabled`
/// and `global.proxy.resources.requests` of ConfigMap istio-system/istio-sidecar-injector.
pub fn istio_sidecar(objects: &[Object]) -> Option<Sidecar> {
    let cm = objects.iter().find(|o| {
        o.kind() == "ConfigMap"
            && o.name() == "istio-sidecar-injector"
            && o.namespace() == Some("istio-system")
    })?;
    let values: serde_json::Value =
        serde_json::from_str(cm.doc["data"]["values"].as_str()?).ok()?;
    let req = &values["global"]["proxy"]["resources"]["requests"];
    let q = |v: &serde_json::Value| v.as_str().and_then(quantity::parse).unwrap_or(0.0);
    let namespaces = objects
        .iter()
        .filter(|o| {
            o.kind() == "Namespace"
                && o.doc["metadata"]["labels"]["istio-injection"].as_str() == Some("enabled")
        })
        .map(|o| o.name().to_string())
        .collect();
    Some(Sidecar {
        namespaces,
        each: (q(&req["cpu"]), q(&req["memory"])),
    })
}

fn opted_out(meta: &Value) -> bool {
    let f = |m: &Value| m["sidecar.istio.io/inject"].as_str() == Some("false");
    f(&meta["labels"]) || f(&meta["annotations"])
}

/// Whether the object's pods come and go (Jobs, bare Pods, Helm hooks): those are not
/// counted as running next to everything else.
pub fn transient(o: &Object) -> bool {
    matches!(o.kind(), "Job" | "CronJob" | "Pod")
        || !o.doc["metadata"]["annotations"]["helm.sh/hook"].is_null()
}

/// The pods of every object that keeps pods running: `(daemonsets, other pods)`.
pub fn groups(objects: &[Object], sidecar: Option<&Sidecar>) -> (Vec<PodGroup>, Vec<PodGroup>) {
    let (mut per_node, mut placed) = (Vec::new(), Vec::new());
    // Pod templates inside custom resources (Kubeflow's ClusterTrainingRuntimes, say) are
    // blueprints for jobs a user may submit later, not pods that run: only built-in
    // controllers' pods are counted.
    let running = objects
        .iter()
        .filter(|o| super::is_builtin(o.api_version()) && !transient(o));
    for o in running {
        let ns = o.namespace().unwrap_or("default");
        for (spec, count) in pod_specs(&o.doc) {
            let (mut cpu, mut mem) = pod(spec);
            let meta = template_metadata(&o.doc).cloned().unwrap_or(Value::Null);
            if let Some(s) = sidecar
                && s.namespaces.iter().any(|n| n == ns)
                && !opted_out(&meta)
                && spec["hostNetwork"].as_bool() != Some(true)
            {
                cpu += s.each.0;
                mem += s.each.1;
            }
            let g = PodGroup {
                owner: format!("{} {ns}/{}", o.kind(), o.name()),
                count,
                each: Req::from_raw(cpu, mem),
            };
            if o.kind() == "DaemonSet" {
                per_node.push(g);
            } else if count > 0 {
                placed.push(g);
            }
        }
    }
    (per_node, placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(yaml: &str) -> Value {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    #[test]
    fn requests_default_to_limits_and_init_containers_take_the_max() {
        let s = spec(
            "containers:\n- {name: a, resources: {limits: {cpu: 1, memory: 1Gi}}}\n- {name: b, resources: {requests: {cpu: 100m, memory: 128Mi}}}\ninitContainers:\n- {name: i, resources: {requests: {cpu: '2', memory: 64Mi}}}\n",
        );
        let (cpu, mem) = pod(&s);
        assert_eq!(
            Req::from_raw(cpu, mem),
            Req {
                cpu_m: 2000,
                mem_mib: 1152
            }
        );
    }

    #[test]
    fn sidecars_add_up() {
        let s = spec(
            "containers:\n- {name: a, resources: {requests: {cpu: 100m, memory: 100Mi}}}\ninitContainers:\n- {name: s, restartPolicy: Always, resources: {requests: {cpu: 50m, memory: 50Mi}}}\n",
        );
        let (cpu, mem) = pod(&s);
        assert_eq!(
            Req::from_raw(cpu, mem),
            Req {
                cpu_m: 150,
                mem_mib: 150
            }
        );
    }
}
