//! The fleet's members: cluster names from `--count` and `--prefix` (`lab-01` ...), from
//! `--names alice,bob`, or from a roster CSV (`--roster students.csv`). Every name is a valid
//! cluster name and appears once; a bad one is a usage error (exit 2) naming where it is.
use crate::exit::{Class, classify};
use crate::text::shown;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One member: its cluster, and who it is for when a roster said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub cluster: String,
    /// The student's (or group's) name as the roster wrote it; None for `--count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Most clusters a fleet may have: far above a class, and it keeps `--count` typos (1000)
/// from planning a thousand folders.
pub const MAX_CLUSTERS: usize = 200;

/// The columns a roster CSV may have (the header row names them, in any order).
pub const ROSTER_COLUMNS: [&str; 3] = ["cluster", "student", "email"];

fn usage(m: String) -> anyhow::Error {
    classify(Class::Usage, m)
}

/// `prefix-01` ... `prefix-NN`, numbers padded to the width of `count` (at least two digits).
pub fn numbered(prefix: &str, count: usize) -> Result<Vec<Member>> {
    if count == 0 || count > MAX_CLUSTERS {
        return Err(usage(format!(
            "--count {count}: a fleet has 1 to {MAX_CLUSTERS} clusters"
        )));
    }
    let width = count.to_string().len().max(2);
    let names: Vec<String> = (1..=count)
        .map(|i| format!("{prefix}-{i:0width$}"))
        .collect();
    check_names(
        names
            .iter()
            .map(|n| (n.as_str(), format!("--prefix {prefix}"))),
    )?;
    Ok(names
        .into_iter()
        .map(|cluster| Member {
            cluster,
            student: None,
            email: None,
        })
        .collect())
}

/// `--names alice,bob` (comma-separated, or the flag repeated).
pub fn listed(values: &[String]) -> Result<Vec<Member>> {
    let names: Vec<(String, String)> = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .enumerate()
        .map(|(i, n)| (n.to_string(), format!("--names item {}", i + 1)))
        .collect();
    if names.is_empty() || names.len() > MAX_CLUSTERS {
        return Err(usage(format!(
            "--names: a fleet has 1 to {MAX_CLUSTERS} clusters, got {}",
            names.len()
        )));
    }
    check_names(names.iter().map(|(n, w)| (n.as_str(), w.clone())))?;
    Ok(names
        .into_iter()
        .map(|(cluster, _)| Member {
            cluster,
            student: None,
            email: None,
        })
        .collect())
}

/// Every name valid and unique; errors name `where` of the bad one (and of its first use).
fn check_names<'a>(names: impl Iterator<Item = (&'a str, String)>) -> Result<()> {
    let mut seen: Vec<(&str, String)> = Vec::new();
    for (name, at) in names {
        crate::cluster::ClusterName::check(name).map_err(|why| usage(format!("{at}: {why}")))?;
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            return Err(usage(format!(
                "{at}: cluster name `{name}` is given twice (first at {first}); every cluster needs its own name"
            )));
        }
        seen.push((name, at));
    }
    Ok(())
}

/// Reads a roster CSV: a header row naming some of [`ROSTER_COLUMNS`] (`cluster` required),
/// then one row per cluster. Errors name the file and line.
pub fn roster(path: &Path) -> Result<Vec<Member>> {
    let file = path.display().to_string();
    let text = crate::fsutil::read_input_text(path, crate::fsutil::MAX_INPUT)
        .map_err(|why| usage(format!("cannot read the roster {file}: {why}")))?;
    parse_roster(&text, &file)
}

