//! `arrears`: the command-line tool of the Arrears engine (the code is the library,
//! `src/lib.rs`).

fn main() -> std::process::ExitCode {
    arrears_cli::main()
}
