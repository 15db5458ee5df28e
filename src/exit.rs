//! Exit codes by failure class, and the one place errors are printed.
//!
//! | code | class |
//! |------|-------|
//! | 0    | success |
//! | 1    | other failure (also: `render --check` found drift) |
//! | 2    | usage or profile error |
//! | 3    | provider error (Vagrant, hypervisor, inventory) |
//! | 4    | a remote command failed |
//! | 5    | preflight check failed |
//! | 130  | interrupted |
use std::fmt;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Failure,
    Usage,
    Provider,
    Remote,
    Preflight,
    Interrupted,
}

impl Class {
    /// Lower-case name for JSON (`run_end.exit_class`).
    pub fn name(self) -> &'static str {
        match self {
            Class::Failure => "failure",
            Class::Usage => "usage",
            Class::Provider => "provider",
            Class::Remote => "remote",
            Class::Preflight => "preflight",
            Class::Interrupted => "interrupted",
        }
    }

    pub fn code(self) -> u8 {
        match self {
            Class::Failure => 1,
            Class::Usage => 2,
            Class::Provider => 3,
            Class::Remote => 4,
            Class::Preflight => 5,
            Class::Interrupted => 130,
        }
    }
}

/// An error that carries its exit class. Made by [`classify`] (a message of its own), [`tag`]
/// (words in front of another error) or [`retag`] (another error, no words added); `report`
/// finds it in the chain.
#[derive(Debug)]
pub struct Classified {
    pub class: Class,
    /// Empty for [`retag`]: the error then shows as the one it wraps.
    pub message: String,
    /// The error this one tags, kept whole: its causes stay in the chain.
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.cause, self.message.is_empty()) {
            (Some(c), true) => fmt::Display::fmt(c, f),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Classified {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        let cause = self.cause.as_deref()?;
        if self.message.is_empty() {
            // Shown in this error's place: its own causes follow.
            cause.source()
        } else {
            Some(cause)
        }
    }
}

/// An error of class `class` with `message`.
pub fn classify(class: Class, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        class,
        message: message.into(),
        cause: None,
    })
}

/// `err` as class `class`, after `context`: `{:#}` prints `context: <err's chain>`, and the
/// chain keeps `err`'s causes (they are not flattened into a string).
pub fn tag(
    class: Class,
    context: impl fmt::Display,
    err: impl Into<anyhow::Error>,
) -> anyhow::Error {
    anyhow::Error::new(Classified {
        class,
        message: context.to_string(),
        cause: Some(err.into().into()),
    })
}

/// `err` as class `class`, shown exactly as before (`{:#}` prints its chain unchanged).
pub fn retag(class: Class, err: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        class,
        message: String::new(),
        cause: Some(err.into().into()),
    })
}

/// The class of an error: the first classified cause in its chain, else by known types.
pub fn class_of(err: &anyhow::Error) -> Class {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Classified>() {
            return c.class;
        }
        if cause
            .downcast_ref::<crate::profile::ProfileError>()
            .is_some()
        {
            return Class::Usage;
        }
        // A node that cannot be reached or answers wrongly is a remote failure wherever it
        // happens (a host stage drives nodes too).
        if cause.downcast_ref::<crate::remote::RemoteError>().is_some() {
            return Class::Remote;
        }
    }
    Class::Failure
}

/// Prints the error chain (if any) to stderr and returns the exit code.
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let class = class_of(&err);
            // A Classified with an empty message and no cause means "already reported".
            // Whatever input a message echoes, it cannot drive the terminal.
            let msg = crate::text::printable(&format!("{err:#}"));
            if !msg.is_empty() {
                eprintln!("mlk: error: {msg}");
            }
            ExitCode::from(class.code())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_the_chain_and_print_as_the_flattened_message_did() {
        let inner = anyhow::Error::new(std::io::Error::other("disk on fire")).context("writing x");
        let flat = format!("provider p: {inner:#}");
        let e = tag(Class::Provider, "provider p", inner);
        assert_eq!(format!("{e:#}"), flat);
        assert_eq!(class_of(&e), Class::Provider);
        assert!(
            e.chain().any(|c| c.is::<std::io::Error>()),
            "the cause is kept"
        );

        let inner = anyhow::Error::new(std::io::Error::other("gone")).context("reading y");
        let flat = format!("{inner:#}");
        let e = retag(Class::Remote, inner);
        assert_eq!(
            (format!("{e:#}"), format!("{e}")),
            (flat, "reading y".into())
        );
        assert_eq!(class_of(&e), Class::Remote);
        assert!(e.chain().any(|c| c.is::<std::io::Error>()));
        // The outermost class wins, as with classify.
        assert_eq!(class_of(&retag(Class::Usage, e)), Class::Usage);
    }
}