/// [`roster`] on text; `file` names it in errors.
pub fn parse_roster(text: &str, file: &str) -> Result<Vec<Member>> {
    let rows = parse_csv(text).map_err(|(line, why)| usage(format!("{file}:{line}: {why}")))?;
    let mut rows = rows
        .into_iter()
        .filter(|(_, r)| !r.iter().all(|c| c.trim().is_empty()));
    let Some((hline, header)) = rows.next() else {
        return Err(usage(format!(
            "{file}: empty roster; the first line names the columns ({}), e.g. `cluster,student,email`",
            ROSTER_COLUMNS.join(", ")
        )));
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (i, h) in header.iter().enumerate() {
        if !ROSTER_COLUMNS.contains(&h.as_str()) {
            return Err(usage(format!(
                "{file}:{hline}: column {} `{}` is not one mlk knows; allowed: {} (`cluster` is required)",
                i + 1,
                shown(h),
                ROSTER_COLUMNS.join(", ")
            )));
        }
        if header[..i].contains(h) {
            return Err(usage(format!(
                "{file}:{hline}: column `{h}` is given twice"
            )));
        }
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let Some(ci) = col("cluster") else {
        return Err(usage(format!(
            "{file}:{hline}: no `cluster` column; the header names the columns ({}), e.g. `cluster,student,email`",
            ROSTER_COLUMNS.join(", ")
        )));
    };
    let (si, ei) = (col("student"), col("email"));
    let mut out = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (line, row) in rows {
        if row.len() != header.len() {
            return Err(usage(format!(
                "{file}:{line}: {} field(s), but the header has {} ({})",
                row.len(),
                header.len(),
                header.join(",")
            )));
        }
        let cluster = row[ci].trim().to_string();
        crate::cluster::ClusterName::check(&cluster)
            .map_err(|why| usage(format!("{file}:{line}: cluster: {why}")))?;
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == cluster) {
            return Err(usage(format!(
                "{file}:{line}: cluster `{cluster}` is given twice (first at line {first}); every cluster needs its own name"
            )));
        }
        seen.push((cluster.clone(), line));
        let field = |i: Option<usize>| {
            i.map(|i| row[i].trim().to_string())
                .filter(|s| !s.is_empty())
        };
        out.push(Member {
            cluster,
            student: field(si),
            email: field(ei),
        });
    }
    if out.is_empty() || out.len() > MAX_CLUSTERS {
        return Err(usage(format!(
            "{file}: a roster lists 1 to {MAX_CLUSTERS} clusters, this one {}",
            out.len()
        )));
    }
    Ok(out)
}

/// Rows of a CSV file: (line where the row starts, its fields).
pub type CsvRows = Vec<(usize, Vec<String>)>;

/// RFC 4180 CSV: fields separated by commas, optionally in double quotes (`""` is a quote;
/// a quoted field may hold commas and line breaks). Returns (line where the row starts,
/// fields). An error gives the line and why.
pub fn parse_csv(text: &str) -> Result<CsvRows, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // a BOM from spreadsheet exports
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() && !was_quoted => {
                quoted = true;
                was_quoted = true;
            }
            '"' => {
                return Err((
                    line,
                    "a quote inside an unquoted field; quote the whole field and write \"\" for a quote".into(),
                ));
            }
            ',' => {
                row.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                was_quoted = false;
                line += 1;
                row_line = line;
            }
            _ if was_quoted => {
                return Err((line, "text after a closing quote".into()));
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err((row_line, "a quoted field is not closed".into()));
    }
    if !field.is_empty() || !row.is_empty() || was_quoted {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

/// One CSV field, quoted when it needs to be.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_are_padded() {
        let n = numbered("lab", 12).unwrap();
        assert_eq!(n[0].cluster, "lab-01");
        assert_eq!(n[11].cluster, "lab-12");
        assert_eq!(numbered("g", 120).unwrap()[4].cluster, "g-005");
        assert!(numbered("Lab", 2).is_err());
        assert!(numbered("lab", 0).is_err());
    }

    #[test]
    fn csv_quotes_commas_and_line_breaks() {
        let rows = parse_csv("a,\"b, c\",\"say \"\"hi\"\"\"\r\nx,\"two\nlines\",z\n").unwrap();
        assert_eq!(
            rows[0],
            (1, vec!["a".into(), "b, c".into(), "say \"hi\"".into()])
        );
        assert_eq!(
            rows[1],
            (2, vec!["x".into(), "two\nlines".into(), "z".into()])
        );
        assert_eq!(parse_csv("a,b\"c\n").unwrap_err().0, 1);
        assert_eq!(parse_csv("ok\n\"open\n").unwrap_err().0, 2);
        let back: Vec<String> = ["a,b", "q\"", "plain"]
            .iter()
            .map(|s| csv_field(s))
            .collect();
        assert_eq!(back.join(","), "\"a,b\",\"q\"\"\",plain");
    }

    #[test]
    fn roster_errors_name_the_line() {
        let ok = parse_roster(
            "student,cluster,email\nAda Lovelace,ada,ada@example.org\n\nAlan,alan,\n",
            "r.csv",
        )
        .unwrap();
        assert_eq!(ok[0].student.as_deref(), Some("Ada Lovelace"));
        assert_eq!(ok[1].cluster, "alan");
        assert_eq!(ok[1].email, None);
        let e = |t: &str| format!("{:#}", parse_roster(t, "r.csv").unwrap_err());
        assert!(
            e("cluster\nada\nbob\nada\n")
                .contains("r.csv:4: cluster `ada` is given twice (first at line 2)")
        );
        assert!(e("cluster\nAda\n").starts_with("r.csv:2: cluster: `Ada` is not a cluster name"));
        assert!(e("cluster,student\nada\n").contains("r.csv:2: 1 field(s), but the header has 2"));
        assert!(e("cluster,phone\n").contains("r.csv:1: column 2 `phone` is not one mlk knows"));
        assert!(e("student\nx\n").contains("r.csv:1: no `cluster` column"));
        assert!(e("").contains("empty roster"));
    }
}
