"""Encryption at rest for linked API keys: Fernet (AES-128-CBC + HMAC-SHA256) from
``cryptography``, several keys at once so the encryption key can be rotated.

``FWBOT_LINK_ENCRYPTION_KEYS`` holds one or more Fernet keys separated by commas: the
first encrypts, every one decrypts (``MultiFernet``). To rotate, put a new key first,
restart, run ``fwbot rotate-link-keys`` (re-encrypts every stored key under the first),
then drop the old key. docs/permissions.md has the steps.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.errors import FwbotError


class KeyboxError(FwbotError):
    """The encryption keys are missing or malformed, or a ciphertext is not ours."""


def new_encryption_key() -> str:
    """A fresh Fernet key (what ``fwbot link-key`` prints for the settings)."""
    return Fernet.generate_key().decode("ascii")


class Keybox:
    """Encrypts and decrypts linked API keys; never logs or returns a key it cannot open."""

    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise KeyboxError(
                "No encryption key for linked accounts.",
                hint="Set FWBOT_LINK_ENCRYPTION_KEYS (make one with `fwbot link-key`).",
            )
        try:
            self._fernets = [Fernet(k.encode("ascii")) for k in parts]
        except (ValueError, UnicodeEncodeError) as exc:
            raise KeyboxError(
                "FWBOT_LINK_ENCRYPTION_KEYS is not a list of Fernet keys (32 url-safe "
                "base64-encoded bytes each, separated by commas).",
                hint="Make one with `fwbot link-key`.",
            ) from exc
        self._box = MultiFernet(self._fernets)

    @property
    def key_count(self) -> int:
        return len(self._fernets)

    def seal(self, secret: str) -> str:
        return self._box.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, ciphertext: str) -> str:
        try:
            return self._box.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError) as exc:
            raise KeyboxError(
                "A linked key cannot be decrypted with the configured encryption keys.",
                hint="Was an old key dropped from FWBOT_LINK_ENCRYPTION_KEYS too early? "
                "The person can `/fw link` again.",
            ) from exc

    def is_current(self, ciphertext: str) -> bool:
        """Whether the first (encrypting) key sealed this: rotation leaves these alone."""
        try:
            self._fernets[0].decrypt(ciphertext.encode("ascii"))
        except InvalidToken:
            return False
        return True

    def rotate(self, ciphertext: str) -> str:
        """The same secret sealed under the first key."""
        try:
            return self._box.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise KeyboxError("A linked key cannot be decrypted for rotation.") from exc
