//! `arrears`: the command-line tool of the Arrears engine (the code is the library,
//! `src/lib.rs`).

/// The binary's allocator: glibc's malloc grew slower as a long import ran (its free lists
/// fragmented by the caches' churn: twice the rows took 2.24 times, four times 5.6 times the
/// CPU), where mimalloc keeps the import linear (docs/BENCHMARKS.md section 6, session 13).
/// The library sets no allocator: an application embedding it chooses its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    arrears_cli::main()
}
