//! The relay's PostgreSQL schema: created if missing, never altered by hand.
//!
//! Every table but `outbox` is keyed by the shard (the store's name in the portfolio) and the
//! store's natural id, so one database holds many stores and every write is an upsert: applying
//! a change twice leaves what applying it once left.

/// The statements that create the schema, each idempotent.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS relay_cursor (
    shard text PRIMARY KEY,
    seq bigint NOT NULL,
    action_seq bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS debtors (
    shard text NOT NULL,
    id bigint NOT NULL,
    external_ref text,
    name text NOT NULL,
    kind text NOT NULL,
    country text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (shard, id)
);
CREATE TABLE IF NOT EXISTS accounts (
    shard text NOT NULL,
    id bigint NOT NULL,
    debtor bigint NOT NULL,
    external_ref text,
    product text NOT NULL,
    currency text NOT NULL,
    opened_on date NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (shard, id)
);
CREATE TABLE IF NOT EXISTS obligations (
    shard text NOT NULL,
    id bigint NOT NULL,
    account bigint NOT NULL,
    external_ref text,
    kind text NOT NULL,
    issued_on date NOT NULL,
    due_on date NOT NULL,
    principal_minor bigint NOT NULL,
    interest_minor bigint NOT NULL,
    fee_minor bigint NOT NULL,
    PRIMARY KEY (shard, id)
);
-- A batch looks up the last obligation copied per account it touched.
CREATE INDEX IF NOT EXISTS obligations_by_account ON obligations (shard, account, id);
CREATE TABLE IF NOT EXISTS journal_postings (
    shard text NOT NULL,
    entry_id bigint NOT NULL,
    line integer NOT NULL,
    account bigint NOT NULL,
    event bigint NOT NULL,
    entry_kind text NOT NULL,
    effective_on date NOT NULL,
    recorded_at timestamptz NOT NULL,
    book text NOT NULL,
    obligation bigint,
    component text,
    source bigint,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    PRIMARY KEY (shard, entry_id, line)
);
-- A batch looks up the last journal entry copied per account it touched.
CREATE INDEX IF NOT EXISTS journal_postings_by_account
    ON journal_postings (shard, account, entry_id);
CREATE TABLE IF NOT EXISTS cases (
    shard text NOT NULL,
    account bigint NOT NULL,
    state text NOT NULL,
    stage text,
    next_review_on date NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (shard, account)
);
CREATE TABLE IF NOT EXISTS actions (
    shard text NOT NULL,
    id bigint NOT NULL,
    seq bigint NOT NULL,
    debtor bigint NOT NULL,
    channel text NOT NULL,
    template text NOT NULL,
    scheduled_at timestamptz NOT NULL,
    created_for date NOT NULL,
    status text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (shard, id)
);
CREATE TABLE IF NOT EXISTS audit (
    shard text NOT NULL,
    seq bigint NOT NULL,
    recorded_at timestamptz NOT NULL,
    account bigint,
    kind text NOT NULL,
    change jsonb NOT NULL,
    PRIMARY KEY (shard, seq)
);
-- Each dispute ledger event (an obligation disputed or undisputed on a date): with the journal,
-- what SQL needs to know an obligation's dispute state on any date (its last event by then).
CREATE TABLE IF NOT EXISTS obligation_disputes (
    shard text NOT NULL,
    account bigint NOT NULL,
    event bigint NOT NULL,
    obligation bigint NOT NULL,
    effective_on date NOT NULL,
    disputed boolean NOT NULL,
    PRIMARY KEY (shard, account, event)
);
CREATE INDEX IF NOT EXISTS obligation_disputes_by_obligation
    ON obligation_disputes (shard, obligation, effective_on, event);
-- A charged-off account's state after the last event of each day from its first charge-off on:
-- charged off or not (reversed), and what the debtor still owes (a waiver or a write-off of the
-- remainder after a charge-off moves no book, so the journal alone does not tell).
CREATE TABLE IF NOT EXISTS charge_offs (
    shard text NOT NULL,
    account bigint NOT NULL,
    effective_on date NOT NULL,
    charged_off boolean NOT NULL,
    owed_minor bigint NOT NULL,
    PRIMARY KEY (shard, account, effective_on)
);
CREATE TABLE IF NOT EXISTS outbox (
    id uuid PRIMARY KEY,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    shard text NOT NULL,
    seq bigint NOT NULL
);
";
