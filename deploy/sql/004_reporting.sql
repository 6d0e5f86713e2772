-- Reports to the ministry and their delivery. A report row and its outbox row are inserted in one
-- transaction (the decision to send); the sender drains the outbox. Neither table loses history:
-- a changed report is a new revision, and delivery state only moves forward (or back to pending
-- when an operator re-sends).

CREATE TABLE IF NOT EXISTS ministry_reports (
    report_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     text        NOT NULL,
    programme_id  text        NOT NULL,
    unit_code     text        NOT NULL,
    period        text        NOT NULL,
    revision      integer     NOT NULL CHECK (revision >= 1),
    -- Hash of the figures (not of the export time): an unchanged report is not produced again.
    content_hash  text        NOT NULL,
    content_type  text        NOT NULL,
    content       bytea       NOT NULL,
    produced_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, programme_id, unit_code, period, revision)
);

CREATE TABLE IF NOT EXISTS delivery_outbox (
    outbox_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id       bigint      NOT NULL REFERENCES ministry_reports (report_id),
    -- Sent as the Idempotency-Key header: the receiver counts a retried delivery once.
    idempotency_key text        NOT NULL UNIQUE,
    state           text        NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS delivery_outbox_due ON delivery_outbox (next_attempt_at) WHERE state = 'pending';
