//! Plugins through the real ABI: shared libraries built in this test run and loaded by the
//! host.
//!
//! Method: build the first-party plugins with `cargo build` (the test runs after cargo has
//! released its build lock), compile the C scorer and the misbehaving C plugins of
//! `tests/it/plugins/*.c` with the system C compiler, and build a panicking Rust plugin from
//! `tests/it/plugins/panicking.rs` in a temporary crate. Then load each one and check the
//! host's answers: scores, proposals, and a typed error for every kind of misbehaviour.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use arrears::case::{ContactAttempt, ContactOutcome};
use arrears::ids::{AccountId, DebtorId};
use arrears::message::Tone;
use arrears::model::{ContactChannel, ContactPoint, ContactPointKind, ProductKind};
use arrears::money::Currency;
use arrears::plugin_host::{
    AttributeValue, LoadedPlugin, PluginInstance, PluginOptions, PluginScorer, PluginStrategy,
    ScoreRequest,
};
use arrears::strategy::{ContactRequest, ContactStep, ContactStrategy, Features, Score, Scorer};
use arrears::{PluginCallError, PluginLoadError};
use chrono::NaiveDate;

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().parent().unwrap().to_owned()
}

/// The profile directory this test binary was built into (`target/debug`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_owned()
}

pub(crate) fn first_party(library: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile = profile_dir();
        let mut command = Command::new(env!("CARGO"));
        command
            .current_dir(workspace_root())
            .args([
                "build",
                "-p",
                "arrears-plugin-scorecard",
                "-p",
                "arrears-plugin-contact-ladder",
            ])
            .env("CARGO_TARGET_DIR", profile.parent().unwrap());
        let profile_name = profile.file_name().unwrap().to_str().unwrap();
        if profile_name != "debug" {
            command.args(["--profile", profile_name]);
        }
        let status = command.status().unwrap();
        assert!(status.success(), "building the first-party plugins failed");
    });
    profile_dir().join(format!("lib{library}.so"))
}

/// Compiles a C plugin into the given directory with `-D<defines>`.
pub(crate) fn compile_c(source: &Path, out: &Path, defines: &[&str]) -> PathBuf {
    let include = workspace_root().join("crates/arrears-plugin-sdk/include");
    let mut command = Command::new("cc");
    command.args(["-shared", "-fPIC", "-std=c11", "-Wall", "-Werror", "-I"]).arg(include);
    for define in defines {
        command.arg(format!("-D{define}"));
    }
    let output = command.arg(source).arg("-o").arg(out).arg("-lm").output().unwrap();
    assert!(output.status.success(), "cc failed: {}", String::from_utf8_lossy(&output.stderr));
    out.to_owned()
}

fn misbehaving(mode: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/misbehaving.c");
    let out = dir.path().join(format!("libmisbehaving_{mode}.so"));
    let defines: Vec<String> =
        if mode == "none" { Vec::new() } else { vec![format!("MODE_{mode}")] };
    let defines: Vec<&str> = defines.iter().map(String::as_str).collect();
    let path = compile_c(&source, &out, &defines);
    (dir, path)
}

fn instance(path: &Path, config: &str) -> Arc<PluginInstance> {
    let plugin = LoadedPlugin::load(path, &PluginOptions::default()).unwrap();
    Arc::new(plugin.instantiate(config).unwrap())
}

fn features(days_past_due: i64, broken_promises: u32) -> Features {
    Features {
        account: AccountId(7),
        debtor: DebtorId(3),
        product: ProductKind::TradeCredit,
        as_of: on("2026-11-20"),
        currency: Currency::EUR,
        days_past_due,
        total_outstanding_minor: 15_000,
        past_due_minor: 5_000,
        credit_limit_minor: None,
        months_on_book: 14,
        payments_90d: 1,
        paid_90d_minor: 2_000,
        reversals_90d: 0,
        broken_promises,
        kept_promises: 0,
        attempts_30d: 2,
        right_party_contacts_30d: 0,
        calls_30d: 0,
    }
}

