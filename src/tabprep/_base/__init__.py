"""The base layer under the steps: what every step, splitter and sampler is built from.

scikit-learn's ``base.py`` + ``utils/`` are the model. Modules, each importing only the floors
below it (``errors``, ``io``, ``kernels``) and one another without a circle:

- :mod:`~tabprep._base.params` -- parameter constraints declared once, ``validate_params``, the
  JSON codec of parameter and state values;
- :mod:`~tabprep._base.stats` -- partial statistics and their merge (counts, sums, moments);
- :mod:`~tabprep._base.fit` -- running a statistics pass over ordered batches, applying steps;
- :mod:`~tabprep._base.step` -- the Step protocol and the step registry;
- :mod:`~tabprep._base.labels` / :mod:`~tabprep._base.alloc` -- class labels as codes, and how
  rows of each class are allocated to folds and parts (shared by ``split`` and ``sample``);
- :mod:`~tabprep._base.lineage` -- data fingerprints;
- :mod:`~tabprep._base.backends` -- where data of another engine (a Ray Dataset) is fitted.

Input coercion (any frame or array in, the same kind out) is one dispatch module one floor down,
:mod:`tabprep.io._dispatch`, because ``tabprep.io.write`` needs it too.
"""
