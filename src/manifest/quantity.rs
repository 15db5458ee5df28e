//! Kubernetes resource quantities (`100m`, `0.5`, `256Mi`, `1G`, `1e3`), as in
//! kubernetes/apimachinery v0.32.5 `pkg/api/resource/quantity.go` (`ParseQuantity`): a signed
//! decimal number, then an optional binary suffix (Ki Mi Gi Ti Pi Ei), decimal suffix
//! (n u m "" k M G T P E) or exponent (e3, E-2).

/// The value in base units (cores for CPU, bytes for memory), or None if it does not parse.
pub fn parse(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.starts_with(['e', 'E']) => 10f64.powi(e[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

/// A quantity from YAML, which may be a number (`cpu: 1`, `cpu: 0.1`) or a string.
pub fn of(v: &serde_yaml_ng::Value) -> Option<f64> {
    match v {
        serde_yaml_ng::Value::Number(n) => n.as_f64(),
        serde_yaml_ng::Value::String(s) => parse(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_forms_charts_use() {
        assert_eq!(parse("100m"), Some(0.1));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("256Mi"), Some(268435456.0));
        assert_eq!(parse("1G"), Some(1e9));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("1.5Gi"), Some(1.5 * 1073741824.0));
        assert_eq!(parse("12x"), None);
        assert_eq!(parse(""), None);
    }
}
