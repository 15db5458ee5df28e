//! Finding 6: every version string has an exact form, checked per field and named in the
//! error; `$(…)`, quotes, newlines and terminal escapes never reach `plan` or a rendered file.
use super::{mono_with, run, text};

fn plan(profile_text: &str) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.yaml");
    std::fs::write(&p, profile_text).unwrap();
    run(&["plan", "-p", p.to_str().unwrap()])
}

/// The mono profile with component `comp`'s line replaced by `line` (indented by two).
fn with_component(comp: &str, line: &str) -> String {
    mono_with(
        &format!("  {comp}: {{enabled: true}}\n"),
        &format!("{line}\n"),
    )
}

#[test]
fn kubernetes_version_must_have_rkes_exact_form() {
    for bad in [
        r#""v1.32.5-rancher1-1$(touch /tmp/pwned)""#,
        r#""v1.32.5-rancher1-1\"""#,
        r#""v1.32.5-rancher1-1\nx""#,
        r#""v1.32.5-rancher1-1\e[31m""#,
        r#""v1.32.5-rancher1-1 ""#,
        r#""v1.32-rancher1-1""#,
        r#""v1.32.5-rancher-1""#,
    ] {
        let out = plan(&mono_with(
            "components:\n",
            &format!("kubernetes:\n  version: {bad}\ncomponents:\n"),
        ));
        let err = text(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{bad} accepted: {}",
            text(&out.stdout)
        );
        assert!(err.contains("kubernetes.version"), "{bad}: {err}");
        assert!(
            err.contains("v1.32.5-rancher1-1"),
            "{bad}: the form is shown: {err}"
        );
        assert!(!err.contains('\u{1b}'), "{bad}: {err}");
    }
    let ok = plan(&mono_with(
        "components:\n",
        "kubernetes:\n  version: v1.31.9-rancher1-1\ncomponents:\n",
    ));
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}

#[test]
fn chart_and_kubeflow_versions_must_be_versions() {
    let cases = [
        ("rancher", "components.rancher.version", "latest"),
        ("rancher", "components.rancher.version", "2.13.8.1.2"),
        ("rancher", "components.rancher.version", "2.13.8-"),
        (
            "cert-manager",
            "components.cert-manager.version",
            "v1.20.3;id",
        ),
        ("local-path", "components.local-path.version", "0..37"),
        ("kubeflow", "components.kubeflow.version", "master"),
        ("kubeflow", "components.kubeflow.version", "1.11.0"),
    ];
    for (comp, field, bad) in cases {
        let out = plan(&with_component(
            comp,
            &format!("  {comp}: {{enabled: true, version: \"{bad}\"}}"),
        ));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{field}={bad} accepted");
        assert!(err.contains(field), "{field}={bad}: {err}");
    }
    let out = plan(&with_component(
        "tick",
        "  tick:\n    enabled: true\n    versions: {influxdb: \"4.12\"}",
    ));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("components.tick.versions.influxdb"));
    for (comp, good) in [
        ("rancher", "2.13.8"),
        ("cert-manager", "v1.20.3"),
        ("local-path", "0.0.37"),
        ("kubeflow", "v1.11.0"),
        ("rancher", "2.14.0-rc1"),
    ] {
        let out = plan(&with_component(
            comp,
            &format!("  {comp}: {{enabled: true, version: \"{good}\"}}"),
        ));
        assert!(out.status.success(), "{comp} {good}: {}", text(&out.stderr));
    }
}

#[test]
fn box_version_and_name_have_a_form_too() {
    for (from, to, field) in [
        (
            "version: \"202510.26.0\"",
            "version: \"1.0 $(id)\"",
            "box.version",
        ),
        (
            "name: bento/ubuntu-24.04",
            "name: \"bento/ubuntu\\n24.04\"",
            "box.name",
        ),
        (
            "hyperv: generic/ubuntu2204",
            "hyperv: \"x\\e[2J\"",
            "box.hyperv",
        ),
    ] {
        let out = plan(&mono_with(from, to));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to} accepted");
        assert!(err.contains(field), "{to}: {err}");
    }
    let out = plan(&mono_with(
        "version: \"202510.26.0\"",
        "version: \">= 202510.0, < 202601\"",
    ));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The schema's pattern of every version field is the one mlk checks.
#[test]
fn the_schema_has_the_same_version_forms() {
    use mlk::profile::limits::forms;
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/profile.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let c = "/properties/components/properties";
    let tick = format!("{c}/tick/properties/versions/properties");
    let mut fields = vec![
        (
            "/properties/kubernetes/properties/version".to_string(),
            forms::KUBERNETES_ANY,
        ),
        (format!("{c}/kubeflow/properties/version"), forms::KUBEFLOW),
        (
            "/properties/box/properties/version".to_string(),
            forms::BOX_VERSION,
        ),
        (
            "/properties/box/properties/name".to_string(),
            forms::BOX_NAME,
        ),
        (
            "/properties/box/properties/hyperv".to_string(),
            forms::BOX_NAME,
        ),
    ];
    for chart in ["local-path", "cert-manager", "rancher"] {
        fields.push((format!("{c}/{chart}/properties/version"), forms::CHART));
    }
    for chart in [
        "influxdb",
        "telegraf",
        "telegraf-ds",
        "kapacitor",
        "chronograf",
    ] {
        fields.push((format!("{tick}/{chart}"), forms::CHART));
    }
    for (ptr, want) in fields {
        let got = schema
            .pointer(&format!("{ptr}/pattern"))
            .and_then(|v| v.as_str());
        assert_eq!(got, Some(want), "{ptr}");
    }
}
