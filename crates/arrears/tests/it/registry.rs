//! The store's plugin registry (issue 14 point 1): entries are checked when added (the
//! plugin loads, a library against its pin), a policy naming a plugin that does not resolve is
//! refused when it is set, an entry the policy names cannot be removed, changes are audited,
//! and the cycle of another handle on the same store (another process) resolves its arms from
//! the registry alone.
//!
//! Method: real plugins, the scorecard built as a library by cargo and linked statically as a
//! built-in, the C scorer compiled by the system compiler; real store files.

use arrears::case::AuditKind;
use arrears::{
    Arrears, Command, CommandError, CycleError, Durability, FixedClock, Options, Outcome,
    PluginEntry, PluginLoadError, PluginRegistryError, PluginSource,
};

use crate::plugins::first_party;
use crate::support::{account, charge, d};

/// The scorecard's configuration: a TOML card on the engine's features.
const CARD: &str = "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
    bins = [ { bin = \"[-inf,30)\", points = 50 }, { bin = \"[30,inf)\", points = -80 } ]\n";

/// A card none of whose bins holds a positive days past due: every score fails.
const CARD_FAILING: &str = "base_points = 600\n[[variable]]\nname = \"days_past_due\"\n\
    bins = [ { bin = \"[-inf,0)\", points = 50 } ]\n";

fn policy(scorer: &str) -> Command {
    let text = format!(
        "name = \"registry\"\nversion = 1\ncreditor = \"first_party\"\n\n[[stage]]\nname = \"all\"\nmin_dpd = 1\n\n\
         [[arm]]\nname = \"only\"\nweight = 1\nscorer = \"{scorer}\"\n"
    );
    Command::SetPolicy { file: "registry.toml".into(), text }
}

fn options() -> Options {
    Options {
        durability: Durability::Eventual,
        sharing: arrears::Sharing::Exclusive,
        clock: Box::new(FixedClock("2026-12-01T00:00:00Z".parse().unwrap())),
        plugins: arrears::plugin_host::IsolationOptions {
            runner: Some(env!("CARGO_BIN_EXE_arrears-runner-child").into()),
            ..Default::default()
        },
        ..Options::default()
    }
}

fn scorecard_library() -> (std::path::PathBuf, [u8; 32]) {
    let path = first_party("arrears_plugin_scorecard");
    let plugin = arrears::plugin_host::LoadedPlugin::load(&path, &Default::default()).unwrap();
    (path, plugin.sha256().unwrap())
}

fn registry_audit(books: &Arrears) -> Vec<String> {
    books
        .audit_log(None)
        .unwrap()
        .into_iter()
        .filter_map(|record| match record.kind {
            AuditKind::PluginAdded { name, .. } => Some(format!("added {name}")),
            AuditKind::PluginRemoved { name, .. } => Some(format!("removed {name}")),
            _ => None,
        })
        .collect()
}

#[test]
fn add_list_remove_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let books = Arrears::create_with(dir.path().join("books.redb"), options()).unwrap();
    let (path, sha256) = scorecard_library();
    let entry = PluginEntry::library("card", &path, sha256).with_config(CARD.as_bytes().to_vec());
    books.add_plugin(&entry).unwrap();
    assert_eq!(books.plugins().unwrap(), vec![entry.clone()]);
    let again = books.add_plugin(&entry).unwrap_err();
    assert!(matches!(&again, PluginRegistryError::AlreadyRegistered { name } if name == "card"));
    assert_eq!(books.remove_plugin("card").unwrap(), entry);
    assert!(books.plugins().unwrap().is_empty());
    let missing = books.remove_plugin("card").unwrap_err();
    assert!(matches!(&missing, PluginRegistryError::NotRegistered { name } if name == "card"));
    assert_eq!(registry_audit(&books), ["added card", "removed card"]);
    assert!(books.verify().unwrap().is_clean());
}

#[test]
fn bad_entries_are_refused_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut books = Arrears::create_with(dir.path().join("books.redb"), options()).unwrap();
    let (path, sha256) = scorecard_library();

    let mut wrong = sha256;
    wrong[0] ^= 1;
    let error = books.add_plugin(&PluginEntry::library("card", &path, wrong)).unwrap_err();
    assert!(
        matches!(&error, PluginRegistryError::Load { name, source: PluginLoadError::PinMismatch { .. } }
            if name == "card"),
        "{error:?}"
    );

    let error = books.add_plugin(&PluginEntry::builtin("card", "scorecard")).unwrap_err();
    assert!(
        matches!(&error, PluginRegistryError::UnknownBuiltin { name, builtin, .. }
            if name == "card" && builtin == "scorecard"),
        "{error:?}"
    );
    books.provide_builtin("scorecard", arrears_scorecard::arrears_plugin_static()).unwrap();
    let error = books.add_plugin(&PluginEntry::builtin("card", "contact-ladder")).unwrap_err();
    assert!(
        matches!(&error, PluginRegistryError::UnknownBuiltin { known, .. } if known == "scorecard")
    );

    let relative = PluginEntry::library("card", "lib.so".as_ref(), sha256);
    let error = books.add_plugin(&relative).unwrap_err();
    assert!(matches!(error, PluginRegistryError::PathNotAbsolute { .. }), "{error:?}");
    let error = books.add_plugin(&PluginEntry::builtin("rules", "scorecard")).unwrap_err();
    assert!(matches!(error, PluginRegistryError::Reserved { kind: "scorer", .. }), "{error:?}");
    let error = books.add_plugin(&PluginEntry::builtin("a b", "scorecard")).unwrap_err();
    assert!(matches!(error, PluginRegistryError::InvalidName { .. }), "{error:?}");
    let bad_config = PluginEntry::builtin("card", "scorecard").with_config(vec![0xff]);
    let error = books.add_plugin(&bad_config).unwrap_err();
    assert!(matches!(error, PluginRegistryError::ConfigNotUtf8 { .. }), "{error:?}");
    // The scorecard refuses a card that does not parse: refused at add time, not cycle time.
    let refused = PluginEntry::builtin("card", "scorecard").with_config(b"[[variable".to_vec());
    let error = books.add_plugin(&refused).unwrap_err();
    assert!(
        matches!(error, PluginRegistryError::Load { source: PluginLoadError::Init { .. }, .. }),
        "{error:?}"
    );

    assert!(books.plugins().unwrap().is_empty());
    assert!(registry_audit(&books).is_empty());
    let builtin = PluginEntry::builtin("card", "scorecard").with_config(CARD.as_bytes().to_vec());
    books.add_plugin(&builtin).unwrap();
    assert!(matches!(
        &books.plugins().unwrap()[0].source,
        PluginSource::Builtin { name } if name == "scorecard"
    ));
}