fn on(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn request(points: Vec<ContactPoint>) -> ContactRequest {
    ContactRequest {
        debtor: DebtorId(3),
        accounts: vec![AccountId(7)],
        as_of: on("2026-03-02"),
        steps: vec![
            ContactStep {
                channel: ContactChannel::Sms,
                template: "sms_reminder".into(),
                tone: None,
            },
            ContactStep { channel: ContactChannel::Phone, template: "call_1".into(), tone: None },
        ],
        contact_points: points,
        time_zones: vec!["America/Chicago".into()],
        score: Some(Score { points: 300.0, band: "very_high_risk".into(), reasons: Vec::new() }),
        history: Vec::new(),
    }
}

fn point(channel: ContactChannel, address: &str, consent: bool) -> ContactPoint {
    ContactPoint {
        channel,
        address: address.into(),
        kind: ContactPointKind::Personal,
        consent,
        opted_out: false,
    }
}

const CARD: &str = "\
,variable,bin,points
0,basepoints,,600.0
1,age,\"[-inf,26.0)\",-28.0
2,age,\"[26.0,35.0)\",-10.0
3,age,\"[35.0,inf)\",24.0
4,credit_amount,missing,-3.0
5,credit_amount,\"[-inf,2000.0)\",15.0
6,credit_amount,\"[2000.0,inf)\",-12.0
7,purpose,\"car (new)%,%others\",-15.0
8,purpose,\"radio/television%,%furniture/equipment\",12.0
";

fn row(age: AttributeValue, amount: AttributeValue, purpose: &str) -> ScoreRequest {
    ScoreRequest {
        features: None,
        as_of: None,
        attributes: vec![
            ("age".into(), age),
            ("credit_amount".into(), amount),
            ("purpose".into(), AttributeValue::Text(purpose.into())),
        ],
    }
}

#[test]
fn scorecard_library_scores_rows_and_features() {
    use AttributeValue::{Missing, Number};
    let path = first_party("arrears_plugin_scorecard");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.name(), "scorecard");
    assert_eq!(plugin.abi_version(), (1, 2));
    assert_eq!(plugin.capability_names(), ["scorer", "thread_safe", "deterministic"]);
    assert!(plugin.sha256().is_some());

    let card = Arc::new(plugin.instantiate(CARD).unwrap());
    let scores = card
        .score_batch(&[
            row(Number(26.0), Number(2000.0), "others"),
            row(Number(40.0), Missing, "furniture/equipment"),
        ])
        .unwrap();
    assert_eq!(scores[0].points, 600.0 - 10.0 - 12.0 - 15.0);
    // Gaps below each best bin: age 34, then credit_amount and purpose 27 (ties by name).
    assert_eq!(scores[0].reasons, ["age", "credit_amount", "purpose"]);
    assert_eq!(scores[1].points, 600.0 + 24.0 - 3.0 + 12.0);
    assert_eq!(scores[1].reasons, ["credit_amount"]);
    let error = card.score_batch(&[row(Number(30.0), Number(1.0), "boat")]).unwrap_err();
    assert!(
        matches!(&error, PluginCallError::Failed { message, .. }
            if message == "variable \"purpose\": value \"boat\" is outside every bin"),
        "{error}"
    );

    // The same plugin on the engine's features, as a registered scorer.
    let toml = "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
        bins = [ { bin = \"[-inf,30)\", points = 50 }, { bin = \"[30,inf)\", points = -80 } ]\n\
        [[variable]]\nname = \"broken_promises\"\n\
        bins = [ { bin = \"[-inf,1)\", points = 20 }, { bin = \"[1,inf)\", points = -40 } ]\n";
    let scorer =
        PluginScorer::new("scorecard", Arc::new(plugin.instantiate(toml).unwrap())).unwrap();
    let scores = scorer.score_batch(&[features(45, 2), features(3, 0)]).unwrap();
    assert_eq!(scores[0].points, 480.0);
    assert_eq!(scores[0].band, "high_risk");
    assert_eq!(scores[0].reasons, ["days_past_due", "broken_promises"]);
    assert_eq!(scores[1].points, 670.0);
    let dir = tempfile::tempdir().unwrap();
    let mut books = arrears::Arrears::create(dir.path().join("books.redb")).unwrap();
    books.register_scorer(Arc::new(scorer));
    books.register_plugin("scorecard_applications", card.clone()).unwrap();
    assert!(PluginStrategy::new("scorecard", card).is_err());
}

#[test]
fn contact_ladder_library_proposes_by_score_consent_and_history() {
    let path = first_party("arrears_plugin_contact_ladder");
    let ladder = instance(&path, "window_start_hour = 8\nwindow_end_hour = 20\n");
    let strategy = PluginStrategy::new("contact-ladder", ladder.clone()).unwrap();
    let points = vec![
        point(ContactChannel::Sms, "+15550001", false),
        point(ContactChannel::Phone, "+15550002", false),
    ];
    let proposals = strategy.propose_batch(&[request(points.clone())]).unwrap();
    assert_eq!(proposals.len(), 1);
    // A low score puts the call first; the SMS address has no consent anyway.
    assert_eq!(proposals[0].channel, ContactChannel::Phone);
    assert_eq!(proposals[0].address, "+15550002");
    assert_eq!(proposals[0].template, "call_1");
    // 10:00 in Chicago (UTC-6 in early March).
    assert_eq!(proposals[0].at.to_rfc3339(), "2026-03-02T16:00:00+00:00");

    // Right-party contacts at 18:00 local on past Mondays move the call there.
    let history: Vec<ContactAttempt> = (1..=3)
        .map(|week| ContactAttempt {
            accounts: vec![AccountId(7)],
            channel: ContactChannel::Phone,
            address: "+15550002".into(),
            // 18:00 in Chicago (UTC-6) on past Mondays is midnight UTC the next day.
            at: on("2026-03-03")
                .checked_sub_days(chrono::Days::new(7 * week))
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc(),
            inbound: false,
            outcome: ContactOutcome::RightParty,
            action: None,
        })
        .collect();
    let proposals =
        ladder.propose_batch(&[request(points.clone())], std::slice::from_ref(&history)).unwrap();
    assert_eq!(proposals[0].at.to_rfc3339(), "2026-03-03T00:00:00+00:00");
    // The same through the engine's trait: the cycle puts the debtor's history in the request.
    let mut with_history = request(points);
    with_history.history = history;
    let proposals = strategy.propose_batch(&[with_history]).unwrap();
    assert_eq!(proposals[0].at.to_rfc3339(), "2026-03-03T00:00:00+00:00");
}

#[test]
fn c_scorer_written_against_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let source = workspace_root().join("plugins/c-scorer/c_scorer.c");
    let path = compile_c(&source, &dir.path().join("libc_scorer.so"), &[]);
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!((plugin.name(), plugin.version()), ("c-scorer", "1.0.0"));
    let instance = Arc::new(plugin.instantiate("650").unwrap());
    assert_eq!(instance.declared_reasons().unwrap().len(), 2);
    let scorer = PluginScorer::new("c", instance).unwrap();
    let scores = scorer.score_batch(&[features(10, 1), features(0, 0)]).unwrap();
    assert_eq!(scores[0].points, 650.0 - 20.0 - 50.0 + 10.0);
    assert_eq!(scores[0].reasons, ["broken_promises", "days_past_due"]);
    assert_eq!(scores[1].points, 660.0);
    assert!(scores[1].reasons.is_empty());
    assert!(matches!(plugin.instantiate("abc"), Err(PluginLoadError::Init { status: 2, .. })));
}

#[test]
fn loading_refuses_bad_libraries() {
    let (_dir, path) = misbehaving("MAJOR_2");
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(matches!(error, PluginLoadError::AbiVersionMismatch { plugin: 2, host: 1 }), "{error}");

    let (_dir, path) = misbehaving("NO_ENTRY");
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(matches!(error, PluginLoadError::MissingSymbol { .. }), "{error}");

    let (_dir, path) = misbehaving("BAD_MAGIC");
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(matches!(error, PluginLoadError::BadMagic { found: 0x1234 }), "{error}");

    let (_dir, path) = misbehaving("TOO_SMALL");
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(
        matches!(error, PluginLoadError::DescriptorTooSmall { struct_size: 64, .. }),
        "{error}"
    );

    let dir = tempfile::tempdir().unwrap();
    let not_a_library = dir.path().join("libnothing.so");
    std::fs::write(&not_a_library, b"not an ELF file").unwrap();
    let error = LoadedPlugin::load(&not_a_library, &PluginOptions::default()).unwrap_err();
    assert!(matches!(error, PluginLoadError::Dl { .. }), "{error}");
}

#[test]
fn a_plugin_built_for_an_older_minor_works() {
    let (_dir, path) = misbehaving("OLD_MINOR");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.abi_version(), (1, 0));
    assert_eq!(plugin.descriptor_size_bytes(), 104);
    let instance = plugin.instantiate("").unwrap();
    // No reason_codes entry in 1.0: codes are checked for shape only.
    assert!(instance.declared_reasons().is_none());
    let scores = instance.score_batch(&[ScoreRequest::default()]).unwrap();
    assert_eq!((scores[0].points, scores[0].reasons.clone()), (500.0, vec!["late".to_owned()]));
    // Its proposals (72 bytes, before ABI 1.2's tone) keep their template: no tone chosen.
    let points = vec![point(ContactChannel::Email, "a@example.com", true)];
    let proposals = instance.propose_batch(&[toned_request(points)], &[]).unwrap();
    assert_eq!((proposals[0].template.as_str(), proposals[0].tone), ("hello", None));
}

