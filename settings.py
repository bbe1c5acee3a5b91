"""One settings object for every process (API, worker, stack launcher), read from environment variables.

Every variable is listed in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent


class WitnessConfig(BaseModel):
    """A partner witness of the audit log's checkpoints (AUDIT_WITNESSES, JSON list): `agency` names it in the
    registry, whose keys its cosignatures must verify with; `url` is its engine's base URL (HTTP witness, with
    `token` a bearer token it issued to us), or empty for a witness embedded in this engine (demo: its own key under
    DATA_DIR/keys/, its name `name` or `<agency>.witness.example`)."""

    model_config = ConfigDict(extra="forbid")
    agency: str = Field(min_length=2, max_length=40)
    url: str = Field(default="", max_length=400)
    token: str = Field(default="", max_length=400)
    name: str = Field(default="", max_length=200, pattern=r"^[^\s+]*$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".data")
    database_url: str = ""

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "clearance"
    temporal_api_key: str = ""
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_ui_port: int = 8233
    temporal_rpc_timeout_seconds: float = Field(default=2.0, gt=0)
    worker_poll_window_seconds: float = Field(default=20.0, gt=0)
    # The administration this engine is (an id of the agency registry, reference/agencies.yaml): it signs the
    # audit log's checkpoints and its messages to partner administrations with the log's Ed25519 key
    administration: str = Field(default="DEMO-CUSTOMS", min_length=2, max_length=40)
    # Encrypted history (stack/codec.py): every payload sealed with the newest key of the ring
    payload_encryption: Literal["on", "off"] = "on"
    payload_keys_file: Path | None = None  # default DATA_DIR/keys/payload-keys.json, created with one key
    # Who may decrypt through /codec (the Temporal UI's codec server): officers and auditors of this agency;
    # empty = the agency of the SOP this administration runs (SOP_NAME)
    codec_agency: str = ""
    codec_cors_origins: str = ""  # comma-separated; empty = the embedded Temporal UI (http://127.0.0.1:UI port)

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_list_import_bytes: int = Field(default=300 * 1_048_576, ge=1024)  # POST /v1/screening-lists/*/import

    sop_dir: Path = ROOT / "sop"
    sop_name: str = "export-clearance"
    update_timeout_seconds: float = Field(default=20.0, gt=0)
    reference_dir: Path = ROOT / "reference"

    licence_registry: Literal["embedded", "http"] = "embedded"
    licence_registry_url: str = ""
    licence_registry_token: str = ""
    screening_service: Literal["embedded", "http"] = "embedded"
    screening_service_url: str = ""
    screening_service_token: str = ""
    adapter_timeout_seconds: float = Field(default=5.0, gt=0)
    # The worker runs workflow code outside Temporal's sandbox (a tenth of its CPU per clearance); the test suite
    # runs every workflow and replay in the strict sandbox. "on" runs the worker's workflows in the sandbox too.
    workflow_sandbox: Literal["on", "off"] = "off"
    # "inline" activates workflows on the worker's event loop; "thread" hands each activation to a thread as
    # Temporal does by default, which detects a workflow that does not yield within 2 s (worker.py: TUNING)
    workflow_activation: Literal["inline", "thread"] = "inline"
    rescreen_lookback_days: int = Field(default=30, ge=0, le=3650)
    # Cross-border exchange (reference/exchange-agreements.yaml): a released export whose exit is not confirmed
    # within this many days opens an `exit_follow_up` task for customs (the EU's practice: 90, invalidation at 150)
    exit_follow_up_days: float = Field(default=90.0, gt=0, le=3650)
    exit_follow_up_due_days: float = Field(default=60.0, gt=0, le=3650)  # the task's own due date
    exit_sweep_seconds: float = Field(default=60.0, gt=0, le=86400)  # how often a worker looks for exits due

    audit_log_key_file: Path | None = None  # default: DATA_DIR/keys/log-ed25519.pem, generated on first start
    audit_log_origin: str = Field(default="clearance.demo-customs.example/log", pattern=r"^[^\s+]+$")
    audit_checkpoint_interval_seconds: float = Field(default=10.0, gt=0)
    audit_witnesses: list[WitnessConfig] = Field(default_factory=list)  # who cosigns our checkpoints

    # Webhooks: https only outside development/test; loopback and private addresses only with this flag (tests,
    # the demo), never in production; link-local, metadata, multicast and reserved addresses always refused.
    webhook_allow_private: bool = False
    webhook_max_subscriptions_per_agency: int = Field(default=20, ge=1, le=10_000)
    # AES-256-GCM key (base64 of 32 bytes) sealing stored secrets; empty: DATA_DIR/keys/secret-keys.json
    secrets_key: str = ""

    token_days: int = Field(default=90, ge=1, le=3650)  # lifetime of an issued API token
    console_session_hours: float = Field(default=8.0, gt=0, le=24 * 30)

    worker_metrics_port: int = 0
    log_level: str = "INFO"
    log_format: Literal["json", "console"] = "json"

    @model_validator(mode="after")
    def _production_needs_real_endpoints(self) -> Settings:
        if self.environment == "production":
            if self.webhook_allow_private:
                raise ValueError("WEBHOOK_ALLOW_PRIVATE=true is refused in production")
            if not self.database_url or self.database_url.startswith("sqlite"):
                raise ValueError("DATABASE_URL must name PostgreSQL in production")
            if self.payload_encryption != "on":
                raise ValueError("PAYLOAD_ENCRYPTION=off is for measurements; production history is encrypted")
            for kind, url in (
                ("LICENCE_REGISTRY", self.licence_registry_url),
                ("SCREENING_SERVICE", self.screening_service_url),
            ):
                if getattr(self, kind.lower()) == "http" and not url:
                    raise ValueError(f"{kind}_URL is required when {kind}=http")
            if any(not w.url for w in self.audit_witnesses):
                raise ValueError("AUDIT_WITNESSES: an embedded witness is a demo; production witnesses have a url")
        return self

    @property
    def resolved_database_url(self) -> str:
        """Async SQLAlchemy URL: SQLite file under DATA_DIR unless DATABASE_URL names another database."""
        url = self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'clearance.db').resolve()}"
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        elif url.startswith("sqlite:///"):
            url = "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
        return url

    @property
    def audit_log_key_path(self) -> Path:
        return self.audit_log_key_file or self.data_dir / "keys" / "log-ed25519.pem"

    @property
    def audit_witness_name(self) -> str:
        """This engine's name as a witness of partners' logs (it cosigns with the log key): the origin's host."""
        return self.audit_log_origin.split("/", 1)[0] + "/witness"

    @property
    def resolved_payload_keys_file(self) -> Path:
        return self.payload_keys_file or self.data_dir / "keys" / "payload-keys.json"

    @property
    def codec_origins(self) -> list[str]:
        if self.codec_cors_origins.strip():
            return [o.strip().rstrip("/") for o in self.codec_cors_origins.split(",") if o.strip()]
        host = self.temporal_address.rpartition(":")[0] or "127.0.0.1"
        return sorted({f"http://{h}:{self.temporal_ui_port}" for h in (host, "127.0.0.1", "localhost")})

    @property
    def webhook_allow_http(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def secrets_key_file(self) -> Path:
        return self.data_dir / "keys" / "secret-keys.json"

    @property
    def demo_tokens_file(self) -> Path:
        return self.data_dir / "demo-tokens.json"


@lru_cache
def get_settings() -> Settings:
    return Settings()
