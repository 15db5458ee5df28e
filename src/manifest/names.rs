//! The name formats the API server checks, as in kubernetes/kubernetes v1.32.5
//! `staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go` (published as
//! kubernetes/apimachinery v0.32.5, commit 59e9003f02d6f0c8fff53719a7a0604ec82ee9a9) and
//! `.../pkg/api/validation/path/name.go`. Each function returns the reasons a value is not
//! valid (empty when it is), worded like the API server's messages.

/// `IsDNS1123Label`: at most 63 of `[a-z0-9-]`, starting and ending alphanumeric.
pub fn dns1123_label(v: &str) -> Vec<String> {
    let mut e = Vec::new();
    if v.len() > 63 {
        e.push("must be no more than 63 characters".into());
    }
    if !label_chars(v, false) {
        e.push("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character".into());
    }
    e
}

/// `IsDNS1123Subdomain`: at most 253 characters, dot-separated RFC 1123 labels.
pub fn dns1123_subdomain(v: &str) -> Vec<String> {
    let mut e = Vec::new();
    if v.len() > 253 {
        e.push("must be no more than 253 characters".into());
    }
    if v.is_empty() || !v.split('.').all(|l| label_chars(l, false)) {
        e.push("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into());
    }
    e
}

/// `IsDNS1035Label`: like an RFC 1123 label, but starting with a letter (Service names).
pub fn dns1035_label(v: &str) -> Vec<String> {
    let mut e = Vec::new();
    if v.len() > 63 {
        e.push("must be no more than 63 characters".into());
    }
    if !label_chars(v, true) {
        e.push("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character".into());
    }
    e
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (or `[a-z]...` when `letter_first`).
fn label_chars(v: &str, letter_first: bool) -> bool {
    let b = v.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    let first_ok = if letter_first {
        first.is_ascii_lowercase()
    } else {
        first.is_ascii_lowercase() || first.is_ascii_digit()
    };
    first_ok
        && (last.is_ascii_lowercase() || last.is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// `IsValidPortName` (IANA_SVC_NAME, RFC 6335): 1-15 of `[-a-z0-9]`, at least one letter,
/// no `--`, no leading or trailing `-`.
pub fn port_name(v: &str) -> Vec<String> {
    let mut e = Vec::new();
    if v.len() > 15 {
        e.push("must be no more than 15 characters".into());
    }
    if v.is_empty()
        || !v
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        e.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !v.bytes().any(|c| c.is_ascii_lowercase()) {
        e.push("must contain at least one letter (a-z)".into());
    }
    if v.contains("--") {
        e.push("must not contain consecutive hyphens".into());
    }
    if v.starts_with('-') || v.ends_with('-') {
        e.push("must not begin or end with a hyphen".into());
    }
    e
}

/// `IsValidPathSegmentName` (path/name.go), what RBAC names must be: not `.` or `..`, no
/// `/` or `%` (so `system:aggregate-to-view` is fine).
pub fn path_segment(v: &str) -> Vec<String> {
    if v == "." || v == ".." {
        return vec![format!("may not be '{v}'")];
    }
    ["/", "%"]
        .iter()
        .filter(|c| v.contains(**c))
        .map(|c| format!("may not contain '{c}'"))
        .collect()
}

/// `IsValidLabelValue`: empty, or at most 63 of `[A-Za-z0-9_.-]` starting and ending
/// alphanumeric.
pub fn label_value(v: &str) -> Vec<String> {
    let mut e = Vec::new();
    if v.len() > 63 {
        e.push("must be no more than 63 characters".into());
    }
    let b = v.as_bytes();
    let ok = b.is_empty()
        || (b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c)));
    if !ok {
        e.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character".into());
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject_like_the_api_server() {
        assert!(dns1123_label("influxdb-0").is_empty());
        assert!(!dns1123_label("Influxdb").is_empty());
        assert!(!dns1123_label("-a").is_empty());
        assert!(!dns1123_label(&"a".repeat(64)).is_empty());
        assert!(dns1123_subdomain("cert-manager.io").is_empty());
        assert!(!dns1123_subdomain("a..b").is_empty());
        assert!(!dns1123_subdomain("").is_empty());
        assert!(dns1035_label("kapacitor-kapacitor").is_empty());
        assert!(!dns1035_label("0kapacitor").is_empty());
        assert!(port_name("http-metrics").is_empty());
        assert!(!port_name("influxdb-listener").is_empty(), "16 characters");
        assert!(!port_name("8080").is_empty(), "no letter");
        assert!(!port_name("a--b").is_empty());
        assert!(!port_name("Http").is_empty());
        assert!(path_segment("system:aggregate-to-view").is_empty());
        assert!(!path_segment("a/b").is_empty());
        assert!(label_value("v1.2_3").is_empty());
        assert!(!label_value("a b").is_empty());
    }
}
