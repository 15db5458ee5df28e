//! `mlk completion SHELL`: the shell completion script, generated from the command definition.
use anyhow::Result;
use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  mlk completion bash > ~/.local/share/bash-completion/completions/mlk
  mlk completion zsh > \"${fpath[1]}/_mlk\"
  mlk completion fish > ~/.config/fish/completions/mlk.fish
  mlk completion powershell >> $PROFILE")]
pub struct CompletionArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(a: &CompletionArgs) -> Result<()> {
    let mut cmd = crate::cli::command();
    clap_complete::generate(a.shell, &mut cmd, "mlk", &mut std::io::stdout());
    Ok(())
}