#[test]
fn policy_set_refuses_a_plugin_that_does_not_resolve_and_remove_refuses_a_named_one() {
    let dir = tempfile::tempdir().unwrap();
    let books = Arrears::create_with(dir.path().join("books.redb"), options()).unwrap();
    let error = books.execute("policy-1", &policy("card")).unwrap_err();
    assert!(
        matches!(&error, CommandError::UnknownComponent { arm, kind: "scorer", name }
            if arm == "only" && name == "card"),
        "{error:?}"
    );
    assert!(books.policy().unwrap().arms().iter().all(|arm| arm.scorer.as_deref() != Some("card")));

    let (path, sha256) = scorecard_library();
    books
        .add_plugin(&PluginEntry::library("card", &path, sha256).with_config(CARD.into()))
        .unwrap();
    let receipt = books.execute("policy-1", &policy("card")).unwrap();
    assert!(matches!(receipt.outcome, Outcome::PolicySet { .. }));

    let error = books.remove_plugin("card").unwrap_err();
    assert!(
        matches!(&error, PluginRegistryError::NamedByPolicy { name, arm } if name == "card" && arm == "only"),
        "{error:?}"
    );
    assert_eq!(books.plugins().unwrap().len(), 1);
    books.execute("policy-2", &policy("rules")).unwrap().accepted().unwrap();
    books.remove_plugin("card").unwrap();
}

/// A policy naming a registry entry as a contact strategy when the plugin only scores is
/// refused with the arm, the kind and the name.
#[test]
fn policy_set_refuses_an_entry_without_the_capability_it_is_used_for() {
    let dir = tempfile::tempdir().unwrap();
    let books = Arrears::create_with(dir.path().join("books.redb"), options()).unwrap();
    let (path, sha256) = scorecard_library();
    books
        .add_plugin(&PluginEntry::library("card", &path, sha256).with_config(CARD.into()))
        .unwrap();
    let Command::SetPolicy { file, text } = policy("rules") else { unreachable!() };
    let text = format!("{text}strategy = \"card\"\n");
    let error = books.execute("policy", &Command::SetPolicy { file, text }).unwrap_err();
    assert!(
        matches!(&error, CommandError::Component { arm, kind: "strategy", name, .. }
            if arm == "only" && name == "card"),
        "{error:?}"
    );
}

