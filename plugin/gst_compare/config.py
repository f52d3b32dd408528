"""The suite's Hydra config, composed through Hydra's compose API.

``ConfigComposer`` turns a list of Hydra override strings into a plain, resolved dict.
Results are cached per override tuple: composing is ~50 ms and every parametrized test asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A config that cannot be composed; the message quotes the override and the choices."""


class ConfigComposer:
    def __init__(self, config_dir: Path, base_overrides: Sequence[str] = ()) -> None:
        self.config_dir = Path(config_dir).resolve()
        self.base_overrides = tuple(base_overrides)
        self._cache: dict[tuple[str, ...], dict[str, Any]] = {}

    def compose(self, *overrides: str) -> dict[str, Any]:
        """Base overrides, then ``overrides`` (later wins), resolved to plain containers."""
        key = self.base_overrides + tuple(overrides)
        if key not in self._cache:
            self._cache[key] = self._compose(list(key))
        return self._cache[key]

    def choices(self, group: str) -> list[str]:
        folder = self.config_dir / group
        return sorted(p.stem for p in folder.glob("*.yaml"))

    def options(self, group: str) -> dict[str, dict[str, Any]]:
        """Each file of a config group as plain data, by name (read, not composed)."""
        from omegaconf import OmegaConf

        folder = self.config_dir / group
        return {
            name: OmegaConf.to_container(OmegaConf.load(folder / f"{name}.yaml"), resolve=True)
            for name in self.choices(group)
        }

    def _compose(self, overrides: list[str]) -> dict[str, Any]:
        from hydra import compose, initialize_config_dir
        from hydra.core.global_hydra import GlobalHydra
        from hydra.errors import HydraException
        from omegaconf import OmegaConf
        from omegaconf.errors import OmegaConfBaseException

        if not self.config_dir.is_dir():
            raise ConfigError(f"config folder {self.config_dir} does not exist")
        self._check_overrides(overrides)
        GlobalHydra.instance().clear()
        try:
            with initialize_config_dir(config_dir=str(self.config_dir), version_base=None):
                cfg = compose(config_name="config", overrides=overrides)
            resolved = OmegaConf.to_container(cfg, resolve=True)
        except (HydraException, OmegaConfBaseException, ValueError) as exc:
            reason = " ".join(str(exc).split())  # Hydra's messages span lines
            raise ConfigError(
                f"cannot compose the config with overrides {overrides}: {reason}. "
                f"Groups and choices: {self._all_choices()}"
            ) from None
        finally:
            GlobalHydra.instance().clear()
        assert isinstance(resolved, dict)
        return resolved

    def _check_overrides(self, overrides: list[str]) -> None:
        """What Hydra would report with a traceback (no key) or accept and break every test
        later (``~group``: each test reads its group), refused here in one line."""
        groups = set(self._all_choices())
        for override in overrides:
            target = override.lstrip("~+").split("=", 1)[0].strip()
            if not target:
                raise ConfigError(
                    f"override {override!r} has no key; write KEY=VALUE, e.g. "
                    "--gst-set hardware.threads=2 or --gst-set gate=strict"
                )
            if override.startswith("~") and target in groups:
                raise ConfigError(
                    f"{override!r} removes the config group {target!r}, which the suite needs; "
                    f"choose one of its options instead ({target}=NAME, NAME in "
                    f"{self.choices(target)})"
                )

    def _all_choices(self) -> dict[str, list[str]]:
        groups = sorted(p.name for p in self.config_dir.iterdir() if p.is_dir())
        return {group: self.choices(group) for group in groups}


def to_yaml(config: dict[str, Any]) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(config))
