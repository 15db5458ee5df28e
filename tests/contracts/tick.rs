//! The tick stage's checks: InfluxDB, Telegraf and Kapacitor against a REAL InfluxDB 1.x and
//! its real `influx` CLI (Debian's 1.6.7; its CSV writer is the same code as 1.8.10's, see
//! tests/fixtures/contracts/influxdb/README.md), and Chronograf on its answers replayed from
//! 1.9.4's source (defect 3).
use super::{Out, Stage};
use crate::ssh_support::have_root;

/// Serves a Chronograf scenario on 127.0.0.1:80 and runs chronograf_connected against it.
fn chronograf(scenario: &str) -> (Out, String) {
    let s = Stage::new("tick");
    let o = s.sh_netns(&format!(
        r#"export REPLAY_LOG_DIR="$TMPD"
python3 "$FIX/replay.py" 80 "$FIX/chronograf/{scenario}/routes.json" &
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:80/ && break; sleep 0.05; done
INGRESS_IPS=(127.0.0.1)
chronograf_connected; rc=$?
kill %1
exit $rc"#
    ));
    // Less the readiness probe's `GET /`.
    let log = std::fs::read_to_string(s.dir.path().join("requests.log"))
        .unwrap_or_default()
        .lines()
        .filter(|l| *l != "GET /")
        .map(|l| format!("{l}\n"))
        .collect();
    (o, log)
}

#[test]
fn chronograf_check_follows_links_to_source_0_and_its_kapacitor_regression_defect_3() {
    if !have_root("chronograf_check_follows_links") {
        return;
    }
    let (o, log) = chronograf("healthy");
    assert!(o.ok, "{}\nrequests:\n{log}", o.text());
    assert_eq!(
        log,
        "GET /chronograf/v1/sources\nGET /chronograf/v1/sources/0/health\n\
         GET /chronograf/v1/sources/0/kapacitors\n\
         GET /chronograf/v1/sources/0/kapacitors/0/proxy?path=/kapacitor/v1/ping\n"
    );
    let (o, log) = chronograf("healthy-with-added-source");
    assert!(o.ok, "{}\nrequests:\n{log}", o.text());
    assert!(!log.contains("/sources/1/"), "{log}");
}

#[test]
fn chronograf_check_fails_on_each_broken_answer() {
    if !have_root("chronograf_check_fails_on_each_broken_answer") {
        return;
    }
    for (scenario, says) in [
        (
            "no-kapacitor",
            "has no Kapacitor http://kapacitor-kapacitor.tick:9092",
        ),
        ("kapacitor-down", "cannot reach Kapacitor"),
        ("influxdb-down", "cannot reach InfluxDB"),
        ("no-source", "has no source http://influxdb.tick:8086"),
    ] {
        let (o, log) = chronograf(scenario);
        assert!(!o.ok, "{scenario} passed; requests:\n{log}");
        assert!(o.stdout.contains(says), "{scenario}: {}", o.text());
    }
}

#[test]
fn chronograf_urls_in_the_check_are_the_ones_chronograf_is_started_with() {
    let files =
        mlk::render::render_all(&crate::foundation::common::load("distributed", None)).unwrap();
    let values: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&files["values/chronograf.yaml"]).unwrap();
    let s = Stage::new("tick");
    let o = s.sh(r#"printf '%s\n%s\n' "$INFLUXDB_URL" "$KAPACITOR_URL""#);
    assert_eq!(
        o.stdout,
        format!(
            "{}\n{}\n",
            values["env"]["INFLUXDB_URL"].as_str().unwrap(),
            values["env"]["KAPACITOR_URL"].as_str().unwrap()
        )
    );
}