/// `request` with the tones of ABI 1.2 on its steps.
fn toned_request(points: Vec<ContactPoint>) -> ContactRequest {
    let mut request = request(points);
    request.steps[0].tone = Some(Tone::Firm);
    request.steps[1].tone = Some(Tone::FinalNotice);
    request
}

#[test]
fn a_plugin_of_abi_1_2_reads_step_tones_and_chooses_one() {
    let (_dir, path) = misbehaving("TONE");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.abi_version(), (1, 2));
    let instance = plugin.instantiate("").unwrap();
    let points = vec![point(ContactChannel::Email, "a@example.com", true)];
    let proposals = instance.propose_batch(&[toned_request(points.clone())], &[]).unwrap();
    assert_eq!(proposals[0].tone, Some(Tone::Firm));
    // Steps without a tone (a policy whose templates the integrator resolves) pass none.
    let proposals = instance.propose_batch(&[request(points)], &[]).unwrap();
    assert_eq!(proposals[0].tone, None);
}

#[test]
fn issue_13_descriptor_size_between_known_sizes_drops_the_partial_entry() {
    // Issue 13 (`issues show 13`): a descriptor whose struct_size ends inside a function
    // pointer had that pointer half copied and then called. The host rounds the size down to
    // the largest known ABI size, so the partial entry is absent and never called.
    let (_dir, path) = misbehaving("SIZE_BETWEEN");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.abi_version(), (1, 1));
    assert_eq!(plugin.descriptor_size_bytes(), 108);
    // `reason_codes` lies past the last whole entry: a call would crash (half a pointer) or
    // fail `init` (the whole one returns INTERNAL).
    let instance = plugin.instantiate("").unwrap();
    assert!(instance.declared_reasons().is_none());
    let scores = instance.score_batch(&[ScoreRequest::default()]).unwrap();
    assert_eq!((scores[0].points, scores[0].reasons.clone()), (500.0, vec!["late".to_owned()]));
}

