//! InfluxDB 1.x over the HTTP API (`/ping`, `/query` with InfluxQL, `/write`).
//!
//! The HTTP is hyper-util's pooled client (keep-alive, chunked bodies, a retry when a pooled
//! connection was closed); the bytes go through a local port forward (`remote::PortForward`,
//! as `ssh -L`) whose connections each ride a direct-tcpip channel from the first
//! controlplane node, so InfluxDB needs no NodePort. (reqwest, mlk's download client, would
//! do as well but builds a TLS context per client, ~65 ms here, for plain HTTP.)
use crate::remote::{Forwarder, PortForward};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, USER_AGENT};
use hyper_util::client::legacy::Client as Http;
use hyper_util::client::legacy::connect::HttpConnector;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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

pub struct Client {
    /// Carries each of the HTTP client's connections to InfluxDB (an SSH channel in production).
    fwd: Forwarder,
    /// Where the streams go, for messages (e.g. `10.43.0.12:8086 (tunnelled from node1)`).
    pub at: String,
    pub db: String,
    user: String,
    password: String,
    /// Started on the first request: a report from exported files never opens one.
    live: Mutex<Option<Arc<Live>>>,
}

/// The HTTP client, the runtime its connections run on and the forward it talks to
/// (dropped in this order).
struct Live {
    http: Http<HttpConnector, Full<Bytes>>,
    rt: tokio::runtime::Runtime,
    base: String,
    forward: PortForward,
}

impl Client {
    pub fn new(fwd: Forwarder, at: &str, db: &str, user: &str, password: &str) -> Client {
        Client {
            fwd,
            at: at.into(),
            db: db.into(),
            user: user.into(),
            password: password.into(),
            live: Mutex::new(None),
        }
    }

    fn unreachable(&self, message: String) -> InfluxError {
        InfluxError::Unreachable {
            at: self.at.clone(),
            message,
        }
    }

    fn live(&self) -> Result<Arc<Live>, InfluxError> {
        let mut slot = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = slot.as_ref() {
            return Ok(Arc::clone(l));
        }
        let forward = PortForward::start(0, Arc::clone(&self.fwd), false)
            .map_err(|e| self.unreachable(format!("cannot listen on 127.0.0.1: {e}")))?;
        // The callers are synchronous: the client's connections run while `block_on` does.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| self.unreachable(format!("starting the HTTP runtime: {e}")))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http = Http::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        let live = Arc::new(Live {
            http,
            rt,
            base: format!("http://127.0.0.1:{}", forward.port()),
            forward,
        });
        *slot = Some(Arc::clone(&live));
        Ok(live)
    }

    fn send(
        &self,
        method: hyper::Method,
        path: &str,
        query: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<u8>, InfluxError> {
        let live = self.live()?;
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let auth = {
            use base64::Engine;
            let pair = format!("{}:{}", self.user, self.password);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}?{query}", live.base))
            .header(AUTHORIZATION, auth)
            .header(USER_AGENT, "mlk")
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| self.unreachable(format!("request: {e}")))?;
        let answer = live.rt.block_on(async {
            let resp = live.http.request(req).await.map_err(|e| chain(&e))?;
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.map_err(|e| chain(&e))?;
            Ok::<_, String>((status, body.to_bytes()))
        });
        let (status, body) = answer.map_err(|e| {
            // The client only sees its connection close; the forward knows why (e.g. nothing
            // listens at host:port on the node, or the node does not answer SSH).
            self.unreachable(
                live.forward
                    .last_failure()
                    .unwrap_or_else(|| format!("{e} (is this an InfluxDB 1.x HTTP port?)")),
            )
        })?;
        match status {
            200..=299 => Ok(body.to_vec()),
            401 | 403 => Err(InfluxError::Auth {
                at: self.at.clone(),
                user: self.user.clone(),
            }),
            status => Err(InfluxError::Http {
                at: self.at.clone(),
                status,
                message: String::from_utf8_lossy(&body).trim().to_string(),
            }),
        }
    }

    /// `GET /ping`: Ok when the server answers 204.
    pub fn ping(&self) -> Result<(), InfluxError> {
        self.send(hyper::Method::GET, "/ping", &[], b"").map(|_| ())
    }

    /// Runs InfluxQL statements; one Vec of series per statement. Times are epoch seconds.
    pub fn query(&self, q: &str) -> Result<Vec<Vec<Series>>, InfluxError> {
        let query = [("db", self.db.as_str()), ("epoch", "s"), ("q", q)];
        let body = self.send(hyper::Method::GET, "/query", &query, b"")?;
        let parsed: QueryResponse =
            serde_json::from_slice(&body).map_err(|e| InfluxError::Query {
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
        self.send(hyper::Method::POST, "/query", &[("q", q)], b"")
            .map(|_| ())
    }

    /// Writes line protocol with nanosecond time stamps, as Telegraf's influxdb output does.
    pub fn write_lines(&self, lines: &str) -> Result<(), InfluxError> {
        let query = [("db", self.db.as_str()), ("precision", "ns")];
        self.send(hyper::Method::POST, "/write", &query, lines.as_bytes())
            .map(|_| ())
    }
}

/// An error and its causes on one line (hyper's own text is only the outermost).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}
