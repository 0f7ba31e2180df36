//! The C header and the Rust definitions agree: a C program compiled with the system `cc`
//! prints every struct's size and every field's offset, which must equal Rust's `size_of` and
//! `offset_of!`; constants are compared the same way.

use std::fmt::Write as _;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::process::Command;

use arrears_plugin_sdk::abi::*;

/// `(C expression, Rust value)`.
fn facts() -> Vec<(String, u64)> {
    let mut facts: Vec<(String, u64)> = Vec::new();
    macro_rules! layout {
        ($c:literal, $rust:ty, [$(($cfield:ident, $field:ident)),* $(,)?]) => {
            facts.push((format!("sizeof({})", $c), size_of::<$rust>() as u64));
            $(facts.push((
                format!("offsetof({}, {})", $c, stringify!($cfield)),
                offset_of!($rust, $field) as u64,
            ));)*
        };
    }
    layout!("arrears_str_t", StrRef, [(ptr, ptr), (len_bytes, len_bytes)]);
    layout!(
        "arrears_error_buffer_t",
        ErrorBuffer,
        [(ptr, ptr), (capacity_bytes, capacity_bytes), (len_bytes, len_bytes)]
    );
    layout!(
        "arrears_host_api_t",
        HostApi,
        [(struct_size, struct_size), (abi_major, abi_major), (abi_minor, abi_minor), (log, log)]
    );
    layout!(
        "arrears_attribute_t",
        Attribute,
        [(name, name), (kind, kind), (number, number), (text, text)]
    );
    layout!(
        "arrears_score_input_t",
        ScoreInput,
        [
            (account_id, account_id),
            (debtor_id, debtor_id),
            (days_past_due, days_past_due),
            (total_outstanding_minor, total_outstanding_minor),
            (past_due_minor, past_due_minor),
            (credit_limit_minor, credit_limit_minor),
            (paid_90d_minor, paid_90d_minor),
            (months_on_book, months_on_book),
            (as_of_days, as_of_days),
            (currency, currency),
            (has_credit_limit, has_credit_limit),
            (payments_90d, payments_90d),
            (reversals_90d, reversals_90d),
            (broken_promises, broken_promises),
            (kept_promises, kept_promises),
            (attempts_30d, attempts_30d),
            (right_party_contacts_30d, right_party_contacts_30d),
            (attributes, attributes),
            (attribute_count, attribute_count),
        ]
    );
    layout!("arrears_reason_code_t", ReasonCode, [(len_bytes, len_bytes), (bytes, bytes)]);
    layout!(
        "arrears_score_output_t",
        ScoreOutput,
        [(points, points), (reason_count, reason_count), (reasons, reasons)]
    );
    layout!(
        "arrears_contact_point_input_t",
        ContactPointInput,
        [
            (address, address),
            (channel, channel),
            (kind, kind),
            (consent, consent),
            (opted_out, opted_out)
        ]
    );
    layout!(
        "arrears_contact_step_input_t",
        ContactStepInput,
        [(template_id, template), (channel, channel), (tone, tone)]
    );
    layout!(
        "arrears_contact_history_entry_t",
        ContactHistoryEntry,
        [
            (at_unix_us, at_unix_us),
            (channel, channel),
            (right_party, right_party),
            (inbound, inbound)
        ]
    );
    layout!(
        "arrears_contact_request_input_t",
        ContactRequestInput,
        [
            (debtor_id, debtor_id),
            (as_of_days, as_of_days),
            (utc_offset_minutes, utc_offset_minutes),
            (score_points, score_points),
            (has_score, has_score),
            (steps, steps),
            (step_count, step_count),
            (contact_points, contact_points),
            (contact_point_count, contact_point_count),
            (history, history),
            (history_count, history_count),
        ]
    );
    layout!(
        "arrears_contact_proposal_output_t",
        ContactProposalOutput,
        [
            (at_unix_us, at_unix_us),
            (request_index, request_index),
            (channel, channel),
            (contact_point_index, contact_point_index),
            (template_len_bytes, template_len_bytes),
            (template_id, template),
            (tone, tone),
        ]
    );
    layout!(
        "arrears_plugin_descriptor_t",
        PluginDescriptor,
        [
            (magic, magic),
            (struct_size, struct_size),
            (abi_major, abi_major),
            (abi_minor, abi_minor),
            (capabilities, capabilities),
            (name, name),
            (version, version),
            (build_fingerprint, build_fingerprint),
            (init, init),
            (destroy, destroy),
            (score_batch, score_batch),
            (propose_contacts_batch, propose_contacts_batch),
            (reason_codes, reason_codes),
        ]
    );
    let constants: &[(&str, u64)] = &[
        ("ARREARS_MAGIC", MAGIC),
        ("ARREARS_ABI_VERSION_MAJOR", ABI_VERSION_MAJOR.into()),
        ("ARREARS_ABI_VERSION_MINOR", ABI_VERSION_MINOR.into()),
        ("ARREARS_CAPABILITY_SCORER", CAPABILITY_SCORER.into()),
        ("ARREARS_CAPABILITY_CONTACT_STRATEGY", CAPABILITY_CONTACT_STRATEGY.into()),
        ("ARREARS_CAPABILITY_THREAD_SAFE", CAPABILITY_THREAD_SAFE.into()),
        ("ARREARS_CAPABILITY_DETERMINISTIC", CAPABILITY_DETERMINISTIC.into()),
        ("ARREARS_BATCH_LEN_MAX", BATCH_LEN_MAX as u64),
        ("ARREARS_PROPOSALS_PER_REQUEST_MAX", PROPOSALS_PER_REQUEST_MAX as u64),
        ("ARREARS_REASONS_MAX", REASONS_MAX as u64),
        ("ARREARS_REASON_CODE_BYTES_MAX", REASON_CODE_BYTES_MAX as u64),
        ("ARREARS_TEMPLATE_BYTES_MAX", TEMPLATE_BYTES_MAX as u64),
        ("ARREARS_STRING_BYTES_MAX", STRING_BYTES_MAX as u64),
        ("ARREARS_ATTRIBUTES_MAX", ATTRIBUTES_MAX as u64),
        ("ARREARS_ERROR_MESSAGE_BYTES_MAX", ERROR_MESSAGE_BYTES_MAX as u64),
        ("ARREARS_CHANNEL_MESSAGING", CHANNEL_MESSAGING.into()),
        ("ARREARS_CHANNEL_COUNT", CHANNEL_COUNT.into()),
        ("ARREARS_TONE_FIRM", TONE_FIRM.into()),
        ("ARREARS_TONE_SETTLEMENT_OFFER", TONE_SETTLEMENT_OFFER.into()),
        ("ARREARS_TONE_COUNT", TONE_COUNT.into()),
        ("ARREARS_PROPOSAL_OUTPUT_SIZE_V1_1", PROPOSAL_OUTPUT_SIZE_V1_1 as u64),
        ("ARREARS_CONTACT_POINT_EMPLOYER_PROVIDED", CONTACT_POINT_EMPLOYER_PROVIDED.into()),
        ("ARREARS_ATTRIBUTE_TEXT", ATTRIBUTE_TEXT.into()),
        ("ARREARS_LOG_DEBUG", LOG_DEBUG.into()),
        ("ARREARS_STATUS_OK", Status::Ok.code().into()),
        ("ARREARS_STATUS_INVALID_ARGUMENT", Status::InvalidArgument.code().into()),
        ("ARREARS_STATUS_INVALID_CONFIG", Status::InvalidConfig.code().into()),
        ("ARREARS_STATUS_BAD_INPUT", Status::BadInput.code().into()),
        ("ARREARS_STATUS_UNSUPPORTED", Status::Unsupported.code().into()),
        ("ARREARS_STATUS_PANICKED", Status::Panicked.code().into()),
        ("ARREARS_STATUS_POISONED", Status::Poisoned.code().into()),
        ("ARREARS_STATUS_BUFFER_TOO_SMALL", Status::BufferTooSmall.code().into()),
        ("ARREARS_STATUS_INTERNAL", Status::Internal.code().into()),
        ("ARREARS_DESCRIPTOR_SIZE_V1_0", DESCRIPTOR_SIZE_V1_0 as u64),
    ];
    for (name, value) in constants {
        facts.push(((*name).to_owned(), *value));
    }
    facts
}

