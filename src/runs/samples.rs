//! A run's exported samples, `<cluster>/runs/<name>.samples.lp.gz`: gzip-compressed InfluxDB
//! 1.x line protocol in the layout `influx_inspect export` writes and `influx -import`
//! reads (comment lines, a `# DDL` and a `# DML` section), so any InfluxDB 1.x can load it
//! again. mlk's own header is one comment line of JSON (`# mlk-samples: {...}`): the format,
//! the run, the span, the queries, the source and the run record as it was; the last line
//! says how many points there are, so a cut file is noticed. docs/measurement.md, "Exported
//! samples", describes it.
//!
//! [`Exported`] reads a file back into the answers InfluxDB gave the export's queries, and
//! answers the report's selections from them as the live InfluxDB does.
use super::lineproto::{self, Value};
use super::{RunRecord, SamplesRef};
use crate::exit::{Class, classify};
use crate::report::influx::Series;
use crate::report::queries::{self, Select};
use crate::report::source::SampleSource;
use anyhow::Result;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The format this mlk writes and reads (`format` in the header and in the run record).
pub const FORMAT: &str = "mlk-samples/1";
const HEADER: &str = "# mlk-samples: ";
const END: &str = "# END mlk-samples points=";
/// The most text a samples file may unpack to. A day of `distributed` is some 3 million
/// points, ~300 MB of text; more is not a run's samples (or is a gzip bomb).
pub const MAX_TEXT: u64 = 1 << 30;

/// mlk's header line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub cluster: String,
    pub run: String,
    /// The span exported (RFC 3339 UTC): every query asked for `from <= time <= to`.
    pub from: String,
    pub to: String,
    pub exported_at: String,
    /// The InfluxDB as mlk reached it, and its database.
    pub source: String,
    pub database: String,
    /// The InfluxQL each measurement's lines answer.
    pub queries: Vec<String>,
    /// Series the report cannot use (other pods' veths, Docker and pod-network series) are
    /// left out; this says so in the file.
    pub omitted: String,
    /// The run record when the samples were exported (windows, pods, nodes, intervals).
    pub record: RunRecord,
}

/// One selection's answer, as exported.
pub struct Answer<'a> {
    pub select: &'a Select,
    pub series: Vec<Series>,
    /// Field types from `SHOW FIELD KEYS` (`integer` fields get the `i` suffix).
    pub types: BTreeMap<String, String>,
}

/// The file's bytes (gzip) and the number of points in it.
pub fn encode(h: &Header, answers: &[Answer]) -> Result<(Vec<u8>, u64)> {
    let mut text = format!(
        "# Samples of mlk run {}/{}: InfluxDB 1.x line protocol, gzip-compressed.\n\
         # Load into an InfluxDB 1.x with: influx -import -path=FILE -compressed (database {}).\n\
         # Written by mlk {}; the format is described in mlk's docs/measurement.md, \"Exported samples\".\n",
        h.cluster,
        h.run,
        h.database,
        crate::version::short()
    );
    text.push_str(HEADER);
    text.push_str(&serde_json::to_string(h)?);
    text.push('\n');
    text.push_str(&format!(
        "# DDL\nCREATE DATABASE {0}\n# DML\n# CONTEXT-DATABASE: {0}\n",
        h.database
    ));
    let mut points = 0u64;
    for a in answers {
        for s in &a.series {
            let cols: Vec<(usize, &str, bool)> = s
                .columns
                .iter()
                .enumerate()
                .skip(1)
                .map(|(i, c)| {
                    let int = a.types.get(c).is_some_and(|t| t == "integer");
                    (i, c.as_str(), int)
                })
                .collect();
            for row in &s.values {
                let t = row.first().and_then(|v| v.as_i64()).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: a row without an integer time: {row:?}",
                        a.select.measurement
                    )
                })?;
                let mut fields: Vec<(&str, Value)> = Vec::new();
                for &(i, name, int) in &cols {
                    let v = match row.get(i) {
                        None | Some(serde_json::Value::Null) => continue,
                        Some(v) => v,
                    };
                    let bad = || {
                        anyhow::anyhow!(
                            "{}.{name}: value {v} is not a number",
                            a.select.measurement
                        )
                    };
                    fields.push((
                        name,
                        match (int, v.as_i64()) {
                            (true, Some(n)) => Value::Int(n),
                            _ => Value::Float(v.as_f64().ok_or_else(bad)?),
                        },
                    ));
                }
                if fields.is_empty() {
                    continue;
                }
                let ns = t.checked_mul(1_000_000_000).ok_or_else(|| {
                    anyhow::anyhow!("{}: time {t} is out of range", a.select.measurement)
                })?;
                lineproto::write(&mut text, a.select.measurement, &s.tags, &fields, ns)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", a.select.measurement))?;
                points += 1;
            }
        }
    }
    text.push_str(&format!("{END}{points}\n"));
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(text.as_bytes())?;
    Ok((gz.finish()?, points))
}

/// Hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A file's samples, by measurement, in the order InfluxDB answered the export's queries.
pub struct Exported {
    pub path: PathBuf,
    pub header: Header,
    pub info: SamplesRef,
    series: BTreeMap<String, Vec<Series>>,
}

fn bad(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    classify(Class::Usage, format!("{}: {what}", path.display()))
}

/// The file run `rec`'s record points at (a plain file name in the folder of the records).
pub fn path_of(cluster_dir: &Path, rec: &RunRecord) -> Option<Result<PathBuf>> {
    let r = rec.samples.as_ref()?;
    let plain = !r.file.is_empty()
        && !r.file.starts_with('.')
        && !r.file.contains(['/', '\\'])
        && Path::new(&r.file).file_name() == Some(std::ffi::OsStr::new(&r.file));
    Some(if plain {
        Ok(super::runs_dir(cluster_dir).join(&r.file))
    } else {
        Err(classify(
            Class::Usage,
            format!(
                "{}: samples.file `{}`: allowed is a file name in the same folder (e.g. `{}.samples.lp.gz`)",
                super::path(cluster_dir, &rec.name).display(),
                r.file,
                rec.name
            ),
        ))
    })
}

impl Exported {
    /// Reads and checks the samples run `rec` exported: the file must exist, match the
    /// record's SHA-256, be a complete gzip stream of this format, and belong to this run.
    /// Every problem is a usage error (exit 2) naming the file.
    pub fn load(cluster_dir: &Path, rec: &RunRecord) -> Result<Exported> {
        let Some(path) = path_of(cluster_dir, rec) else {
            return Err(classify(
                Class::Usage,
                format!("run {}/{} has no exported samples", rec.cluster, rec.name),
            ));
        };
        let path = path?;
        let info = rec.samples.clone().expect("path_of checked");
        let bytes = std::fs::read(&path).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "the samples file of run {}/{} is missing (exported {}; the record {} points at it)",
                    rec.cluster,
                    rec.name,
                    info.exported_at,
                    super::path(cluster_dir, &rec.name).display()
                )
            } else {
                format!("cannot read it: {e}")
            };
            bad(&path, what)
        })?;
        let actual = sha256(&bytes);
        if actual != info.sha256 {
            return Err(bad(
                &path,
                format!(
                    "SHA-256 is {actual}, but run {}/{}'s record says {} ({} bytes exported, {} now): \
                     the file was changed or cut after the export, so its samples cannot be trusted",
                    rec.cluster,
                    rec.name,
                    info.sha256,
                    info.bytes,
                    bytes.len()
                ),
            ));
        }
        let (header, series) = decode(&path, &bytes)?;
        if header.format != FORMAT {
            return Err(bad(
                &path,
                format!("format `{}`: this mlk reads {FORMAT}", header.format),
            ));
        }
        if header.run != rec.name || header.cluster != rec.cluster {
            return Err(bad(
                &path,
                format!(
                    "holds the samples of run {}/{}, not of {}/{}",
                    header.cluster, header.run, rec.cluster, rec.name
                ),
            ));
        }
        Ok(Exported {
            path,
            header,
            info,
            series,
        })
    }

    /// Points in the file.
    pub fn points(&self) -> usize {
        self.series.values().flatten().map(|s| s.values.len()).sum()
    }
}

