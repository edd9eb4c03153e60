/** The tables of the workflows (one migration, appended to the store's). */
export const WORKFLOWS_MIGRATION = `
  CREATE TABLE requests (
    key INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    received_at TEXT NOT NULL,
    signatory TEXT,
    form TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_at TEXT,
    decision_reason TEXT,
    trace_ids TEXT NOT NULL,
    UNIQUE (partner_id, number)
  );
  CREATE TABLE questions (
    key INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    flags TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    due_at TEXT,
    answer TEXT,
    answered_at TEXT,
    trace_ids TEXT NOT NULL,
    UNIQUE (partner_id, number)
  );
  CREATE TABLE review_sheets (
    key INTEGER PRIMARY KEY,
    partner_id TEXT NOT NULL,
    completed_at TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT,
    decisions TEXT NOT NULL
  );
  CREATE INDEX review_sheets_partner ON review_sheets (partner_id, completed_at);
  CREATE TABLE person_extracts (
    key INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    through TEXT,
    recorded_at TEXT NOT NULL,
    sha256 TEXT NOT NULL
  );
  CREATE INDEX person_extracts_user ON person_extracts (user_id, recorded_at);
`;
