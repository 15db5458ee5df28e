//! InfluxDB 1.x line protocol, as far as exported samples need it: one point per line,
//! `measurement[,tag=value...] field=value[,field=value...] time_ns`, integer fields with an
//! `i` suffix, floats plain, names escaped with `\` (InfluxDB 1.x "Line protocol reference":
//! commas and spaces in measurements; commas, equals signs and spaces in tag keys, tag values
//! and field keys).
use std::collections::BTreeMap;
use std::fmt::Write;

/// A numeric field value. Both become the same f64 the report computes with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
}

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub measurement: String,
    pub tags: BTreeMap<String, String>,
    pub fields: Vec<(String, Value)>,
    pub time_ns: i64,
}

fn escape(out: &mut String, s: &str, special: &[char]) {
    for c in s.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
}

const MEASUREMENT: &[char] = &[',', ' '];
const KEY: &[char] = &[',', '=', ' '];

/// Appends one line (with its newline). Empty tag values are left out, as line protocol has no
/// way to write them (InfluxDB answers a GROUP BY on a missing tag with ""). Names must not
/// hold a line break; floats must be finite.
pub fn write(
    out: &mut String,
    measurement: &str,
    tags: &BTreeMap<String, String>,
    fields: &[(&str, Value)],
    time_ns: i64,
) -> Result<(), String> {
    let names = std::iter::once(measurement)
        .chain(tags.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
        .chain(fields.iter().map(|f| f.0));
    for n in names {
        if n.contains(['\n', '\r']) {
            return Err(format!("`{}` holds a line break", n.escape_debug()));
        }
    }
    if fields.is_empty() {
        return Err(format!("{measurement}: a point needs a field"));
    }
    escape(out, measurement, MEASUREMENT);
    for (k, v) in tags.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(',');
        escape(out, k, KEY);
        out.push('=');
        escape(out, v, KEY);
    }
    for (i, (k, v)) in fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        escape(out, k, KEY);
        out.push('=');
        match v {
            Value::Int(n) => {
                let _ = write!(out, "{n}i");
            }
            // Rust prints the shortest decimal that reads back as the same f64.
            Value::Float(f) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            Value::Float(f) => return Err(format!("{measurement}.{k}: {f} is not finite")),
        }
    }
    let _ = writeln!(out, " {time_ns}");
    Ok(())
}

/// Splits `s` at the first unescaped character of `stops` outside double quotes; returns
/// (the part before, unescaped; the stop character; the rest after it).
fn take<'a>(s: &'a str, stops: &[char]) -> (String, Option<char>, &'a str) {
    let mut out = String::new();
    let mut quoted = false;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        match c {
            '\\' => match it.peek() {
                Some(&(_, n)) if matches!(n, ',' | '=' | ' ' | '"' | '\\') => {
                    out.push(n);
                    it.next();
                }
                _ => out.push(c),
            },
            '"' => {
                quoted = !quoted;
                out.push(c);
            }
            c if !quoted && stops.contains(&c) => {
                return (out, Some(c), &s[i + c.len_utf8()..]);
            }
            c => out.push(c),
        }
    }
    (out, None, "")
}

fn value(raw: &str) -> Result<Value, String> {
    if let Some(n) = raw.strip_suffix('i').or_else(|| raw.strip_suffix('u')) {
        return n
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("`{raw}` is not an integer"));
    }
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() => Ok(Value::Float(f)),
        _ => Err(format!(
            "`{raw}` is not a number (exported samples hold integer and float fields only)"
        )),
    }
}

