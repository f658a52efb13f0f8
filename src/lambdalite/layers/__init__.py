"""Lambda layers: published versions (layers/service.py) and where functions import them
from (layers/paths.py)."""
