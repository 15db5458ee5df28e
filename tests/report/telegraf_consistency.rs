//! The rendered Telegraf DaemonSet values and the report's queries agree, for every embedded profile.
use mlk::report::consistency::check_telegraf_values;

fn rendered_values(profile: &str) -> String {
    let src = mlk::profile::Source::resolve(profile).unwrap();
    let p = mlk::profile::load(
        &src,
        &mlk::profile::Overrides { provider: None },
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
            check_telegraf_values(&values),
            Vec::<String>::new(),
            "profile {profile}"
        );
        // Every measurement the report reads has its input enabled in the rendered values.
        for m in mlk::report::queries::measurements() {
            let input = mlk::report::queries::input_of(m).unwrap();
            assert!(
                values.contains(&format!("- {input}:")),
                "profile {profile}: input {input} for {m}"
            );
        }
    }
}

#[test]
fn the_check_notices_a_missing_input() {
    let values = rendered_values("distributed");
    let without_k8s = values.replace("    - kubernetes:", "    - kubernetes_disabled:");
    assert_ne!(
        values, without_k8s,
        "the template changed shape; update this test"
    );
    let problems = check_telegraf_values(&without_k8s);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("kubernetes_pod_container") && p.contains("input `kubernetes`")),
        "{problems:?}"
    );
    let problems = check_telegraf_values(&values.replace("totalcpu: true", "totalcpu: false"));
    assert!(
        problems.iter().any(|p| p.contains("totalcpu")),
        "{problems:?}"
    );
    let problems =
        check_telegraf_values(&values.replace("database: \"telegraf\"", "database: \"other\""));
    assert!(
        problems.iter().any(|p| p.contains("database `telegraf`")),
        "{problems:?}"
    );
}
