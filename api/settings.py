"""Service settings, read once from the environment (prefix ``FIRSTSET_``) or a ``.env`` file.

>>> Settings(environment="development", _env_file=None).reads_open
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SECRET", "Settings", "get_settings"]

DEFAULT_SECRET = "changethis"


class Settings(BaseSettings):
    """Everything the HTTP service can be told. ``FIRSTSET_STORE=bolt://...`` picks Neo4j."""

    model_config = SettingsConfigDict(
        env_prefix="FIRSTSET_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "staging", "production"] = "development"
    store: str = Field(
        default="firstset.db", description="SQLite file path or bolt:// / neo4j:// URL"
    )
    keys_file: Path = Field(
        default=Path("firstset-keys.json"), description="hashed API keys (JSON)"
    )
    feedback_file: Path = Field(
        default=Path("feedback.csv"), description="accept/reject rows for train"
    )
    secret_key: str = Field(default=DEFAULT_SECRET, description="pepper for API key hashes")
    open_reads: bool | None = Field(
        default=None,
        description="let callers without a key read (public clearance); default: dev only",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, description="JSON request body limit")
    max_upload_bytes: int = Field(default=50_000_000, ge=1_000, description="ingest upload limit")
    max_unzipped_bytes: int = Field(default=500_000_000, ge=1_000, description="zip contents limit")
    max_zip_members: int = Field(default=200, ge=1)
    max_top: int = Field(
        default=100, ge=1, le=10_000, description="largest top / size a caller may ask"
    )
    max_batch: int = Field(default=100, ge=1, le=10_000, description="most queries in one batch")
    max_depth: int = Field(default=3, ge=1, le=6, description="deepest neighbourhood")
    max_graph_nodes: int = Field(default=300, ge=10, description="most nodes in one graph view")
    warm_up: bool = Field(
        default=True, description="build the matching indexes at startup, in the background"
    )
    cors_origins: list[str] = Field(default_factory=list)
    watches_file: Path | None = Field(default=None, description="watches file; default: by keys")
    watch_max_share: float = Field(default=0.2, gt=0, le=1, description="most a watch may alert on")
    delivery_interval_s: float = Field(
        default=60.0, ge=0, description="seconds between webhook delivery rounds (0: off)")
    webhook_private_ok: bool = Field(default=False, description="webhooks to private addresses")
    insurance_max_rate: float = Field(default=0.03, gt=0, le=1, description="保险补偿 rate cap")
    insurance_share: float = Field(default=0.8, gt=0, le=1, description="保险补偿 premium share")
    insurance_max_years: int = Field(default=3, ge=1, le=10, description="保险补偿 years cap")

    @property
    def reads_open(self) -> bool:
        """Whether a caller without a key may read (as a public viewer)."""
        if self.open_reads is None:
            return self.environment == "development"
        return self.open_reads

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.secret_key == DEFAULT_SECRET and self.environment != "development":
            raise ValueError(
                "FIRSTSET_SECRET_KEY is still the default; set a secret outside development "
                "(请在非开发环境设置 FIRSTSET_SECRET_KEY)"
            )
        return self


def get_settings() -> Settings:
    """Settings from the environment now (not cached: tests build their own)."""
    return Settings()