#[test]
fn sha256_pins() {
    let (_dir, path) = misbehaving("none");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let digest = plugin.sha256().unwrap();
    let pinned = PluginOptions { sha256_pin: Some(digest) };
    assert!(LoadedPlugin::load(&path, &pinned).is_ok());
    let mut wrong = digest;
    wrong[0] ^= 1;
    let error = LoadedPlugin::load(&path, &PluginOptions { sha256_pin: Some(wrong) }).unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::PinMismatch { found, .. }
        if *found == arrears::plugin_host::sha256_hex(&digest)),
        "{error}"
    );
}

#[test]
fn bad_outputs_are_errors_not_data() {
    let score = |mode: &str| {
        let (_dir, path) = misbehaving(mode);
        instance(&path, "").score_batch(&[ScoreRequest::default(), ScoreRequest::default()])
    };
    assert!(matches!(score("NAN"), Err(PluginCallError::NonFiniteScore { index: 0, .. })));
    assert!(matches!(score("INFINITE"), Err(PluginCallError::NonFiniteScore { index: 0, .. })));
    assert!(matches!(
        score("OUT_OF_RANGE"),
        Err(PluginCallError::ScoreOutOfRange { index: 0, points: 1000.5, .. })
    ));
    assert!(matches!(score("BAD_REASON"), Err(PluginCallError::BadReason { index: 0, .. })));
    assert!(matches!(
        score("TOO_MANY"),
        Err(PluginCallError::TooManyOutputs { count: 3, count_max: 2, .. })
    ));

    let propose = |mode: &str| {
        let (_dir, path) = misbehaving(mode);
        let points = vec![point(ContactChannel::Email, "a@example.com", true)];
        instance(&path, "").propose_batch(&[request(points)], &[])
    };
    let proposals = propose("none").unwrap();
    assert_eq!(
        (proposals[0].channel, proposals[0].template.as_str()),
        (ContactChannel::Email, "hello")
    );
    assert!(matches!(propose("BAD_CHANNEL"), Err(PluginCallError::BadProposal { index: 0, .. })));
    assert!(matches!(propose("BAD_TIME"), Err(PluginCallError::BadTime { at_unix_us: 0, .. })));
    assert!(matches!(propose("BAD_TONE"), Err(PluginCallError::BadProposal { index: 0, .. })));
    assert!(matches!(
        propose("TOO_MANY"),
        Err(PluginCallError::TooManyOutputs { count: 5, count_max: 4, .. })
    ));
}

