//! Host side of the secrets: generated, random, 0600 in a 0700 folder, stable across reruns,
//! a bcrypt hash Dex accepts, and never in the summary (which names only the files).
use mlk::profile::{self, Overrides, Profile};
use mlk::stages::secrets;
use std::path::Path;

pub fn profile(name: &str) -> Profile {
    let src = profile::Source::resolve(name).unwrap();
    profile::load(
        &src,
        &Overrides::default(),
        &profile::validate::host_rules_from_env(),
    )
    .unwrap()
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn ensure_generates_random_0600_secrets_once() {
    let p = profile("mono");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let made = secrets::ensure(&p, a.path()).unwrap();
    assert_eq!(
        made,
        vec![
            secrets::RANCHER,
            secrets::INFLUXDB,
            secrets::KUBEFLOW_DEX,
            secrets::KUBEFLOW_DEX_BCRYPT
        ]
    );
    secrets::ensure(&p, b.path()).unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&secrets::dir(a.path())), 0o700);
    let mut seen = std::collections::HashSet::new();
    for name in [secrets::RANCHER, secrets::INFLUXDB, secrets::KUBEFLOW_DEX] {
        for dir in [a.path(), b.path()] {
            let f = secrets::path(dir, name);
            #[cfg(unix)]
            assert_eq!(mode(&f), 0o600, "{}", f.display());
            let pw = std::fs::read_to_string(&f).unwrap();
            assert_eq!(pw.len(), 24);
            assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()), "{pw:?}");
            assert!(seen.insert(pw), "the same password was generated twice");
        }
    }
    // A rerun keeps every password (the cluster already uses them).
    let before = std::fs::read(secrets::path(a.path(), secrets::RANCHER)).unwrap();
    let hash_before = std::fs::read(secrets::path(a.path(), secrets::KUBEFLOW_DEX_BCRYPT)).unwrap();
    assert!(secrets::ensure(&p, a.path()).unwrap().is_empty());
    assert_eq!(
        std::fs::read(secrets::path(a.path(), secrets::RANCHER)).unwrap(),
        before
    );
    assert_eq!(
        std::fs::read(secrets::path(a.path(), secrets::KUBEFLOW_DEX_BCRYPT)).unwrap(),
        hash_before
    );
}

#[test]
fn dex_hash_is_bcrypt_2y_cost_12_of_the_password_file() {
    let p = profile("mono");
    let d = tempfile::tempdir().unwrap();
    secrets::ensure(&p, d.path()).unwrap();
    let pw = std::fs::read_to_string(secrets::path(d.path(), secrets::KUBEFLOW_DEX)).unwrap();
    let hash =
        std::fs::read_to_string(secrets::path(d.path(), secrets::KUBEFLOW_DEX_BCRYPT)).unwrap();
    assert!(hash.starts_with("$2y$12$"), "{hash}");
    assert_eq!(hash.len(), 60);
    assert!(bcrypt::verify(&pw, &hash).unwrap());
    assert!(
        !bcrypt::verify("12341234", &hash).unwrap(),
        "upstream's default password must not work"
    );
    // A changed password file is re-hashed on the next run.
    std::fs::write(
        secrets::path(d.path(), secrets::KUBEFLOW_DEX),
        "OtherPassw0rdOtherPassw0",
    )
    .unwrap();
    assert_eq!(
        secrets::ensure(&p, d.path()).unwrap(),
        vec![secrets::KUBEFLOW_DEX_BCRYPT]
    );
    let hash2 =
        std::fs::read_to_string(secrets::path(d.path(), secrets::KUBEFLOW_DEX_BCRYPT)).unwrap();
    assert!(bcrypt::verify("OtherPassw0rdOtherPassw0", &hash2).unwrap());
}

#[cfg(unix)]
#[test]
fn a_world_readable_secret_is_refused_with_its_path() {
    use std::os::unix::fs::PermissionsExt;
    let p = profile("mono");
    let d = tempfile::tempdir().unwrap();
    secrets::ensure(&p, d.path()).unwrap();
    let f = secrets::path(d.path(), secrets::INFLUXDB);
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = format!("{:#}", secrets::ensure(&p, d.path()).unwrap_err());
    assert!(
        err.contains(&f.display().to_string()) && err.contains("chmod 600"),
        "{err}"
    );
}

