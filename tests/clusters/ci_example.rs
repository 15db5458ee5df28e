//! docs/ci.md's shell example (docs/examples/ci-throwaway-cluster.sh) really works: on real
//! sshd test hosts (root) it brings a cluster up, runs the job, and always tears it down,
//! keeping the diagnostics of a failed `up` and passing on the first failure's exit code.
use super::err;
use crate::up::lab::Lab;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/ci-throwaway-cluster.sh")
}

#[test]
fn the_documented_script_is_the_tested_one_and_passes_shellcheck() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci.md")).unwrap();
    let text = std::fs::read_to_string(script()).unwrap();
    assert!(
        doc.contains(&text),
        "docs/ci.md must quote {} verbatim",
        script().display()
    );
    let sc = Command::new("shellcheck").arg(script()).output();
    match sc {
        Ok(o) => assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout)),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "shellcheck: {e}"
            );
            eprintln!("SKIP shellcheck: {e}");
        }
    }
}

#[test]
fn ci_script_brings_up_runs_the_job_and_always_tears_down() {
    let Some(lab) = Lab::up(1) else { return };
    let name = crate::up::cluster("ci");
    let stages = "  - {id: probe, after: os-prep, target: all-nodes, run: \"true\"}\n  \
                  - {id: broken, after: probe, target: all-nodes, run: \"echo cannot; exit 3\"}\n";
    let profile = lab.profile(&name, stages);
    let bin = Path::new(env!("CARGO_BIN_EXE_mlk"))
        .parent()
        .unwrap()
        .to_path_buf();
    let run = |only: &str, job: &str| -> (Output, PathBuf) {
        let work = lab.tmp.path().join(format!("job-{only}-{}", job.len()));
        std::fs::create_dir_all(&work).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let o = Command::new("sh")
            .arg(script())
            .current_dir(&work)
            .env("PATH", path)
            .env("HOME", lab.tmp.path())
            .env("KUBECONFIG", lab.tmp.path().join("kubeconfig"))
            .env_remove("MLK_HOME")
            .env("MLK_PROFILE", &profile)
            .env("MLK_CLUSTER", &name)
            .env(
                "MLK_UP_ARGS",
                format!(
                    "--provider ssh --inventory {} --only {only} --retry-budget 10",
                    lab.ssh_config.display()
                ),
            )
            .env("MLK_JOB", job)
            .output()
            .unwrap();
        (o, work)
    };
    let cluster_gone = |work: &Path| !work.join(".mlk-ci").join(&name).exists();

    // Success: the job ran on the cluster, and nothing is left.
    let (o, work) = run(
        "probe",
        &format!("mlk ssh -c {name} node1 -- hostname > hostname.txt"),
    );
    assert!(o.status.success(), "{}", err(&o));
    assert_eq!(
        std::fs::read_to_string(work.join("hostname.txt"))
            .unwrap()
            .trim(),
        "node1"
    );
    let last = std::fs::read_to_string(work.join("up-events.jsonl")).unwrap();
    assert!(
        last.lines().last().unwrap().contains("\"exit_code\":0"),
        "{last}"
    );
    assert!(cluster_gone(&work), "down --purge ran");

    // The job fails: its exit code, and the cluster still torn down.
    let (o, work) = run("probe", "exit 7");
    assert_eq!(o.status.code(), Some(7), "{}", err(&o));
    assert!(cluster_gone(&work));

    // `up` fails: exit 4, the diagnostics bundle kept as an artifact, the cluster gone.
    let (o, work) = run("probe,broken", "true");
    assert_eq!(o.status.code(), Some(4), "{}", err(&o));
    assert!(err(&o).contains("\"exit_class\":\"remote\""), "{}", err(&o));
    let kept: Vec<String> = std::fs::read_dir(work.join("artifacts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        kept.len() == 1 && kept[0].starts_with("diagnostics-") && kept[0].ends_with(".tar.gz"),
        "{kept:?}"
    );
    assert!(cluster_gone(&work));
}