/// The cycle of another handle on the store (no in-process registration) resolves its arms
/// from the registry; and a plugin registered in-process takes precedence over the registry.
#[test]
fn the_cycle_resolves_from_the_registry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    {
        let books = Arrears::create_with(&path, options()).unwrap();
        let (library, sha256) = scorecard_library();
        let failing =
            PluginEntry::library("card", &library, sha256).with_config(CARD_FAILING.into());
        books.add_plugin(&failing).unwrap();
        books.execute("policy", &policy("card")).unwrap().accepted().unwrap();
        let account = account(&books, "A-1");
        charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
    }
    // Another process: the registry's card runs, and fails on every account (its bins hold
    // no positive days past due), which proves it was the scorer called.
    let books = Arrears::open_with(&path, options()).unwrap();
    let report = books.run_cycle(d(2, 10)).unwrap();
    assert_eq!(report.reviewed, 1);
    let failures: Vec<_> = report
        .component_failures
        .iter()
        .map(|f| (f.component, f.name.as_str(), f.accounts))
        .collect();
    assert_eq!(failures, [("scorer", "card", 1)]);
    assert!(report.component_failures[0].last_error.contains("outside every bin"));
    drop(books);

    // In-process registrations come first: the same name, registered by the application,
    // replaces the registry's entry in this process.
    let mut books = Arrears::open_with(&path, options()).unwrap();
    let (library, _) = scorecard_library();
    let plugin = arrears::plugin_host::LoadedPlugin::load(&library, &Default::default()).unwrap();
    books.register_plugin("card", std::sync::Arc::new(plugin.instantiate(CARD).unwrap())).unwrap();
    let report = books.run_cycle(d(3, 10)).unwrap();
    assert_eq!(report.reviewed, 1);
    assert!(report.component_failures.is_empty(), "{:?}", report.component_failures);
}

/// A registry entry whose library no longer matches its pin stops the cycle with an error
/// naming the arm and the entry, before anything is written: in-process (a trusted entry),
/// the loader's pin mismatch; isolated, the runner's.
#[test]
fn a_library_changed_after_it_was_added_stops_the_cycle_with_the_entry_named() {
    library_changed_after_it_was_added(true);
    library_changed_after_it_was_added(false);
}

fn library_changed_after_it_was_added(trusted: bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("books.redb");
    let library = dir.path().join("libcard.so");
    std::fs::copy(scorecard_library().0, &library).unwrap();
    let sha256 = scorecard_library().1;
    {
        let books = Arrears::create_with(&path, options()).unwrap();
        let entry = PluginEntry::library("card", &library, sha256).with_config(CARD.into());
        books.add_plugin(&if trusted { entry.trusted() } else { entry }).unwrap();
        books.execute("policy", &policy("card")).unwrap().accepted().unwrap();
        let account = account(&books, "A-1");
        charge(&books, "c1", account, d(1, 1), d(1, 31), 90_000);
    }
    let mut bytes = std::fs::read(&library).unwrap();
    bytes.push(0);
    std::fs::write(&library, bytes).unwrap();
    let books = Arrears::open_with(&path, options()).unwrap();
    let error = books.run_cycle(d(2, 10)).unwrap_err();
    assert!(
        matches!(&error, CycleError::Component { arm, name, source, .. }
            if arm == "only" && name == "card"
                && matches!(**source, PluginRegistryError::Load { source: PluginLoadError::PinMismatch { .. }, .. })),
        "{error:?}"
    );
    assert!(books
        .audit_log(None)
        .unwrap()
        .iter()
        .all(|r| !matches!(r.kind, AuditKind::Cycle { .. })));
}

/// The stores of format 1 and 2 kept as fixtures were written before the `plugins` table:
/// they open with an empty registry, take an entry, and still verify clean.
#[test]
fn stores_written_before_the_registry_open_with_an_empty_one() {
    for version in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sample.redb");
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/v{version}/sample.redb"));
        std::fs::copy(fixture, &path).unwrap();
        Arrears::migrate(&path, options()).unwrap();
        let mut books = Arrears::open_with(&path, options()).unwrap();
        assert!(books.plugins().unwrap().is_empty());
        books.provide_builtin("scorecard", arrears_scorecard::arrears_plugin_static()).unwrap();
        let entry = PluginEntry::builtin("card", "scorecard").with_config(CARD.into());
        books.add_plugin(&entry).unwrap();
        assert_eq!(books.plugins().unwrap(), vec![entry]);
        assert!(books.verify().unwrap().is_clean(), "format {version}");
    }
}
