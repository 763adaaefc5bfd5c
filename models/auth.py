"""Sign-in sessions (refresh-token families), refresh tokens and the login-attempt log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, IdMixin, stamped_at


class AuthSession(IdMixin, Base):
    """One sign-in: the family of refresh tokens issued from one password login."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = stamped_at()
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RefreshToken(IdMixin, Base):
    """A single-use refresh token; only the SHA-256 of its secret is stored."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    issued_at: Mapped[datetime] = stamped_at()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, Base):
    """Each password sign-in attempt and each registration (`kind`), kept for rate limiting across
    every API process; `ttm prune-login-attempts` deletes old rows."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_client_at", "client", "attempted_at"),
        Index("ix_login_attempts_attempted_at", "attempted_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = stamped_at()
    # `sign_in` or `register`: an open set (no CHECK), as the limits grow.
    kind: Mapped[str] = mapped_column(String(16), default="sign_in", server_default="sign_in")
