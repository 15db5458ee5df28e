//! Maps YAML paths (`nodes[1].ip`) to 1-based line numbers, for error messages.
//!
//! serde only reports a position for syntax and type errors; semantic checks (a duplicate IP)
//! need the line of a field that parsed fine, so we walk the event stream once more.
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

enum Frame {
    Map {
        key: Option<String>,
        expect_key: bool,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<(Frame, String)>,
    lines: HashMap<String, usize>,
}

impl Walker {
    /// The path of the node that starts now, and bookkeeping for its parent.
    fn child_path(&mut self) -> Option<String> {
        let (frame, base) = self.stack.last_mut()?;
        match frame {
            Frame::Map { key, expect_key } => {
                if *expect_key {
                    return None;
                }
                let k = key.take().unwrap_or_default();
                *expect_key = true;
                Some(if base.is_empty() {
                    k
                } else {
                    format!("{base}.{k}")
                })
            }
            Frame::Seq { index } => {
                let p = format!("{base}[{index}]");
                *index += 1;
                Some(p)
            }
        }
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        match ev {
            Event::Scalar(value, ..) => {
                if let Some((Frame::Map { key, expect_key }, base)) = self.stack.last_mut()
                    && *expect_key
                {
                    let path = if base.is_empty() {
                        value.clone()
                    } else {
                        format!("{base}.{value}")
                    };
                    self.lines.entry(path).or_insert(line);
                    *key = Some(value);
                    *expect_key = false;
                    return;
                }
                if let Some(path) = self.child_path() {
                    self.lines.entry(path).or_insert(line);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.child_path().unwrap_or_default();
                if !path.is_empty() {
                    self.lines.entry(path.clone()).or_insert(line);
                }
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        key: None,
                        expect_key: true,
                    }
                } else {
                    Frame::Seq { index: 0 }
                };
                self.stack.push((frame, path));
            }
            // An alias (`*x`) is a value too: without this, the next key of its map would be
            // taken for a value and every later path in that map would shift.
            Event::Alias(_) => {
                if let Some(path) = self.child_path() {
                    self.lines.entry(path).or_insert(line);
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// Line of every path in `src`; empty when the YAML does not parse.
pub fn index(src: &str) -> HashMap<String, usize> {
    let mut walker = Walker::default();
    let mut parser = Parser::new_from_str(src);
    if parser.load(&mut walker, false).is_err() {
        return HashMap::new();
    }
    walker.lines
}

/// The line of `path`, or of its nearest ancestor that has one.
pub fn find(lines: &HashMap<String, usize>, path: &str) -> Option<usize> {
    let mut p = path;
    loop {
        if let Some(l) = lines.get(p) {
            return Some(*l);
        }
        let cut = p.rfind(['.', '['])?;
        p = &p[..cut];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_lines() {
        let src = "name: a\nnodes:\n  - name: n1\n    ip: 1.2.3.4\n  - name: n2\n    ip: 1.2.3.5\n";
        let l = index(src);
        assert_eq!(l.get("name"), Some(&1));
        assert_eq!(l.get("nodes"), Some(&2));
        assert_eq!(l.get("nodes[0].ip"), Some(&4));
        assert_eq!(l.get("nodes[1].name"), Some(&5));
        assert_eq!(find(&l, "nodes[1].ip.x"), Some(6));
    }

    #[test]
    fn aliases_and_flow_collections_keep_paths_aligned() {
        let src = "a: &x 1\nb: *x\nc: 3\nnodes: [{name: n1, ip: 1.2.3.4}, {name: n2}]\nlast: 9\n";
        let l = index(src);
        assert_eq!(l.get("b"), Some(&2));
        assert_eq!(l.get("c"), Some(&3));
        assert_eq!(l.get("nodes[1].name"), Some(&4));
        assert_eq!(l.get("last"), Some(&5));
        assert!(!l.contains_key("1"), "a value was taken for a key: {l:?}");
    }
}
