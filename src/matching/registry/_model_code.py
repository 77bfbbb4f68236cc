"""The model-from-code file MLflow runs to build the pyfunc; never imported by ``matching``.

Logging a file instead of a pickled object keeps the model independent of pickle and of how
the class was imported (see MLflow's "Models from Code").
"""

from mlflow.models import set_model

from matching.registry._pyfunc import CandidateRankerModel

set_model(CandidateRankerModel())
