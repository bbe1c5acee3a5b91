-- The schema release 9da2e84 (the last before migrations) created with SQLModel.metadata.create_all on postgresql:
-- its DDL, captured from that commit's store/models.py with sqlalchemy.create_mock_engine. Frozen: never edit.

CREATE TABLE principals (
	id VARCHAR(64) NOT NULL,
	name VARCHAR(140) NOT NULL,
	agency VARCHAR(40) NOT NULL,
	roles JSON NOT NULL,
	eori VARCHAR(17),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE sop_versions (
	name VARCHAR(63) NOT NULL,
	version INTEGER NOT NULL,
	hash VARCHAR(64) NOT NULL,
	definition JSON NOT NULL,
	published_at TIMESTAMP WITH TIME ZONE NOT NULL,
	published_by VARCHAR(64) NOT NULL,
	PRIMARY KEY (name, version)
);

CREATE TABLE control_list_rules (
	commodity_prefix VARCHAR(10) NOT NULL,
	control_code VARCHAR(24) NOT NULL,
	description VARCHAR(400) NOT NULL,
	PRIMARY KEY (commodity_prefix)
);

CREATE TABLE embargoes (
	country VARCHAR(2) NOT NULL,
	regime VARCHAR(200) NOT NULL,
	scope VARCHAR(20) NOT NULL,
	PRIMARY KEY (country)
);

CREATE TABLE screening_lists (
	name VARCHAR(63) NOT NULL,
	revision INTEGER NOT NULL,
	entry_count INTEGER NOT NULL,
	imported_at TIMESTAMP WITH TIME ZONE NOT NULL,
	imported_by VARCHAR(64) NOT NULL,
	PRIMARY KEY (name)
);

CREATE TABLE screening_list_entries (
	list VARCHAR(63) NOT NULL,
	entry_id VARCHAR(120) NOT NULL,
	name VARCHAR(500) NOT NULL,
	data JSON NOT NULL,
	PRIMARY KEY (list, entry_id)
);

CREATE TABLE licences (
	reference VARCHAR(40) NOT NULL,
	holder_eori VARCHAR(17) NOT NULL,
	destinations JSON NOT NULL,
	valid_from DATE NOT NULL,
	valid_until DATE NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	created_by VARCHAR(64) NOT NULL,
	PRIMARY KEY (reference)
);

CREATE INDEX ix_licences_holder_eori ON licences (holder_eori);

CREATE TABLE clearances (
	mrn VARCHAR(18) NOT NULL,
	workflow_id VARCHAR(64) NOT NULL,
	lrn VARCHAR(22) NOT NULL,
	declarant_eori VARCHAR(17) NOT NULL,
	agency VARCHAR(40) NOT NULL,
	status VARCHAR(20) NOT NULL,
	stage VARCHAR(40) NOT NULL,
	lane VARCHAR(8),
	outcome VARCHAR(16),
	sop_name VARCHAR(63) NOT NULL,
	sop_version INTEGER NOT NULL,
	accepted_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	revision INTEGER NOT NULL,
	view JSON NOT NULL,
	PRIMARY KEY (mrn)
);

CREATE INDEX ix_clearances_declarant ON clearances (declarant_eori, accepted_at);

CREATE INDEX ix_clearances_agency ON clearances (agency);

CREATE INDEX ix_clearances_listing ON clearances (accepted_at, mrn);

CREATE INDEX ix_clearances_status ON clearances (status);

CREATE TABLE tasks (
	id VARCHAR(40) NOT NULL,
	mrn VARCHAR(18) NOT NULL,
	workflow_id VARCHAR(80) NOT NULL,
	kind VARCHAR(32) NOT NULL,
	role VARCHAR(32) NOT NULL,
	agency VARCHAR(40) NOT NULL,
	state VARCHAR(16) NOT NULL,
	assignee VARCHAR(64),
	due_at TIMESTAMP WITH TIME ZONE NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	version INTEGER NOT NULL,
	data JSON NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_tasks_inbox ON tasks (agency, state, role);

CREATE INDEX ix_tasks_mrn ON tasks (mrn);

CREATE TABLE audit_events (
	mrn VARCHAR(18) NOT NULL,
	seq INTEGER NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	kind VARCHAR(40) NOT NULL,
	actor VARCHAR(64),
	detail JSON NOT NULL,
	PRIMARY KEY (mrn, seq)
);

CREATE TABLE documents (
	mrn VARCHAR(18) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	issued_at TIMESTAMP WITH TIME ZONE NOT NULL,
	html TEXT NOT NULL,
	PRIMARY KEY (mrn, kind)
);

CREATE TABLE webhook_subscriptions (
	id VARCHAR(36) NOT NULL,
	agency VARCHAR(40) NOT NULL,
	declarant_eori VARCHAR(17),
	url VARCHAR(2000) NOT NULL,
	secret VARCHAR(200) NOT NULL,
	events JSON NOT NULL,
	active BOOLEAN NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	created_by VARCHAR(64) NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_webhook_subscriptions_declarant_eori ON webhook_subscriptions (declarant_eori);

CREATE INDEX ix_webhook_subscriptions_agency ON webhook_subscriptions (agency);

CREATE TABLE webhook_deliveries (
	id VARCHAR(120) NOT NULL,
	subscription_id VARCHAR(36) NOT NULL,
	event VARCHAR(40) NOT NULL,
	mrn VARCHAR(18) NOT NULL,
	payload JSON NOT NULL,
	status VARCHAR(12) NOT NULL,
	attempts INTEGER NOT NULL,
	last_status_code INTEGER,
	last_error VARCHAR(500),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	delivered_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id)
);

CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (subscription_id, created_at);

CREATE TABLE api_tokens (
	token_hash VARCHAR(64) NOT NULL,
	principal_id VARCHAR NOT NULL,
	label VARCHAR(80) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (token_hash),
	FOREIGN KEY(principal_id) REFERENCES principals (id)
);

CREATE INDEX ix_api_tokens_principal_id ON api_tokens (principal_id);

CREATE TABLE licence_items (
	id SERIAL NOT NULL,
	licence_reference VARCHAR NOT NULL,
	line INTEGER NOT NULL,
	control_code VARCHAR(24) NOT NULL,
	commodity_code VARCHAR(10),
	quantity_unit VARCHAR(8),
	quantity_milli BIGINT,
	remaining_quantity_milli BIGINT,
	value_currency VARCHAR(3),
	value_cents BIGINT,
	remaining_value_cents BIGINT,
	PRIMARY KEY (id),
	UNIQUE (licence_reference, line),
	FOREIGN KEY(licence_reference) REFERENCES licences (reference)
);

CREATE INDEX ix_licence_items_control_code ON licence_items (control_code);

CREATE INDEX ix_licence_items_licence_reference ON licence_items (licence_reference);

CREATE TABLE licence_depletions (
	id SERIAL NOT NULL,
	licence_reference VARCHAR NOT NULL,
	line INTEGER NOT NULL,
	mrn VARCHAR(18) NOT NULL,
	item_sequence INTEGER NOT NULL,
	quantity_milli BIGINT,
	value_cents BIGINT,
	depleted_at TIMESTAMP WITH TIME ZONE NOT NULL,
	restored_at TIMESTAMP WITH TIME ZONE,
	restore_reason VARCHAR(400),
	PRIMARY KEY (id),
	UNIQUE (mrn, item_sequence),
	FOREIGN KEY(licence_reference) REFERENCES licences (reference)
);

CREATE INDEX ix_licence_depletions_licence_reference ON licence_depletions (licence_reference);

CREATE INDEX ix_licence_depletions_mrn ON licence_depletions (mrn);
