//! The plugin runner of the isolation bench (`plugin_isolation`): any binary that calls
//! `arrears::plugin_host::runner::serve` is one; the bench names this one explicitly.

fn main() -> std::process::ExitCode {
    arrears::plugin_host::runner::serve()
}
