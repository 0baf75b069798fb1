"""Component specs: the one string format, ``kind`` or ``kind:argument`` (STYLE.md)."""

from __future__ import annotations

from dataclasses import dataclass

from act_bench.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Spec:
    """A parsed spec such as ``smollm2``, ``hf:./ckpt`` or ``litellm:openai/gpt-4o``."""

    kind: str
    argument: str | None = None

    @classmethod
    def parse(cls, text: str) -> Spec:
        text = text.strip()
        if not text:
            raise ConfigError("empty spec; expected 'kind' or 'kind:argument'")
        kind, sep, argument = text.partition(":")
        if sep and not argument:
            raise ConfigError(f"spec {text!r} has an empty argument after ':'")
        return cls(kind=kind, argument=argument if sep else None)

    def __str__(self) -> str:
        return self.kind if self.argument is None else f"{self.kind}:{self.argument}"