#[test]
fn header_matches_rust_layouts() {
    let facts = facts();
    let mut program = String::from(
        "#include <stdio.h>\n#include <stddef.h>\n#include \"arrears_plugin.h\"\nint main(void) {\n",
    );
    for (expression, _) in &facts {
        writeln!(program, "  printf(\"%llu\\n\", (unsigned long long)({expression}));").unwrap();
    }
    program.push_str("  return 0;\n}\n");
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("layout.c");
    let binary = dir.path().join("layout");
    std::fs::write(&source, program).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let compiled = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Werror", "-I"])
        .arg(&include)
        .arg(&source)
        .arg("-o")
        .arg(&binary)
        .output()
        .expect("a C compiler `cc` is needed for the ABI layout test");
    assert!(compiled.status.success(), "cc failed: {}", String::from_utf8_lossy(&compiled.stderr));
    let run = Command::new(&binary).output().unwrap();
    assert!(run.status.success());
    let printed = String::from_utf8(run.stdout).unwrap();
    let values: Vec<u64> = printed.lines().map(|line| line.parse().unwrap()).collect();
    assert_eq!(values.len(), facts.len());
    for ((expression, rust), c) in facts.iter().zip(values) {
        assert_eq!(*rust, c, "{expression}: Rust says {rust}, C says {c}");
    }
}