/// The first-log-in report with every stage done, no cluster to ask and no name resolution
/// (no DNS traffic from tests): what only the profile and the secrets folder decide.
pub fn offline_report(p: &Profile, dir: &Path) -> mlk::login::Report {
    let done = |_: mlk::catalogue::StageId| true;
    let connect = || Err("no cluster in this test".to_string());
    let resolve = |hosts: &[String], ip| {
        hosts
            .iter()
            .map(|h| mlk::login::dns::not_checked(h, ip, "not resolved in this test"))
            .collect()
    };
    mlk::login::collect(
        p,
        dir,
        &mlk::login::Sources {
            done: &done,
            connect: &connect,
            resolve: &resolve,
        },
    )
}

#[test]
fn summary_names_password_files_never_passwords() {
    let p = profile("mono");
    let d = tempfile::tempdir().unwrap();
    secrets::ensure(&p, d.path()).unwrap();
    let report = offline_report(&p, d.path());
    let rows = &report.dashboards;
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Rancher", "Chronograf", "Kubeflow"]);
    let ip = mlk::login::ingress_address(&p);
    assert_eq!(rows[0].url, format!("https://rancher.{ip}.sslip.io"));
    assert_eq!(rows[0].user, "admin");
    // Rancher's state is unknown here (no cluster): the bootstrap file is still named.
    assert_eq!(
        rows[0].password_file.as_deref(),
        Some(secrets::path(d.path(), secrets::RANCHER).as_path())
    );
    assert_eq!(rows[2].user, "user@example.com");
    let table = mlk::login::text::render(&report);
    let json = serde_json::to_string(&report).unwrap();
    for name in [
        secrets::RANCHER,
        secrets::INFLUXDB,
        secrets::KUBEFLOW_DEX,
        secrets::KUBEFLOW_DEX_BCRYPT,
    ] {
        let secret = std::fs::read_to_string(secrets::path(d.path(), name)).unwrap();
        assert!(
            !table.contains(secret.trim()) && !json.contains(secret.trim()),
            "{name} leaked into the summary"
        );
    }
    for f in [secrets::KUBEFLOW_DEX, secrets::INFLUXDB] {
        assert!(
            table.contains(&secrets::path(d.path(), f).display().to_string()),
            "{f}:\n{table}"
        );
    }
}

#[test]
fn summary_stage_logs_the_table_and_always_runs() {
    let p = profile("distributed");
    let d = tempfile::tempdir().unwrap();
    secrets::ensure(&p, d.path()).unwrap();
    let rendered = mlk::render::render_all(&p).unwrap();
    let runners = std::collections::BTreeMap::new();
    let lines = std::sync::Mutex::new(Vec::<String>::new());
    let log = |l: &str| lines.lock().unwrap().push(l.to_string());
    let ctx = mlk::stages::HostCtx {
        profile: &p,
        stages: &mlk::plan::stages::build(&p),
        cluster_dir: d.path(),
        rendered: &rendered,
        runners: &runners,
        log: &log,
    };
    let stage = mlk::stages::host_stage(mlk::catalogue::HostWork::Summary);
    assert!(
        !stage.check(&ctx).unwrap(),
        "the summary is shown on every run"
    );
    stage.run(&ctx).unwrap();
    let text = lines.lock().unwrap().join("\n");
    assert!(text.starts_with("DASHBOARD"), "{text}");
    let ip = mlk::login::ingress_address(&p);
    for url in [
        format!("https://rancher.{ip}.sslip.io"),
        format!("http://chronograf.{ip}.sslip.io"),
        format!("https://kubeflow.{ip}.sslip.io"),
    ] {
        assert!(text.contains(&url), "{url} missing:\n{text}");
    }
    for (name, _) in secrets::wanted(&p) {
        let secret = std::fs::read_to_string(secrets::path(d.path(), name)).unwrap();
        assert!(!text.contains(secret.trim()), "{name} leaked");
    }
}
