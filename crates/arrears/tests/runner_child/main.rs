//! A plugin runner for the engine's isolation tests: any binary that calls
//! `arrears::plugin_host::runner::serve` is one.

fn main() -> std::process::ExitCode {
    arrears::plugin_host::runner::serve()
}
