"""Where kvi finds its own files: indicator specs, report notebooks and rendering options.

They are package resources (``importlib.resources``), so kvi runs the same from a clone, an editable
install or a wheel installed anywhere. In the clone the real files live at the top level, where a
user looks for them (``params/``, ``notebooks/``); ``kvi_core/params`` and ``kvi_core/notebooks``
are symbolic links to them, and building the wheel copies what the links point to into the
package (README, "Set-up"). The rendering options live beside the assets they name
(``kvi_core/reporting/_quarto.yml``).

kvi needs real files (papermill, pandoc and Quarto open them by path), so a resource is handed on
as a ``pathlib.Path``; a zipped install is not supported.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

PACKAGE_DIR = Path(str(files("kvi_core")))
# The folder kvi_core is imported from (the clone, or site-packages): a kernel started for the
# reports gets it on PYTHONPATH so that it runs this same kvi_core.
IMPORT_ROOT = PACKAGE_DIR.parent
NOTEBOOKS = PACKAGE_DIR / "notebooks"
KOMMUNE_NOTEBOOK = NOTEBOOKS / "kommunerapport.ipynb"
NATIONAL_NOTEBOOK = NOTEBOOKS / "nasjonal_oversikt.ipynb"
QUARTO_CONFIG = PACKAGE_DIR / "reporting" / "_quarto.yml"


def params_dir() -> Path:
    """The indicator parameters (``params/``), or ``$KVI_PARAMS`` when set."""
    env = os.environ.get("KVI_PARAMS")
    return Path(env) if env else PACKAGE_DIR / "params"


def quarto_config() -> Path:
    """The rendering options (``_quarto.yml``), or ``$KVI_QUARTO_CONFIG`` when set."""
    return Path(os.environ.get("KVI_QUARTO_CONFIG", QUARTO_CONFIG))
