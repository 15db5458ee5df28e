//! InfluxDB 1.x over the HTTP API (`/ping`, `/query` with InfluxQL, `/write`), one stream per request.
use super::http::{self, HttpError};
use crate::remote::Tunnel;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Opens a fresh stream to InfluxDB's HTTP port (an SSH tunnel in production).
pub type Dialer<'a> = Box<dyn Fn() -> anyhow::Result<Box<dyn Tunnel>> + 'a>;

#[derive(Debug, thiserror::Error)]
pub enum InfluxError {
    #[error("cannot reach InfluxDB at {at}: {message}")]
    Unreachable { at: String, message: String },
    #[error(
        "InfluxDB at {at} refused the credentials of user `{user}` (HTTP 401); check the password file"
    )]
    Auth { at: String, user: String },
    #[error("InfluxDB at {at} answered HTTP {status}: {message}")]
    Http {
        at: String,
        status: u16,
        message: String,
    },
    #[error("InfluxDB query failed: {message}\n  query: {query}")]
    Query { query: String, message: String },
}

/// One series of a query result: tag values and rows of (epoch seconds, columns...).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Series {
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    pub columns: Vec<String>,
    #[serde(default)]
    pub values: Vec<Vec<serde_json::Value>>,
}

impl Series {
    /// (time, value) pairs of column `col`, skipping nulls.
    pub fn points(&self, col: usize) -> Vec<(i64, f64)> {
        self.values
            .iter()
            .filter_map(|row| Some((row.first()?.as_i64()?, row.get(col)?.as_f64()?)))
            .collect()
    }
}

#[derive(Deserialize)]
struct QueryResponse {
    #[serde(default)]
    results: Vec<StatementResult>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct StatementResult {
    #[serde(default)]
    series: Vec<Series>,
    #[serde(default)]
    error: Option<String>,
}

pub struct Client<'a> {
    dial: Dialer<'a>,
    /// Where the streams go, for messages (e.g. `10.43.0.12:8086 via node1`).
    pub at: String,
    pub db: String,
    user: String,
    password: String,
    conn: std::sync::Mutex<Option<Box<dyn Tunnel>>>,
}

impl<'a> Client<'a> {
    pub fn new(dial: Dialer<'a>, at: &str, db: &str, user: &str, password: &str) -> Client<'a> {
        Client {
            dial,
            at: at.into(),
            db: db.into(),
            user: user.into(),
            password: password.into(),
            conn: std::sync::Mutex::new(None),
        }
    }

    fn send(&self, method: &str, target: &str, body: &[u8]) -> Result<http::Response, InfluxError> {
        let unreachable = |message: String| InfluxError::Unreachable {
            at: self.at.clone(),
            message,
        };
        let auth = [(
            "Authorization",
            http::basic_auth(&self.user, &self.password),
        )];
        // One stream (one SSH channel) for all requests while the server keeps it open; a
        // reused stream that fails is replaced once, since the server may have timed it out.
        let mut slot = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let mut reused = slot.is_some();
        let resp = loop {
            let mut stream = match slot.take() {
                Some(s) => s,
                None => (self.dial)().map_err(|e| unreachable(format!("{e:#}")))?,
            };
            match http::request(&mut stream, true, method, "influxdb", target, &auth, body) {
                Ok(r) => {
                    if !r.closes {
                        *slot = Some(stream);
                    }
                    break r;
                }
                Err(_) if reused => reused = false,
                Err(HttpError::Io(e)) => return Err(unreachable(e.to_string())),
                Err(HttpError::Malformed(m)) => {
                    return Err(unreachable(format!(
                        "{m} (is this an InfluxDB 1.x HTTP port?)"
                    )));
                }
            }
        };
        match resp.status {
            200..=299 => Ok(resp),
            401 | 403 => Err(InfluxError::Auth {
                at: self.at.clone(),
                user: self.user.clone(),
            }),
            status => Err(InfluxError::Http {
                at: self.at.clone(),
                status,
                message: String::from_utf8_lossy(&resp.body).trim().to_string(),
            }),
        }
    }

    /// `GET /ping`: Ok when the server answers 204.
    pub fn ping(&self) -> Result<(), InfluxError> {
        self.send("GET", "/ping", b"").map(|_| ())
    }

    /// Runs InfluxQL statements; one Vec of series per statement. Times are epoch seconds.
    pub fn query(&self, q: &str) -> Result<Vec<Vec<Series>>, InfluxError> {
        let target = format!(
            "/query?db={}&epoch=s&q={}",
            http::encode(&self.db),
            http::encode(q)
        );
        let resp = self.send("GET", &target, b"")?;
        let parsed: QueryResponse =
            serde_json::from_slice(&resp.body).map_err(|e| InfluxError::Query {
                query: q.into(),
                message: format!("unreadable answer ({e})"),
            })?;
        if let Some(message) = parsed.error {
            return Err(InfluxError::Query {
                query: q.into(),
                message,
            });
        }
        let mut out = Vec::new();
        for r in parsed.results {
            if let Some(message) = r.error {
                return Err(InfluxError::Query {
                    query: q.into(),
                    message,
                });
            }
            out.push(r.series);
        }
        Ok(out)
    }

    /// Field name → type (`float`, `integer`, `string`, `boolean`) of `measurement`, from
    /// `SHOW FIELD KEYS`: the JSON answers of `query` do not tell 60.0 from 60. A field with
    /// several types (one per shard) is `float` if any is, so a re-import cannot conflict.
    pub fn field_types(&self, measurement: &str) -> Result<BTreeMap<String, String>, InfluxError> {
        let q = format!(
            "SHOW FIELD KEYS FROM \"{}\"",
            measurement.replace('"', "\\\"")
        );
        let mut types: BTreeMap<String, String> = BTreeMap::new();
        for s in self.query(&q)?.into_iter().flatten() {
            for row in &s.values {
                let (Some(k), Some(t)) = (
                    row.first().and_then(|v| v.as_str()),
                    row.get(1).and_then(|v| v.as_str()),
                ) else {
                    continue;
                };
                let e = types.entry(k.to_string()).or_insert_with(|| t.to_string());
                if t == "float" {
                    *e = t.to_string();
                }
            }
        }
        Ok(types)
    }

    /// `POST /query` for statements that change state (CREATE DATABASE, CREATE USER).
    pub fn admin(&self, q: &str) -> Result<(), InfluxError> {
        self.send("POST", &format!("/query?q={}", http::encode(q)), b"")
            .map(|_| ())
    }

    /// Writes line protocol with nanosecond time stamps, as Telegraf's influxdb output does.
    pub fn write_lines(&self, lines: &str) -> Result<(), InfluxError> {
        let target = format!("/write?db={}&precision=ns", http::encode(&self.db));
        self.send("POST", &target, lines.as_bytes()).map(|_| ())
    }
}
