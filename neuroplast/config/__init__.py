"""What a run is: the experiment config, its loading and overrides, protocols and conditions.

The names most scripts need are importable from here::

    from neuroplast.config import load_config
    cfg = load_config("configs/quick.toml", ['network.n_exc=400'])
"""

from neuroplast.config.experiment import (
    ConfigError,
    ExperimentConfig,
    apply_overrides,
    config_from_dict,
    load_config,
)

__all__ = ["ConfigError", "ExperimentConfig", "apply_overrides", "config_from_dict", "load_config"]
