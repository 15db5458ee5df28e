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

/// An error that carries its exit class. Wrap with [`classify`]; `report` finds it in the chain.
#[derive(Debug)]
pub struct Classified {
    pub class: Class,
    pub message: String,
}

impl fmt::Display for Classified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Classified {}

/// An error of class `class` with `message`.
pub fn classify(class: Class, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Classified {
        class,
        message: message.into(),
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
            // A bare Classified with an empty message means "already reported".
            // Whatever input a message echoes, it cannot drive the terminal.
            let msg = crate::text::printable(&format!("{err:#}"));
            if !msg.is_empty() {
                eprintln!("mlk: error: {msg}");
            }
            ExitCode::from(class.code())
        }
    }
}
