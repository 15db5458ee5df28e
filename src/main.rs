//! Entry point: parse the command line, run it, map the error class to an exit code.
fn main() -> std::process::ExitCode {
    mlk::exit::report(mlk::run(mlk::cli::parse()))
}
