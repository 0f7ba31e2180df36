//! The examples of docs/CLI.md (and of docs/CASH.md's worked example) replay: each `$ arrears
//! ...` line of a `console` block of a section runs on the sample portfolio (after the
//! section's setup), from the repository's root, in the order of the document, and its output (stdout, then stderr) must be the lines that follow it up to the
//! next `$` line or the end of the block; a line `...` stands for any lines. A command
//! followed by no lines is run for its effect and must succeed; `$ echo $?` followed by a
//! number is the exit code of the command before.
//!
//! `UPDATE_DOCS=1 cargo test -p arrears-cli --test it docs::` writes the actual outputs into
//! the document instead (review the diff: the text around an example may need to change too).

use crate::Env;

/// The document `name` of docs/.
fn doc_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs").join(name)
}

/// The section of docs/`name` that starts with `heading` and ends at the next heading of
/// its level or above.
fn section(name: &str, heading: &str) -> String {
    let doc = std::fs::read_to_string(doc_path(name)).unwrap();
    let start = doc.find(heading).unwrap_or_else(|| panic!("{heading} in docs/{name}"));
    let rest = &doc[start + heading.len()..];
    let level = heading.split(' ').next().unwrap_or("##");
    let end = (2..=level.len())
        .filter_map(|hashes| rest.find(&format!("\n{} ", "#".repeat(hashes))))
        .min()
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// `text` with the output of each example that shows one replaced by `outputs`, in order.
fn blessed(text: &str, outputs: &[String]) -> String {
    let mut outputs = outputs.iter();
    let mut parts = text.split("```console\n");
    let mut result = parts.next().unwrap_or_default().to_owned();
    for block in parts {
        let end = block.find("```").expect("a closed block");
        let (body, rest) = block.split_at(end);
        result.push_str("```console\n");
        let mut shows = false;
        let mut lines = body.lines();
        while let Some(line) = lines.next() {
            if line.starts_with("$ arrears ") {
                let output = outputs.next().expect("an output per command");
                result.push_str(line);
                result.push('\n');
                result.push_str(output);
                shows = true;
            } else if line == "$ echo $?" {
                result.push_str(line);
                result.push('\n');
                result.push_str(lines.next().unwrap_or_default());
                result.push('\n');
            } else if !shows {
                result.push_str(line);
                result.push('\n');
            }
        }
        result.push_str(rest);
    }
    result
}

/// An example: the command, the output it shows, and the exit code `$ echo $?` shows.
struct Example {
    command: String,
    output: String,
    code: Option<i32>,
}

/// The commands of the `console` blocks of `text`, with the output each shows.
fn examples(text: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    for block in text.split("```console\n").skip(1) {
        let block = &block[..block.find("```").expect("a closed block")];
        let mut lines = block.lines();
        while let Some(line) = lines.next() {
            if let Some(command) = line.strip_prefix("$ arrears ") {
                let output = String::new();
                examples.push(Example { command: command.to_owned(), output, code: None });
            } else if line == "$ echo $?" {
                let code = lines.next().and_then(|code| code.parse().ok());
                examples.last_mut().expect("a command before echo").code = code;
            } else if let Some(example) = examples.last_mut() {
                example.output.push_str(line);
                example.output.push('\n');
            }
        }
    }
    examples
}

/// True if and only if `actual` is `expected`, where a line `...` of `expected` stands for
/// any lines.
fn matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("...\n").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let mut rest = actual;
    for (index, part) in parts.iter().enumerate() {
        if index == 0 {
            let Some(after) = rest.strip_prefix(part) else { return false };
            rest = after;
        } else if index == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else { return false };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// Splits a command line as a shell would for these examples: words, and double-quoted
/// strings as one word.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in command.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Replays `examples` on `env`; the commands whose output differs, with both outputs, and
/// the outputs to bless (the actual one where the example shows one without `...`).
fn replay(env: &Env, examples: &[Example]) -> (Vec<String>, Vec<String>) {
    let mut differences = Vec::new();
    let mut outputs = Vec::new();
    for Example { command, output: expected, code } in examples {
        let words = words(command);
        let args: Vec<&str> = words.iter().map(String::as_str).collect();
        // From the repository's root, as the documents say (`examples/data/...`).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let run = env.run_from(&root, &args);
        let actual = format!("{}{}", run.stdout, run.stderr);
        // Without `echo $?`, a command succeeds unless what it shows is a refusal or an error.
        let failing = expected.starts_with("rejected:") || expected.starts_with("error:");
        let same = match code {
            Some(code) => matches(expected, &actual) && run.code == *code,
            None if expected.is_empty() => run.code == 0,
            None => matches(expected, &actual) && (run.code == 0) != failing,
        };
        let keep = expected.is_empty() || expected.contains("...\n");
        outputs.push(if keep { expected.clone() } else { actual.clone() });
        if !same {
            differences.push(format!(
                "$ arrears {command}\n--- docs:\n{expected}--- actual (exit {}):\n{actual}",
                run.code
            ));
        }
    }
    (differences, outputs)
}

/// Replays the section of docs/CLI.md under `heading` on the sample portfolio, after
/// running `setup`.
fn replay_section(heading: &str, setup: &[&[&str]], examples_min: usize) {
    replay_sections(&[heading], setup, examples_min);
}

/// Replays the sections of docs/CLI.md under `headings`, in this order, on one sample
/// portfolio, after running `setup`.
fn replay_sections(headings: &[&str], setup: &[&[&str]], examples_min: usize) {
    let env = Env::sample();
    for command in setup {
        env.run(command).ok();
    }
    let replayed = replay_in(&env, headings);
    assert!(replayed >= examples_min, "{replayed} examples");
}

/// Replays the sections of docs/CLI.md under `headings`, in this order, on `env`, asserting
/// that every example shows what the command prints (or, with `UPDATE_DOCS`, writing what it
/// prints into the document); returns how many commands ran.
pub(crate) fn replay_in(env: &Env, headings: &[&str]) -> usize {
    replay_doc_in(env, "CLI.md", headings)
}

/// [`replay_in`] for the document `name` of docs/.
pub(crate) fn replay_doc_in(env: &Env, name: &str, headings: &[&str]) -> usize {
    let mut replayed = 0;
    for heading in headings {
        let text = section(name, heading);
        let examples = examples(&text);
        let (differences, outputs) = replay(env, &examples);
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let doc = std::fs::read_to_string(doc_path(name)).unwrap();
            let blessed = doc.replacen(&text, &blessed(&text, &outputs), 1);
            std::fs::write(doc_path(name), blessed).unwrap();
        }
        replayed += examples.len();
        assert!(
            std::env::var_os("UPDATE_DOCS").is_some() || differences.is_empty(),
            "{heading}: {}\n\n{}",
            differences.len(),
            differences.join("\n\n")
        );
    }
    replayed
}

#[test]
fn the_cycle_and_outbox_examples_replay() {
    replay_section("### `arrears cycle`", &[], 2);
    let cycle: &[&str] = &["cycle", "--as-of", "2026-11-20"];
    replay_section("### `arrears actions list` and `arrears actions ack`", &[cycle], 8);
}

#[test]
fn the_feed_examples_replay() {
    let cycle: &[&str] = &["cycle", "--as-of", "2026-11-20"];
    replay_section("### `arrears feed`", &[cycle], 2);
}

#[test]
fn the_upkeep_examples_replay() {
    let cycle: &[&str] = &["cycle", "--as-of", "2026-11-20"];
    replay_section("### `arrears flag`", &[cycle], 1);
    replay_section(
        "### `arrears contact set`, `remove` and `inbound`; `arrears debtor update`",
        &[],
        4,
    );
}

#[test]
fn the_collection_command_examples_replay() {
    let cycle: &[&str] = &["cycle", "--as-of", "2026-11-20"];
    // The example of the first section runs after that of `promise`, under the same key.
    let promise: &[&str] = &[
        "promise",
        "--account",
        "TC-8001",
        "--on",
        "2026-11-20",
        "--pay",
        "2026-11-25:3000.00",
        "--pay",
        "2026-11-30:4500.00",
        "--key",
        "NW-PTP-1120",
    ];
    replay_section("### Collection commands: keys, output, rejections", &[cycle, promise], 1);
    replay_sections(
        &[
            "### `arrears promise`",
            "### `arrears plan create`",
            "### `arrears settle offer` and `accept`",
            "### `arrears dispute open` and `resolve`",
            "### `arrears hardship grant` and `end`",
            "### `arrears place`, `arrears recall`, `arrears legal`",
            "### `arrears forbearance`",
            "### `arrears close`, `arrears reopen`",
        ],
        &[cycle],
        10,
    );
}

#[test]
fn the_bank_examples_replay() {
    replay_sections(
        &[
            "### `arrears bank import`, `unmatched`, `match`",
            "### `arrears bank payer add`, `remove`, `list`",
            "### `arrears bank rules show`, `set`",
            "### `arrears bank report`",
        ],
        &[],
        12,
    );
}

#[test]
fn the_cash_worked_example_replays() {
    let env = Env::sample();
    let replayed = replay_doc_in(&env, "CASH.md", &["## Worked example"]);
    assert!(replayed >= 9, "{replayed} examples");
}

/// docs/CREDIT.md: applications, decisions, reviews and the portfolio views, on the sample
/// portfolio under examples/policies/credit.toml.
#[test]
fn the_credit_examples_replay() {
    let env = Env::sample();
    let policy = crate::example("policies/credit.toml");
    env.run(&["policy", "set", crate::path(&policy), "--key", "POL-CREDIT"]).ok();
    let headings = [
        "## Decisions",
        "## Limits, terms and refusing to trade",
        "## Reviews",
        "## Portfolio views",
    ];
    let replayed = replay_doc_in(&env, "CREDIT.md", &headings);
    assert!(replayed >= 10, "{replayed} examples");
}