/// Parses one line of line protocol with a time stamp (nanoseconds).
pub fn parse(line: &str) -> Result<Point, String> {
    let (measurement, mut stop, mut rest) = take(line, &[',', ' ']);
    if measurement.is_empty() {
        return Err("no measurement".into());
    }
    let mut tags = BTreeMap::new();
    while stop == Some(',') {
        let (k, s, r) = take(rest, &['=', ' ', ',']);
        if s != Some('=') || k.is_empty() {
            return Err(format!("tag `{k}` has no `=value`"));
        }
        let (v, s, r) = take(r, &[',', ' ']);
        tags.insert(k, v);
        (stop, rest) = (s, r);
    }
    if stop != Some(' ') {
        return Err("no fields".into());
    }
    let mut fields = Vec::new();
    loop {
        let (k, s, r) = take(rest, &['=', ' ', ',']);
        if s != Some('=') || k.is_empty() {
            return Err(format!("field `{k}` has no `=value`"));
        }
        let (raw, s, r) = take(r, &[',', ' ']);
        fields.push((
            k.clone(),
            value(&raw).map_err(|e| format!("field {k}: {e}"))?,
        ));
        rest = r;
        match s {
            Some(',') => continue,
            Some(' ') => break,
            _ => return Err("no time stamp".into()),
        }
    }
    let time_ns = rest.trim().parse::<i64>().map_err(|_| {
        format!(
            "time stamp `{}` is not an integer (nanoseconds)",
            rest.trim()
        )
    })?;
    Ok(Point {
        measurement,
        tags,
        fields,
        time_ns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_exactly() {
        let mut tags = BTreeMap::new();
        tags.insert("host".to_string(), "node 1,a=b".to_string());
        tags.insert("empty".to_string(), String::new());
        tags.insert("io.kubernetes.pod.name".to_string(), "p".to_string());
        let floats = [0.1 + 0.2, 1e300, 5e-324, -0.0, 60.0, 1.0 / 3.0];
        let mut line = String::new();
        let fields: Vec<(&str, Value)> = vec![
            ("n_cpus", Value::Int(8)),
            ("x y", Value::Float(floats[0])),
            ("big", Value::Float(floats[1])),
            ("tiny", Value::Float(floats[2])),
            ("neg", Value::Float(floats[3])),
            ("sixty", Value::Float(floats[4])),
            ("third", Value::Float(floats[5])),
            ("min", Value::Int(i64::MIN)),
        ];
        write(
            &mut line,
            "cpu load,x",
            &tags,
            &fields,
            1_700_000_000_000_000_000,
        )
        .unwrap();
        assert!(line.starts_with(
            r"cpu\ load\,x,host=node\ 1\,a\=b,io.kubernetes.pod.name=p n_cpus=8i,x\ y="
        ));
        assert!(line.contains(",sixty=60,"), "{line}");
        let p = parse(line.trim_end()).unwrap();
        assert_eq!(p.measurement, "cpu load,x");
        assert_eq!(p.tags["host"], "node 1,a=b");
        assert!(!p.tags.contains_key("empty"));
        assert_eq!(p.time_ns, 1_700_000_000_000_000_000);
        for ((k, v), (k2, v2)) in fields.iter().zip(&p.fields) {
            assert_eq!(k, k2);
            match (v, v2) {
                (Value::Float(a), Value::Float(b)) => assert_eq!(a.to_bits(), b.to_bits(), "{k}"),
                (a, b) => assert_eq!(a, b),
            }
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (line, want) in [
            ("cpu", "no fields"),
            ("cpu,host a=1 1", "tag `host` has no `=value`"),
            ("cpu a=1", "no time stamp"),
            ("cpu a=x 1", "`x` is not a number"),
            ("cpu a=\"s\" 1", "is not a number"),
            ("cpu a=NaN 1", "is not a number"),
            ("cpu a=1i 1x", "time stamp `1x`"),
            ("cpu a=12.5xi 1", "not an integer"),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.contains(want), "{line}: {e}");
        }
        assert!(write(&mut String::new(), "m", &BTreeMap::new(), &[], 0).is_err());
        assert!(
            write(
                &mut String::new(),
                "m\n",
                &BTreeMap::new(),
                &[("a", Value::Int(1))],
                0
            )
            .is_err()
        );
    }
}
