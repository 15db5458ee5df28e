//! Issue 10, defect 13: the distributed workload used to submit a kubeflow.org/v1 TFJob, a
//! kind the installed Kubeflow does not serve. Checked here on the vendored kubeflow/manifests
//! v1.11.0 (tests/fixtures/upstream): its example installs Trainer v2 and comments Training
//! Operator v1 out, so no TFJob CRD exists; mlk's overlay follows the example; and every kind
//! mlk's built-in workloads submit is a built-in Kubernetes kind (no CRD needed at all).
use super::{built_in_manifests, docs};
use std::path::Path;
use std::process::Command;

const TARBALL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/upstream/kubeflow/manifests-v1.11.0-vendored.tar.gz"
);

fn unpack(dir: &Path) -> std::path::PathBuf {
    let st = Command::new("tar")
        .args(["-xzf", TARBALL, "-C"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    dir.join("manifests-v1.11.0")
}

/// `kubectl kustomize DIR` with no network (`unshare -n` when allowed, as the build is offline).
fn kustomize(kubectl: &Path, dir: &Path) -> String {
    let unshare = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = if unshare {
        let mut c = Command::new("unshare");
        c.arg("-n").arg(kubectl);
        c
    } else {
        Command::new(kubectl)
    };
    let o = cmd.arg("kustomize").arg(dir).output().unwrap();
    assert!(
        o.status.success(),
        "kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// (group, plural) of every CRD in a kustomize build.
fn crds(yaml: &str) -> Vec<String> {
    docs(yaml)
        .iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn kubeflow_v1_11_ships_no_tfjob_and_mlk_submits_only_built_in_kinds() {
    let tmp = tempfile::tempdir().unwrap();
    let root = unpack(tmp.path());
    let example = std::fs::read_to_string(root.join("example/kustomization.yaml")).unwrap();
    let active: Vec<&str> = example
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- ../"))
        .collect();
    assert!(
        active.contains(&"- ../applications/trainer/overlays"),
        "{active:?}"
    );
    assert!(
        example.contains("# - ../applications/training-operator/upstream/overlays/kubeflow"),
        "upstream's example no longer comments Training Operator v1 out"
    );
    assert!(!active.iter().any(|l| l.contains("training-operator")));
    // mlk's overlay takes the example's applications: Trainer v2 in, Training Operator v1 out.
    let files = mlk::render::render_all(&super::profile("distributed")).unwrap();
    let overlay = &files["kubeflow/kustomization.yaml"];
    assert!(overlay.contains("- ../applications/trainer/overlays"));
    assert!(!overlay.contains("training-operator"), "{overlay}");
    // The Trainer v2 build: its CRDs are trainer.kubeflow.org and JobSet, no TFJob; its
    // runtimes are for PyTorch, DeepSpeed, MLX and TorchTune, none for TensorFlow.
    let Some(kubectl) = crate::tools::find("kubectl") else {
        return;
    };
    let built = kustomize(&kubectl, &root.join("applications/trainer/overlays"));
    let mut c = crds(&built);
    c.sort();
    assert_eq!(
        c,
        [
            "clustertrainingruntimes.trainer.kubeflow.org",
            "jobsets.jobset.x-k8s.io",
            "trainingruntimes.trainer.kubeflow.org",
            "trainjobs.trainer.kubeflow.org"
        ]
    );
    let runtimes: Vec<String> = docs(&built)
        .iter()
        .filter(|d| d["kind"] == "ClusterTrainingRuntime")
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!runtimes.is_empty());
    assert!(
        !runtimes
            .iter()
            .any(|r| r.contains("tensorflow") || r.contains("tf-")),
        "{runtimes:?}"
    );
    // The TFJob CRD exists only in the Training Operator v1 folder the example leaves out.
    let v1 =
        root.join("applications/training-operator/upstream/base/crds/kubeflow.org_tfjobs.yaml");
    assert!(v1.is_file());
    // What mlk submits: built-in kinds only, so nothing depends on which CRDs are installed.
    for (what, yaml) in built_in_manifests() {
        for d in docs(&yaml) {
            let api = d["apiVersion"].as_str().unwrap();
            assert!(
                api == "v1" || api == "batch/v1",
                "{what}: {api} {:?} needs a CRD",
                d["kind"]
            );
        }
    }
}
