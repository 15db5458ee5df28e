//! Typed profile errors: each names the file, the field, the line and what is allowed.
use crate::text::{bounded, printable, shown};
use std::fmt;

/// Longest field path and message shown per problem, in characters.
const MAX_FIELD: usize = 200;
const MAX_MESSAGE: usize = 1000;

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted path of the offending field, e.g. `nodes[1].ip`.
    pub field: String,
    pub line: Option<usize>,
    pub message: String,
}

/// A profile that could not be loaded. Exit code 2.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileError {
    /// `--profile NAME` named no embedded profile and no file.
    UnknownProfile {
        name: String,
        embedded: Vec<String>,
    },
    Read {
        file: String,
        reason: String,
    },
    /// One or more problems in the file.
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::UnknownProfile { name, embedded } => write!(
                f,
                "unknown profile `{}`: embedded profiles are {}; or give the path of a profile YAML file",
                shown(name),
                embedded.join(", ")
            ),
            ProfileError::Read { file, reason } => {
                write!(f, "cannot read profile {}: {reason}", printable(file))
            }
            ProfileError::Invalid { file, problems } => {
                let file = printable(file);
                let n = problems.len();
                write!(
                    f,
                    "invalid profile {file} ({n} problem{}):",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    // Fields and messages may echo the input (an unknown key, a bad value):
                    // escaped, and bounded whatever their length.
                    let field = bounded(&p.field, MAX_FIELD);
                    let message = bounded(&p.message, MAX_MESSAGE);
                    match p.line {
                        Some(line) => write!(f, "\n  {file}:{line}: {field}: {message}")?,
                        None => write!(f, "\n  {file}: {field}: {message}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ProfileError {}
