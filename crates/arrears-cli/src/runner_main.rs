//! `arrears-plugin-runner`: the process an isolated plugin runs in. The engine starts it
//! (next to the `arrears` executable, or as `ARREARS_PLUGIN_RUNNER` names it) and talks to it
//! over its standard input and output; it is not meant to be run by hand.

fn main() -> std::process::ExitCode {
    arrears::plugin_host::runner::serve()
}
