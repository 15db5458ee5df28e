//! Epoch seconds ⇄ RFC 3339 (UTC), the two time forms the report and the run records use.
use anyhow::{Context, Result};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `1970-01-01T00:00:00Z` style, whole seconds.
pub fn rfc3339(epoch: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_secs(u64::try_from(epoch.max(0)).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Parses an RFC 3339 UTC time into epoch seconds.
pub fn parse(s: &str) -> Result<i64> {
    let t = humantime::parse_rfc3339_weak(s)
        .with_context(|| format!("`{s}` is not an RFC 3339 time"))?;
    let d = t.duration_since(UNIX_EPOCH).context("time before 1970")?;
    Ok(i64::try_from(d.as_secs())?)
}

/// Now, in epoch seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `1h 02m 03s` style durations for tables.
pub fn human(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        let s = super::rfc3339(1_700_000_000);
        assert_eq!(s, "2023-11-14T22:13:20Z");
        assert_eq!(super::parse(&s).unwrap(), 1_700_000_000);
        assert!(super::parse("yesterday").is_err());
        assert_eq!(super::human(3723), "1h 02m 03s");
    }
}