#[test]
fn undeclared_reason_codes_are_refused() {
    let (_dir, path) = misbehaving("UNDECLARED");
    let instance = instance(&path, "");
    assert_eq!(instance.declared_reasons().unwrap().len(), 1);
    let error = instance.score_batch(&[ScoreRequest::default()]).unwrap_err();
    assert!(
        matches!(&error, PluginCallError::BadReason { reason, .. }
            if reason == "reason code \"late\" is not declared"),
        "{error}"
    );
}

/// Capabilities claimed without their functions count for nothing; a `reason_codes` that
/// reports more codes than the host's room fails instantiation, one with duplicates and an
/// empty code declares the others; an entry that returns another descriptor each time is read
/// once per load.
#[test]
fn capabilities_reason_lists_and_descriptors_that_lie() {
    let (_dir, path) = misbehaving("NO_FUNCTIONS");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.capabilities(), 0);
    let without = Arc::new(plugin.instantiate("").unwrap());
    let error = PluginScorer::new("x", without.clone()).unwrap_err();
    assert!(matches!(error, PluginLoadError::MissingCapability { .. }), "{error}");
    let error = without.score_batch(&[ScoreRequest::default()]).unwrap_err();
    assert!(matches!(error, PluginCallError::Unsupported { call: "score_batch", .. }));

    let (_dir, path) = misbehaving("REASONS_TOO_MANY");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let error = plugin.instantiate("").unwrap_err();
    assert!(
        matches!(&error, PluginLoadError::Init { message, .. }
            if message.contains("DECLARED_REASON_CODES_MAX")),
        "{error}"
    );

    let (_dir, path) = misbehaving("REASONS_ODD");
    let odd = instance(&path, "");
    assert!(odd.declared_reasons().unwrap().contains("late"));
    assert_eq!(odd.score_batch(&[ScoreRequest::default()]).unwrap()[0].reasons, ["late"]);

    let (_dir, path) = misbehaving("MOVING");
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    assert_eq!(plugin.name(), "misbehaving");
    let moving = plugin.instantiate("").unwrap();
    assert_eq!(moving.score_batch(&[ScoreRequest::default()]).unwrap()[0].points, 500.0);
}