#[test]
fn influx_csv_decisions_on_answers_recorded_from_the_real_cli() {
    let s = Stage::new("tick");
    let ok = |cmd: &str| s.sh(cmd).ok;
    assert!(ok(
        r#"csv_last_value_is 1700000000 < "$FIX"/influxdb/select-last.csv"#
    ));
    assert!(!ok(
        r#"csv_last_value_is 1700000001 < "$FIX"/influxdb/select-last.csv"#
    ));
    assert!(!ok(
        r#"csv_last_value_is 1700000000 < "$FIX"/influxdb/empty.csv"#
    ));
    let o = s.sh(r#"csv_hosts_of cpu < "$FIX"/influxdb/count-cpu-by-host.csv"#);
    assert_eq!(o.stdout, "node1\nnode2\n");
    let o = s.sh(r#"csv_hosts_of influxdb < "$FIX"/influxdb/count-cpu-by-host.csv"#);
    assert_eq!(o.stdout, "");
    let sub = |db: &str, dest: &str| {
        ok(&format!(
            r#"csv_has_subscription {db} {dest} < "$FIX"/influxdb/show-subscriptions.csv"#
        ))
    };
    assert!(sub("telegraf", "http://kapacitor-kapacitor.tick:9092"));
    assert!(!sub("telegraf", "http://kapacitor-kapacitor.other:9092"));
    assert!(!sub("_internal", "http://kapacitor-kapacitor.tick:9092"));
    assert!(!ok(
        r#"csv_has_subscription telegraf http://kapacitor-kapacitor.tick:9092 < "$FIX"/influxdb/empty.csv"#
    ));
}

/// Debian's influxd and influx CLI (packages influxdb, influxdb-client in .ci/apt-packages).
fn influx_available() -> bool {
    let ok = ["/usr/bin/influxd", "/usr/bin/influx"]
        .iter()
        .all(|p| std::path::Path::new(p).exists());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but influxd or influx is missing (.ci/apt-packages)");
    }
    ok
}

/// Runs `snippet` next to a real influxd on 127.0.0.1:8086 (auth on, user admin, database
/// telegraf), with `kubectl` replaced by a fake that runs the `kubectl exec` command locally in
/// the pod's environment (INFLUXDB_ADMIN_USER/PASSWORD, as the influxdb chart sets them).
fn with_influxd(snippet: &str) -> Out {
    let s = Stage::new("tick");
    let d = s.dir.path().join("influx").display().to_string();
    // influxd on the port the pod uses, auth on, nothing phoning home.
    let conf = format!(
        "reporting-enabled = false\nbind-address = \"127.0.0.1:8088\"\n[meta]\n  dir = \"{d}/meta\"\n\
         [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
         [http]\n  bind-address = \"127.0.0.1:8086\"\n  auth-enabled = true\n  log-enabled = false\n\
         [monitor]\n  store-enabled = false\n[continuous_queries]\n  enabled = false\n"
    );
    std::fs::write(s.dir.path().join("influxd.conf"), conf).unwrap();
    s.sh_netns(&format!(
        r#"mkdir -p "$TMPD/bin"
cat > "$TMPD/bin/kubectl" <<'K'
#!/bin/bash
# FAKE kubectl: `kubectl -n NS exec statefulset/influxdb -- CMD...` runs CMD here.
while [ "$1" != -- ]; do shift; done; shift
INFLUXDB_ADMIN_USER=admin INFLUXDB_ADMIN_PASSWORD=test-pw exec "$@"
K
chmod +x "$TMPD/bin/kubectl"
PATH="$TMPD/bin:$PATH"
influxd -config "$TMPD/influxd.conf" >"$TMPD/influxd.log" 2>&1 &
for i in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:8086/ping && break; sleep 0.05; done
influx -execute "CREATE USER admin WITH PASSWORD 'test-pw' WITH ALL PRIVILEGES"
influx -username admin -password test-pw -execute 'CREATE DATABASE telegraf'
point() {{ influx -username admin -password test-pw -database telegraf -execute "INSERT $1"; }}
{snippet}
rc=$?
kill %1; wait
exit $rc"#
    ))
}

#[test]
fn influxdb_write_read_back_against_real_influxd() {
    if !have_root("influxdb_write_read_back") || !influx_available() {
        return;
    }
    let o = with_influxd("write_read_back && echo READ-BACK");
    assert!(o.ok && o.stdout.contains("READ-BACK"), "{}", o.text());
    // Wrong credentials in the pod: the same function fails.
    let o = with_influxd(
        r#"sed -i 's/INFLUXDB_ADMIN_PASSWORD=test-pw/INFLUXDB_ADMIN_PASSWORD=wrong/' "$TMPD/bin/kubectl"; write_read_back"#,
    );
    assert!(!o.ok, "{}", o.text());
}

#[test]
fn telegraf_check_wants_fresh_points_from_every_node_against_real_influxd() {
    if !have_root("telegraf_check_wants_fresh_points") || !influx_available() {
        return;
    }
    let o = with_influxd("telegraf_writes");
    assert!(!o.ok);
    assert!(
        o.stdout
            .contains("no fresh cpu metrics from: node1 node2 node3"),
        "{}",
        o.text()
    );
    // node3's only point is an hour old: its tag value exists, but it is not writing.
    let o = with_influxd(
        r#"point 'cpu,host=node1,cpu=cpu-total usage_idle=90'
point 'cpu,host=node2,cpu=cpu-total usage_idle=90'
point "cpu,host=node3,cpu=cpu-total usage_idle=90 $(( ($(date +%s) - 3600) * 1000000000 ))"
point 'influxdb,host=telegraf-polling-service,url=http://influxdb.tick:8086/debug/vars n_shards=3i'
telegraf_writes"#,
    );
    assert!(!o.ok);
    assert!(
        o.stdout.contains("no fresh cpu metrics from: node3"),
        "{}",
        o.text()
    );
    let o = with_influxd(
        r#"for n in node1 node2 node3; do point "cpu,host=$n,cpu=cpu-total usage_idle=90"; done
telegraf_writes"#,
    );
    assert!(!o.ok);
    assert!(o.stdout.contains("no fresh InfluxDB stats"), "{}", o.text());
    let o = with_influxd(
        r#"for n in node1 node2 node3; do point "cpu,host=$n,cpu=cpu-total usage_idle=90"; done
point 'influxdb,host=telegraf-polling-service,url=http://influxdb.tick:8086/debug/vars n_shards=3i'
telegraf_writes && echo WRITING"#,
    );
    assert!(o.ok && o.stdout.contains("WRITING"), "{}", o.text());
}

#[test]
fn kapacitor_subscription_check_against_real_influxd() {
    if !have_root("kapacitor_subscription_check") || !influx_available() {
        return;
    }
    let sub = |dest: &str| {
        format!(
            r#"influx -username admin -password test-pw -execute "CREATE SUBSCRIPTION \"kapacitor-6f0a7e3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b\" ON \"telegraf\".\"autogen\" DESTINATIONS ANY '{dest}'"
kapacitor_subscribed"#
        )
    };
    assert!(!with_influxd("kapacitor_subscribed").ok);
    assert!(!with_influxd(&sub("http://kapacitor-kapacitor.other:9092")).ok);
    let o = with_influxd(&sub("http://kapacitor-kapacitor.tick:9092"));
    assert!(o.ok, "{}", o.text());
}
