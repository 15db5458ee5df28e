//! The nesting bound, checked before a profile is parsed: YAML scanners spend time quadratic
//! in the nesting depth (100 000 `[` took 98 s), and no profile nests deeper than a few levels.
use super::error::Problem;
use yaml_rust2::parser::{Event, Parser};

/// Deepest nesting of mappings and sequences accepted. A profile needs 5
/// (`components.tick.versions.<chart>` in the root mapping).
pub const MAX_DEPTH: usize = 32;

/// A problem when `src` nests deeper than [`MAX_DEPTH`]. Reading stops at the first level too
/// deep, so the check costs at most MAX_DEPTH levels' worth of scanning. Syntax errors are
/// left to the real parser, which reports them better.
pub fn check(src: &str) -> Option<Problem> {
    let too_deep = |line: usize| Problem {
        field: "(document)".into(),
        line: Some(line),
        message: format!(
            "mappings and lists nested deeper than {MAX_DEPTH} levels; a profile needs at most 5"
        ),
    };
    let mut parser = Parser::new_from_str(src);
    let mut depth = 0usize;
    loop {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => return None,
            // The scanner's own bound on flow nesting (`[[[…`) stops it early; that is our
            // case too. Other syntax errors are the parser's to report.
            Err(e) if e.info().contains("recursion limit") => {
                return Some(too_deep(e.marker().line()));
            }
            Err(_) => return None,
            Ok((Event::MappingStart(..) | Event::SequenceStart(..), mark)) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(too_deep(mark.line()));
                }
            }
            Ok((Event::MappingEnd | Event::SequenceEnd, _)) => depth = depth.saturating_sub(1),
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_documents_are_refused_and_real_profiles_pass() {
        for deep in [
            "[".repeat(100_000),
            "{a: ".repeat(50_000),
            "- ".repeat(100_000),
        ] {
            let t = std::time::Instant::now();
            let p = check(&deep).expect("too deep");
            assert!(p.message.contains("deeper than 32"), "{p:?}");
            // A hang detector, not a benchmark: the unbounded scan took minutes.
            assert!(t.elapsed().as_secs() < 5);
        }
        for name in crate::profile::embedded_names() {
            assert_eq!(check(crate::profile::embedded_source(&name).unwrap()), None);
        }
        assert_eq!(
            check(&format!("{}{}", "[".repeat(32), "]".repeat(32))),
            None
        );
        assert!(check(&format!("{}{}", "[".repeat(33), "]".repeat(33))).is_some());
    }
}