#[test]
fn a_panicking_plugin_is_poisoned_and_the_host_survives() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = workspace_root().join("crates/arrears-plugin-sdk");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"panicking\"\nversion = \"0.0.1\"\nedition = \"2021\"\n\
             [lib]\ncrate-type = [\"cdylib\"]\npath = \"src/lib.rs\"\n\
             [dependencies]\narrears-plugin-sdk = {{ path = {:?} }}\n[workspace]\n",
            sdk.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/panicking.rs"),
        dir.path().join("src/lib.rs"),
    )
    .unwrap();
    // A separate target directory keeps this build out of the workspace's.
    let target = profile_dir().parent().unwrap().join("plugin-tests");
    let status = Command::new(env!("CARGO"))
        .current_dir(dir.path())
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "building the panicking plugin failed");
    let instance = instance(&target.join("debug/libpanicking.so"), "");
    let mut unlucky = features(13, 0);
    unlucky.account = AccountId(13);
    let fine = ScoreRequest { features: Some(features(1, 0)), as_of: None, attributes: Vec::new() };
    assert_eq!(instance.score_batch(std::slice::from_ref(&fine)).unwrap()[0].points, 700.0);
    let error = instance
        .score_batch(&[ScoreRequest {
            features: Some(unlucky),
            as_of: None,
            attributes: Vec::new(),
        }])
        .unwrap_err();
    assert!(
        matches!(&error, PluginCallError::Panicked { plugin, message }
            if plugin == "panicking" && message.contains("unlucky account")),
        "{error}"
    );
    assert!(instance.is_poisoned());
    let error = instance.score_batch(&[fine]).unwrap_err();
    assert!(matches!(error, PluginCallError::Poisoned { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        "plugin \"panicking\" is poisoned by an earlier panic or missed deadline"
    );
}

/// Issue 14 point 1: the pin is checked on the very bytes that are loaded. The file is
/// swapped for another library after the host read and hashed it (the hook runs between the
/// hash and the load); the plugin loaded must still be the one hashed. Before the fix the
/// host hashed the file, then let the loader open the path again, and loaded the swapped one.
#[test]
fn issue_14_a_library_swapped_after_hashing_is_not_what_gets_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let hashed = compile_c(
        &workspace_root().join("plugins/c-scorer/c_scorer.c"),
        &dir.path().join("libsame.so"),
        &[],
    );
    let (_other_dir, other) = misbehaving("none");
    // The digest, from a copy: the loader must not have seen `hashed` before (glibc would
    // hand back a library it already loaded from the same path).
    let copy = dir.path().join("libcopy.so");
    std::fs::copy(&hashed, &copy).unwrap();
    let pin = LoadedPlugin::load(&copy, &PluginOptions::default()).unwrap().sha256().unwrap();
    let options = PluginOptions { sha256_pin: Some(pin) };
    let plugin = LoadedPlugin::load_with_hook(&hashed, &options, || {
        std::fs::copy(&other, dir.path().join("swap.so")).unwrap();
        std::fs::rename(dir.path().join("swap.so"), &hashed).unwrap();
    })
    .unwrap();
    assert_eq!(plugin.name(), "c-scorer");
    assert_eq!(plugin.sha256(), Some(pin));
    // The file now holds the other library: loading it again refuses the pin.
    let refused = LoadedPlugin::load(&hashed, &options).unwrap_err();
    assert!(matches!(refused, PluginLoadError::PinMismatch { .. }), "{refused:?}");
}

/// A library path that is not a regular file is refused before it is read. Before, the host
/// read the path whatever it was: a FIFO nobody writes to blocked `load` (and `plugin add`,
/// `plugin inspect`) forever in `open`, and a character device that never ends (`/dev/zero`)
/// was read until memory ran out; `/dev/null` reached the loader.
#[test]
fn a_library_path_that_is_not_a_regular_file_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("libfifo.so");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (sender, answer) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = sender.send(LoadedPlugin::load(&path, &PluginOptions::default()).map(|_| ()));
    });
    let loaded = answer.recv_timeout(std::time::Duration::from_secs(5));
    if loaded.is_err() {
        // Let the blocked thread go before failing: open the FIFO for writing.
        let _ = std::fs::OpenOptions::new().write(true).open(&fifo);
    }
    let error = loaded.expect("loading a FIFO did not return within 5 s").unwrap_err();
    assert!(matches!(error, PluginLoadError::NotAFile { .. }), "{error}");
    assert!(error.to_string().contains("is not a regular file"), "{error}");

    for path in [Path::new("/dev/null"), dir.path()] {
        let error = LoadedPlugin::load(path, &PluginOptions::default()).unwrap_err();
        assert!(matches!(error, PluginLoadError::NotAFile { .. }), "{path:?}: {error}");
    }
}

/// A library file larger than any plugin (a sparse file, cheap to make) is refused from its
/// length, before the host reads it into memory.
#[test]
fn a_library_file_larger_than_any_plugin_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libhuge.so");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(arrears::plugin_host::LIBRARY_BYTES_MAX + 1).unwrap();
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(
        matches!(error, PluginLoadError::TooLarge { len, max, .. } if len == max + 1),
        "{error}"
    );
    assert!(error.to_string().contains("more than the 1073741824 a library may have"), "{error}");
}

/// A descriptor without `destroy` is refused naming `destroy` (it used to name `init`,
/// whatever was missing).
#[test]
fn a_descriptor_without_destroy_is_refused_naming_it() {
    let (_dir, path) = misbehaving("NULL_DESTROY");
    let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
    assert!(
        matches!(error, PluginLoadError::BadDescriptor { field: "destroy", reason: "null" }),
        "{error}"
    );
}

