//! The rendered Telegraf DaemonSet values and the report's queries agree, for every embedded
//! profile; and the real telegraf-ds chart turns mlk's values into the TOML the report needs.
use mlk::distribution::Distribution;
use mlk::report::consistency::check_telegraf_values;
use mlk::report::sources::Distribution::{Rke1Docker as RKE, Rke2Containerd as RKE2};

fn rendered_values(profile: &str) -> String {
    rendered_values_on(profile, None)
}

fn rendered_values_on(profile: &str, distribution: Option<Distribution>) -> String {
    let src = mlk::profile::Source::resolve(profile).unwrap();
    let p = mlk::profile::load(
        &src,
        &mlk::profile::Overrides {
            provider: None,
            distribution,
        },
        &mlk::commands::host_rules(),
    )
    .unwrap();
    let files = mlk::render::render_all(&p).unwrap();
    let (_, text) = files
        .iter()
        .find(|(k, _)| k.ends_with("telegraf-ds.yaml"))
        .expect("telegraf-ds values rendered");
    text.clone()
}

#[test]
fn telegraf_inputs_feed_every_queried_measurement() {
    for profile in mlk::profile::embedded_names() {
        let values = rendered_values(&profile);
        assert_eq!(
            check_telegraf_values(&values, RKE),
            Vec::<String>::new(),
            "profile {profile}"
        );
        for m in mlk::report::queries::measurements() {
            let input = mlk::report::queries::input_of(m).unwrap();
            // The chart adds the docker input itself from `docker_endpoint`.
            let listed = if input == "docker" {
                values.contains("docker_endpoint: \"unix:///var/run/docker.sock\"")
            } else {
                values.contains(&format!("- {input}:"))
            };
            assert!(listed, "profile {profile}: input {input} for {m}");
        }
    }
}

/// RKE2 runs containerd: its values have no docker input and no docker group, and the check
/// for RKE2 holds (the report reads no Docker measurement there, `sources::support`); the
/// same values are refused for RKE, whose report reads Docker's figures.
#[test]
fn rke2_values_have_no_docker_and_still_feed_every_measurement_read_on_rke2() {
    for profile in mlk::profile::embedded_names() {
        let values = rendered_values_on(&profile, Some(Distribution::Rke2));
        assert_eq!(
            check_telegraf_values(&values, RKE2),
            Vec::<String>::new(),
            "profile {profile} on RKE2"
        );
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&values).unwrap();
        assert_eq!(
            doc["config"]["docker_endpoint"].as_str(),
            Some(""),
            "{profile}"
        );
        assert!(
            doc["podSecurityContext"].is_null(),
            "{profile}: no docker group"
        );
        assert!(
            check_telegraf_values(&values, RKE)
                .iter()
                .any(|p| p.contains("input `docker`")),
            "{profile}"
        );
    }
}

#[test]
fn the_check_notices_a_missing_input_a_slow_interval_and_a_missing_field() {
    let values = rendered_values("distributed");
    let without_k8s = values.replace("    - kubernetes:", "    - kubernetes_disabled:");
    assert_ne!(
        values, without_k8s,
        "the template changed shape; update this test"
    );
    let problems = check_telegraf_values(&without_k8s, RKE);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("kubernetes_pod_container") && p.contains("input `kubernetes`")),
        "{problems:?}"
    );
    let problems = check_telegraf_values(&values.replace("totalcpu: true", "totalcpu: false"), RKE);
    assert!(
        problems.iter().any(|p| p.contains("totalcpu")),
        "{problems:?}"
    );
    let problems = check_telegraf_values(
        &values.replace("report_active: true", "report_active: false"),
        RKE,
    );
    assert!(
        problems.iter().any(|p| p.contains("usage_active")),
        "{problems:?}"
    );
    // The node inputs at the agent's 10 s again: the report's 1 s sampling is gone.
    let slow = values.replace("interval: \"1s\"", "interval: \"10s\"");
    assert_ne!(slow, values);
    let problems = check_telegraf_values(&slow, RKE);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("input net samples every Some(10.0) s")),
        "{problems:?}"
    );
    let no_docker = values.replace(
        "docker_endpoint: \"unix:///var/run/docker.sock\"",
        "docker_endpoint: \"\"",
    );
    let problems = check_telegraf_values(&no_docker, RKE);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("docker_container_cpu") && p.contains("input `docker`")),
        "{problems:?}"
    );
    let problems = check_telegraf_values(
        &values.replace("database: \"telegraf\"", "database: \"other\""),
        RKE,
    );
    assert!(
        problems.iter().any(|p| p.contains("database `telegraf`")),
        "{problems:?}"
    );
}

/// The real chart (vendored telegraf-ds 1.1.53) renders mlk's values into a telegraf.conf
/// with the 1 s node inputs, `report_active`, and the docker input.
#[test]
fn the_real_telegraf_ds_chart_renders_the_sampling_the_report_needs() {
    let Some(helm) = crate::tools::find("helm") else {
        return;
    };
    let chart = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/upstream/charts/telegraf-ds-1.1.53");
    let tmp = tempfile::tempdir().unwrap();
    let vf = tmp.path().join("values.yaml");
    std::fs::write(&vf, rendered_values("mono")).unwrap();
    let out = std::process::Command::new(helm)
        .args(["template", "telegraf-ds"])
        .arg(&chart)
        .args([
            "--namespace",
            "tick",
            "--show-only",
            "templates/configmap.yaml",
            "-f",
        ])
        .arg(&vf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
    let conf = doc["data"]["telegraf.conf"].as_str().unwrap();
    // Each node input's TOML table carries its own 1 s interval.
    for input in mlk::report::queries::NODE_INPUTS {
        let table = conf
            .split("[[inputs.")
            .find(|t| t.starts_with(&format!("{input}]]")))
            .unwrap_or_else(|| panic!("no [[inputs.{input}]] in {conf}"));
        assert!(table.contains("interval = \"1s\""), "{input}: {table}");
    }
    assert!(conf.contains("report_active = true"), "{conf}");
    assert!(conf.contains("[[inputs.docker]]"), "{conf}");
    assert!(
        conf.contains("interval = \"10s\""),
        "the agent keeps 10 s: {conf}"
    );
    // The export at a run's end waits one flush for Telegraf's last samples: the agent
    // writes every FLUSH_S seconds, without jitter.
    let flush = format!("flush_interval = \"{}s\"", mlk::runs::export::FLUSH_S);
    assert!(conf.contains(&flush), "{flush} missing: {conf}");
    assert!(conf.contains("flush_jitter = \"0s\""), "{conf}");
}
