//! A real InfluxDB 1.x (Debian's `influxd`) with its own config and data dir, auth on.
use mlk::remote::Forwarder;
use mlk::report::influx::Client;
use std::path::Path;

/// influxd's config: HTTP and RPC on `ip`, everything under `dir`, nothing phoning home.
pub fn config(dir: &str, ip: &str, http: u16, rpc: u16) -> String {
    format!(
        r#"reporting-enabled = false
bind-address = "{ip}:{rpc}"
[meta]
  dir = "{dir}/meta"
[data]
  dir = "{dir}/data"
  wal-dir = "{dir}/wal"
  query-log-enabled = false
[http]
  enabled = true
  bind-address = "{ip}:{http}"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
"#
    )
}

/// Whether influxd is installed (Debian package `influxdb`, listed in .ci/apt-packages).
pub fn available() -> bool {
    Path::new("/usr/bin/influxd").exists()
}

/// Waits for /ping, then creates the admin user (allowed once, before any user exists) and
/// the `telegraf` database, as the influxdb chart's init does.
pub fn init(fwd: &Forwarder, password: &str) {
    let anon = Client::new(fwd.clone(), "test influxd", "telegraf", "", "");
    let mut ok = false;
    for _ in 0..200 {
        // /ping answers without auth.
        if anon.ping().is_ok() {
            ok = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(ok, "influxd did not answer /ping");
    anon.admin(&format!(
        "CREATE USER admin WITH PASSWORD '{password}' WITH ALL PRIVILEGES"
    ))
    .expect("create admin");
    let admin = Client::new(fwd.clone(), "test influxd", "telegraf", "admin", password);
    admin
        .admin("CREATE DATABASE telegraf")
        .expect("create database");
}
