"""Other frameworks' configs in halite's schema (``salt``: ATLAS salt 0.13).

The translation is a pure function of the config dict; the commands (``halite fit``,
``halite import-salt``) read the files, call it and write its result.
"""

from halite.compat.salt import SaltConfigError, is_salt_config, translate
from halite.compat.salt_base import SALT_BASE, apply_salt_defaults

__all__ = ["SALT_BASE", "SaltConfigError", "apply_salt_defaults", "is_salt_config", "translate"]
