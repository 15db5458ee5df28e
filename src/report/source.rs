//! Where the report's samples come from: the cluster's live InfluxDB, or the samples a run
//! exported when it finished (`runs::samples`). `data::fetch` asks either the same questions
//! (the selections of `queries`) and gets the same answers, so a report's figures do not
//! depend on which one it read.
use super::influx::{Client, Series};
use super::queries::{self, Select};
use anyhow::Result;
use std::collections::BTreeMap;

pub trait SampleSource {
    /// The series of `q` with samples in `[lo, hi]` (epoch seconds), as InfluxDB answers
    /// `queries::select(q, lo, hi)`: one series per group-by tag set, in InfluxDB's order,
    /// columns `time` then `q.fields`, rows in time order.
    fn select(&self, q: &Select, lo: i64, hi: i64) -> Result<Vec<Series>>;
    /// Whether it can answer at all (InfluxDB answers `/ping`; a file was checked on loading).
    fn ready(&self) -> Result<()>;
    /// Where the samples come from, for the report's method section.
    fn origin(&self) -> String;
    /// Field name → InfluxDB type (`float`, `integer`) of `measurement`, where the source
    /// knows it: an export writes `integer` fields with line protocol's `i` suffix.
    fn field_types(&self, _measurement: &str) -> Result<BTreeMap<String, String>> {
        Ok(BTreeMap::new())
    }
}

impl SampleSource for Client {
    fn select(&self, q: &Select, lo: i64, hi: i64) -> Result<Vec<Series>> {
        let mut r = self.query(&queries::select(q, lo, hi))?;
        Ok(if r.is_empty() {
            Vec::new()
        } else {
            r.swap_remove(0)
        })
    }

    fn ready(&self) -> Result<()> {
        Ok(self.ping()?)
    }

    fn origin(&self) -> String {
        format!(
            "the cluster's live InfluxDB at {}, database {}",
            self.at, self.db
        )
    }

    fn field_types(&self, measurement: &str) -> Result<BTreeMap<String, String>> {
        Ok(Client::field_types(self, measurement)?)
    }
}