/// Parses a file's bytes: the header, and per measurement the series (tags, rows of time then
/// the selection's fields) in file order. Errors name the file and the line.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<(Header, BTreeMap<String, Vec<Series>>)> {
    let mut text = String::new();
    GzDecoder::new(bytes)
        .take(MAX_TEXT + 1)
        .read_to_string(&mut text)
        .map_err(|e| bad(path, format!("not a complete gzip file of text ({e})")))?;
    if text.len() as u64 > MAX_TEXT {
        return Err(bad(
            path,
            format!("unpacks to more than {MAX_TEXT} bytes: not a run's samples"),
        ));
    }
    let mut header: Option<Header> = None;
    let mut dml = false;
    let mut end: Option<u64> = None;
    let mut points = 0u64;
    let mut series: BTreeMap<String, Vec<Series>> = BTreeMap::new();
    let mut index: HashMap<(String, BTreeMap<String, String>), usize> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let at = |what: String| bad(path, format!("line {}: {what}", i + 1));
        if line.trim().is_empty() {
            continue;
        }
        if end.is_some() {
            return Err(at("a line after the end marker".into()));
        }
        if let Some(json) = line.strip_prefix(HEADER) {
            header = Some(
                serde_json::from_str(json).map_err(|e| at(format!("mlk-samples header: {e}")))?,
            );
            continue;
        }
        if let Some(n) = line.strip_prefix(END) {
            end = Some(
                n.trim()
                    .parse()
                    .map_err(|_| at(format!("end marker `{line}`")))?,
            );
            continue;
        }
        if line.starts_with("# DML") {
            dml = true;
        }
        if line.starts_with('#') || !dml {
            continue;
        }
        if header.is_none() {
            return Err(at("samples before the `# mlk-samples:` header".into()));
        }
        let p = lineproto::parse(line).map_err(at)?;
        points += 1;
        // Fields of measurements the report does not read are kept out, not refused.
        let Some(q) = queries::ALL.iter().find(|q| q.measurement == p.measurement) else {
            continue;
        };
        if p.time_ns % 1_000_000_000 != 0 {
            return Err(at(format!(
                "time stamp {} is not a whole second (mlk exports whole seconds)",
                p.time_ns
            )));
        }
        let mut row = vec![serde_json::Value::from(p.time_ns / 1_000_000_000)];
        row.extend(q.fields.iter().map(
            |f| match p.fields.iter().find(|(k, _)| k == f).map(|x| x.1) {
                Some(Value::Int(n)) => serde_json::Value::from(n),
                Some(Value::Float(x)) => serde_json::Value::from(x),
                None => serde_json::Value::Null,
            },
        ));
        let list = series.entry(p.measurement.clone()).or_default();
        let key = (p.measurement, p.tags);
        let k = *index.entry(key.clone()).or_insert_with(|| {
            list.push(Series {
                name: key.0.clone(),
                tags: key.1.clone(),
                columns: std::iter::once("time")
                    .chain(q.fields.iter().copied())
                    .map(String::from)
                    .collect(),
                values: Vec::new(),
            });
            list.len() - 1
        });
        list[k].values.push(row);
    }
    let header = header.ok_or_else(|| {
        bad(
            path,
            "no `# mlk-samples:` header line: not an mlk samples file",
        )
    })?;
    match end {
        Some(n) if n == points => {}
        Some(n) => {
            return Err(bad(
                path,
                format!("the end marker says {n} points, the file has {points}"),
            ));
        }
        None => {
            return Err(bad(
                path,
                format!("no end marker after {points} points: the file was cut short"),
            ));
        }
    }
    Ok((header, series))
}

impl SampleSource for Exported {
    fn select(&self, q: &Select, lo: i64, hi: i64) -> Result<Vec<Series>> {
        let Some(all) = self.series.get(q.measurement) else {
            return Ok(Vec::new());
        };
        Ok(all
            .iter()
            .filter_map(|s| {
                let values: Vec<Vec<serde_json::Value>> = s
                    .values
                    .iter()
                    .filter(|r| r[0].as_i64().is_some_and(|t| t >= lo && t <= hi))
                    .cloned()
                    .collect();
                if values.is_empty() {
                    return None;
                }
                // InfluxDB names every group-by tag, "" where a point has none.
                let tags = q
                    .group_by
                    .iter()
                    .map(|t| (t.to_string(), s.tags.get(*t).cloned().unwrap_or_default()))
                    .collect();
                Some(Series {
                    name: s.name.clone(),
                    tags,
                    columns: s.columns.clone(),
                    values,
                })
            })
            .collect())
    }

    fn ready(&self) -> Result<()> {
        Ok(())
    }

    fn origin(&self) -> String {
        let rel = Path::new(&self.header.cluster)
            .join(crate::layout::RUNS)
            .join(&self.info.file);
        format!(
            "the run's exported samples {} ({} points, sha256 {}…, checked), exported {} from {}",
            rel.display(),
            self.info.points,
            &self.info.sha256[..12.min(self.info.sha256.len())],
            self.info.exported_at,
            self.header.source
        )
    }
}