/// Text a plugin gives the host that people read (its name, version and fingerprint, which
/// `plugin inspect` prints, and its reason codes, which reports and `arrears score` print)
/// has no control characters: a name with a newline or a version with a terminal escape
/// sequence could rewrite the lines `plugin inspect` shows (its SHA-256 included), and a
/// reason code of escape sequences and NUL bytes was stored and printed as the plugin wrote
/// it.
#[test]
fn control_characters_in_descriptor_strings_and_reason_codes_are_refused() {
    for (mode, field) in [("NAME_ESCAPE", "name"), ("VERSION_ESCAPE", "version")] {
        let (_dir, path) = misbehaving(mode);
        let error = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap_err();
        assert!(
            matches!(&error, PluginLoadError::BadDescriptor { field: found, .. } if *found == field),
            "{mode}: {error}"
        );
    }
    let (_dir, path) = misbehaving("REASON_CONTROL");
    let error = instance(&path, "").score_batch(&[ScoreRequest::default()]).unwrap_err();
    assert!(matches!(error, PluginCallError::BadReason { index: 0, .. }), "{error}");
}

/// A plugin's error about one input names the account (a scorer) or the debtor (a strategy)
/// in the cycle's report: the index of the input in a batch the engine built means nothing
/// to whoever reads it. Before, the report said only "for input 0".
#[test]
fn an_error_about_one_input_names_its_account_or_debtor() {
    let (_dir, path) = misbehaving("NAN");
    let scorer = PluginScorer::new("nan", instance(&path, "")).unwrap();
    let error = scorer.score_batch(&[features(3, 0)]).unwrap_err();
    assert_eq!(error.component, "nan");
    assert!(
        error.reason.ends_with("returned a non-finite score for input 0 (account A7)"),
        "{error}"
    );

    let (_dir, path) = misbehaving("none");
    let strategy = PluginStrategy::new("ladder", instance(&path, "")).unwrap();
    let too_many = point(ContactChannel::Email, "a@example.com", true);
    let error = strategy.propose_batch(&[request(vec![too_many; 1025])]).unwrap_err();
    assert!(error.reason.ends_with("(debtor D3)"), "{error}");
}

/// A reason code that starts with `=`, `+`, `-` or `@` is refused, naming the code (and, in a
/// cycle, the account): a spreadsheet opening a file that holds it (the scores of
/// `arrears score`, a report) runs it as a formula (CSV or formula injection, OWASP), so
/// `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` from a plugin would act on the machine of whoever
/// opens the file. Codes with those characters elsewhere are codes like any other.
/// `tests/it/plugins/hostile.c` in its mode "reason-attribute" returns each input's text
/// attribute as its reason code, in-process and isolated. Before, every one was accepted.
#[test]
fn reason_codes_a_spreadsheet_would_run_as_formulas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/plugins/hostile.c");
    let path = compile_c(&source, &dir.path().join("libhostile.so"), &[]);
    let plugin = LoadedPlugin::load(&path, &PluginOptions::default()).unwrap();
    let in_process = plugin.instantiate("reason-attribute").unwrap();
    let options = arrears::plugin_host::IsolationOptions {
        runner: Some(PathBuf::from(env!("CARGO_BIN_EXE_arrears-runner-child"))),
        ..arrears::plugin_host::IsolationOptions::default()
    };
    let isolated = arrears::plugin_host::IsolatedInstance::start(
        &path,
        plugin.sha256().unwrap(),
        "reason-attribute",
        &options,
    )
    .unwrap();
    let rows = |codes: &[&str]| -> Vec<ScoreRequest> {
        codes
            .iter()
            .map(|code| ScoreRequest {
                attributes: vec![("code".into(), AttributeValue::Text((*code).into()))],
                ..ScoreRequest::default()
            })
            .collect()
    };
    let fine = ["late", "a=b", "days-past-due", "x+y", "user@host", "(=1)", "1"];
    for scores in [in_process.score_batch(&rows(&fine)), isolated.score_batch(&rows(&fine))] {
        let reasons: Vec<String> =
            scores.unwrap().into_iter().flat_map(|score| score.reasons).collect();
        assert_eq!(reasons, fine);
    }
    for code in ["=1+1", "+A1", "-2+3", "-", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"] {
        let requests = rows(&["late", code]);
        for error in [in_process.score_batch(&requests), isolated.score_batch(&requests)]
            .map(Result::unwrap_err)
        {
            let first = code.chars().next().unwrap();
            let expected = format!(
                "reason code {code:?} starts with {first:?}, which a spreadsheet runs as a formula"
            );
            assert!(
                matches!(&error, PluginCallError::BadReason { index: 1, reason, .. }
                    if *reason == expected),
                "{code}: {error}"
            );
        }
    }
    assert_eq!(isolated.failures(), 0, "a bad output is not a failure of the runner");
}
